/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The collectors metrics.c builds a /metrics page from, one a file. Each writes its families
 * into b in b->fmt and only reads its source: a page is built while the event loop and the
 * HTTP server's threads go on using the same objects. A NULL source writes nothing.
 *
 * Each file defines NS for itself: tests/docs reads the metric names file by file.
 */
#ifndef RUNNERSCOPE_COLLECT_H
#define RUNNERSCOPE_COLLECT_H

#include "expo/expo.h"

struct state;
struct containers;
struct probes;
struct eventlog;
struct web_stats;

/* runners, their jobs and, with --metrics.job-labels, the jobs' labels; takes the state lock */
void collect_runners(struct buf *b, struct state *s);
/* the tracked containers' info and cgroup stats; takes the containers' lock */
void collect_containers(struct buf *b, struct containers *c);
/* the attach flavour, the programs' run-time statistics, the maps' fill, the events */
void collect_bpf(struct buf *b, struct probes *p);
void collect_eventlog(struct buf *b, const struct eventlog *l);
/* the standard process_* series of this daemon */
void collect_process(struct buf *b);
/* the HTTP server's counts of itself */
void collect_web(struct buf *b, struct web_stats *w);

#endif
