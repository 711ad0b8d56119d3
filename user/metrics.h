/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef RUNNERSCOPE_METRICS_H
#define RUNNERSCOPE_METRICS_H

#include "expo.h"

struct state;
struct probes;
struct eventlog;
struct containers;

struct metrics_src {
	struct state *state;
	struct probes *probes;
	struct eventlog *events; /* NULL when there is no event log */
	struct containers *containers;
	const char *version;
	const char *revision;
	/* brings the state up to date before a render (running jobs' CPU grows by the second) */
	void (*refresh)(void *ctx);
	void *refresh_ctx;
};

/* renders the whole /metrics page (Prometheus text format 0.0.4) into b */
void metrics_render(struct buf *b, const struct metrics_src *src);

#endif
