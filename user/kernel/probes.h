/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The BPF side: load and attach, the ring buffer, the kernel's agent and job records. */
#ifndef RUNNERSCOPE_PROBES_H
#define RUNNERSCOPE_PROBES_H

#include <stdint.h>
#include <linux/types.h>
#include "jobs.h"

struct state;
struct probes;

enum probes_attach {
	ATTACH_AUTO,
	ATTACH_TP_BTF,
	ATTACH_RAW_TP,
};

struct probes_opts {
	enum probes_attach attach;
	int stats; /* turn on the kernel's BPF run-time statistics while we run */
	uint32_t ringbuf_bytes;
	const char *pin_path; /* NULL or "": no pinning; programs go with the daemon */
	int cleanup_on_exit; /* unpin and detach everything when the daemon exits */
	uint64_t end_idle_ns; /* a job of several processes ends after this long with none */
	const char *docker_root; /* docker's data root: job containers' names and labels */
	const char *runtime_root; /* containerd's and CRI-O's files: job pods' names */
	/* bit h: hierarchy id h holds the containers' cgroups whose removal the programs keep
	 * (enrich/cgroupfs.h, cgroupfs_followed()) */
	uint32_t cg_hiers;
};

/* NULL with errno set; the reason has been logged in one line */
struct probes *probes__new(const struct probes_opts *opts);
/*
 * intake/: from now on what the maps say goes to state and the containers: their counters
 * kept in the pinned maps, the ring buffer opened, jobs of several processes carried over.
 * 0 or -errno
 */
struct containers;
int probes__start(struct probes *p, struct state *state, struct containers *containers);
void probes__free(struct probes *p);

/* the attach flavour in use: "tp_btf" or "raw_tp" */
const char *probes__attach_name(const struct probes *p);
/* the running kernel's release, as uname(2) gives it */
const char *probes__kernel_release(const struct probes *p);
/* waits up to timeout_ms for events and hands them to the state; 0 or -errno */
int probes__poll(struct probes *p, int timeout_ms);
/*
 * Events taken from the ring buffer so far, each counted once the state has it and before the
 * ring buffer lets it go: once probes__events_waiting() says none waits, every event before
 * that call is in the state and in the count read after it. 0 for a NULL p.
 */
uint64_t probes__events_taken(struct probes *p);
/* 1 while events wait in the ring buffer to be taken */
int probes__events_waiting(struct probes *p);
/*
 * Reads every agent and job record, and the CPU of running jobs, into the state, deleting the
 * records it is done with. Safe to call from any thread.
 */
void probes__reconcile(struct probes *p);
/* a program's run time and runs, from the kernel's BPF statistics */
#define PROBES_PROGS 9
struct probes_prog_stat {
	/* handle_exec, handle_fork, handle_exit, handle_mark_victim, handle_cg_mkdir, …,
	 * iter_job_cpu */
	const char *name;
	uint64_t run_ns;
	uint64_t runs;
};
/* the statistics of the programs there are; -ENODATA when the kernel does not keep them */
int probes__prog_stats(struct probes *p, struct probes_prog_stat out[PROBES_PROGS]);

/* a hash map's entries and capacity */
#define PROBES_MAPS 12
struct probes_map_stat {
	const char *name;
	uint64_t entries;
	uint64_t capacity;
};
int probes__map_stats(struct probes *p, struct probes_map_stat out[PROBES_MAPS]);

/*
 * 0 while every tracepoint program is attached; otherwise 1, with which one is not in
 * reason. With --bpf.pin-path the pins own the links: a removed pin is a detached program.
 */
int probes__health(struct probes *p, char *reason, size_t sz);

/* events_total summed over CPUs */
int probes__event_counts(struct probes *p, struct rs_event_count out[RS_EV_MAX]);
const char *probes_event_name(int type);

/* start-up scan: record what was already running before the programs were attached */
int probes__seed_agent(struct probes *p, const struct rs_key *key, int kind);
int probes__seed_job(struct probes *p, const struct rs_key *key, const struct rs_key *runner,
		     int kind, uint32_t procs);
/* the kernel follows this process already (pinned programs tracked it while we were away) */
/*
 * Found at start-up: a container's init, or a process of a Gitea or GitLab agent in no job. The
 * daemon places them as it would have at their exec.
 */
void probes__found_container(struct probes *p, uint32_t tgid, uint64_t start_ns);
void probes__found_agent_process(struct probes *p, uint32_t tgid, const struct rs_key *agent,
				 int kind);
int probes__tracked(struct probes *p, uint32_t tgid);
/* the cgroup hierarchies walked for the containers there before the programs saw them */
void probes__found_cgroups(struct probes *p);
/* walks of the hierarchies so far: at start-up, and after cgroup events were lost */
void probes__cgroup_walks(struct probes *p, uint64_t *startup, uint64_t *lost);
int probes__seed_proc(struct probes *p, uint32_t tgid, const struct rs_proc *proc);

#endif
