/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The intake: the programs' records and events read, what the state needs of the outside
 * world read with them, and handed to the state and the containers. What the rest of the
 * daemon calls of it.
 */
#ifndef RUNNERSCOPE_INTAKE_H
#define RUNNERSCOPE_INTAKE_H

#include <stdint.h>
#include <linux/types.h>
#include "jobs.h"

struct probes;
struct state;

/*
 * From now on what the maps say goes to state and the containers: their counters
 * kept in the pinned maps, the ring buffer opened, jobs of several processes carried over.
 * 0 or -errno
 */
struct containers;
int intake__start(struct probes *p, struct state *state, struct containers *containers);
/* what intake__start() and the passes since made, let go: before probes__free() */
void intake__stop(struct probes *p);
/* waits up to timeout_ms for events and hands them to the state; 0 or -errno */
int intake__poll(struct probes *p, int timeout_ms);
/*
 * Events taken from the ring buffer so far, each counted once the state has it and before the
 * ring buffer lets it go: once intake__events_waiting() says none waits, every event before
 * that call is in the state and in the count read after it. 0 for a NULL p.
 */
uint64_t intake__events_taken(struct probes *p);
/* 1 while events wait in the ring buffer to be taken */
int intake__events_waiting(struct probes *p);
/*
 * Reads every agent and job record, and the CPU of running jobs, into the state, deleting the
 * records it is done with. Safe to call from any thread.
 */
void intake__reconcile(struct probes *p);

/* an event type's name, as events_total's label has it */
const char *intake__event_name(int type);
/* events_total summed over CPUs */
int intake__event_counts(struct probes *p, struct rs_event_count out[RS_EV_MAX]);
/* walks of the hierarchies so far: at start-up, and after cgroup events were lost */
void intake__cgroup_walks(struct probes *p, uint64_t *startup, uint64_t *lost);

/*
 * Walks /proc once, after the programs are attached, and records the agents, jobs and their
 * process trees that were already running, with the kernel's start times. Returns the number
 * of processes recorded or -errno.
 */
int intake__scan(struct probes *p);

#endif
