/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The status page at /: runners, running jobs, the last finished jobs. */
#ifndef RUNNERSCOPE_STATUS_H
#define RUNNERSCOPE_STATUS_H

#include <stdint.h>
#include "expo/expo.h"

struct metrics_src;

#define STATUS_WINDOW_NS (3600ULL * 1000000000ULL)

/* what the page's address asks for: ?window=6h, ?refresh=0 */
struct status_opts {
	uint64_t window_ns; /* the timeline's, and the runners' busy fraction */
	char window[16]; /* as the links name it: "1h", "90m" */
	int refresh; /* the HTML page reloads itself */
};

/*
 * The window of ?window=: minutes or hours ("30m", "6h"), 1m to 24h (what the timeline keeps).
 * 0, or -EINVAL with the default (1h) set; NULL or "": the default.
 */
int status__window(const char *arg, struct status_opts *o);

/*
 * Renders the page into b: a self-contained HTML page that refreshes itself (html), or
 * plain-text tables for a terminal. opts NULL: the last hour, refreshing.
 */
void status__render(struct buf *b, const struct metrics_src *src, int html,
		    const struct status_opts *opts);

#endif
