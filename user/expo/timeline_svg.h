/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The status page's timeline: a view of jobs (timeline.h) as inline SVG, with its legend. */
#ifndef RUNNERSCOPE_TIMELINE_SVG_H
#define RUNNERSCOPE_TIMELINE_SVG_H

#include <stdint.h>
#include "expo/expo.h"
#include "expo/timeline.h"

/* drawn rows and bars of one page: what keeps its size bounded (docs/web.md) */
#define TIMELINE_MAX_ROWS 40
#define TIMELINE_MAX_BARS 800

struct timeline_render {
	uint64_t now; /* CLOCK_BOOTTIME the page was begun at: the window's end */
	double wall_now; /* the same moment, seconds since the epoch */
	const char *window; /* the window as its links name it: "1h", "6h" */
	int refresh; /* the page refreshes itself: links keep it so */
	uint64_t dropped_end_ns; /* the timeline has no job that ended before this (0: all kept) */
	unsigned int keep_jobs; /* its bound, to say so */
};

/* the timeline section: window links, the chart, its legend, the folded runners */
void timeline_render_html(struct buf *b, const struct timeline_view *v,
			  const struct timeline_render *o);

/* the letter a bar of this result carries (TIMELINE_RUNNING: "R") */
const char *timeline_letter(int result);
/* "37%": a row's busy fraction of the window, rounded; "<1%" for a little above none */
void timeline_busy(char *out, size_t sz, const struct timeline_view *v,
		   const struct timeline_row *r);

#endif
