/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef RUNNERSCOPE_METRICS_H
#define RUNNERSCOPE_METRICS_H

#include <stdatomic.h>
#include <stdint.h>
#include "expo/expo.h"

struct state;
struct probes;
struct eventlog;
struct containers;
struct timeline;

/* what the HTTP server counts of itself, for runnerscope_http_* */
enum web_route {
	WEB_ROUTE_METRICS,
	WEB_ROUTE_STATUS, /* / */
	WEB_ROUTE_HEALTHZ,
	WEB_ROUTE_OTHER,
	WEB_ROUTE_MAX,
};

enum web_code {
	WEB_CODE_200,
	WEB_CODE_401,
	WEB_CODE_403,
	WEB_CODE_404,
	WEB_CODE_405,
	WEB_CODE_429,
	WEB_CODE_500,
	WEB_CODE_503,
	WEB_CODE_MAX,
};

struct web_stats {
	_Atomic uint64_t requests[WEB_ROUTE_MAX][WEB_CODE_MAX];
	_Atomic int64_t in_flight; /* /metrics and / requests being answered */
	_Atomic uint64_t timeouts; /* connections closed for missing --web.timeout */
};


struct metrics_src {
	struct state *state;
	struct probes *probes;
	struct eventlog *events; /* NULL when there is no event log */
	struct containers *containers;
	struct timeline *timeline; /* the status page's finished jobs; NULL: none */
	const char *version;
	const char *revision;
	const char *host; /* the host's name, for the status page */
	/* brings the state up to date before a render (running jobs' CPU grows by the second) */
	void (*refresh)(void *ctx);
	void *refresh_ctx;
	struct web_stats *web; /* NULL: no HTTP server counts */
	/* once-a-second passes the event loop has run, for keeping built pages (web/pages.h);
	 * NULL: every request builds its own */
	const _Atomic uint64_t *passes;
	_Atomic uint64_t pages_built;
};

/*
 * A /metrics page in b->fmt comes in two parts. The page: everything that a kept page
 * (web/pages.h) may answer again; returns the seconds building it took. refresh: bring the state
 * up to date first (src->refresh), or show it as the last pass left it. The tail, made for
 * each request: the HTTP server's counts, the pages built, page_seconds, the format's end.
 */
double metrics__render_page(struct buf *b, const struct metrics_src *src, int refresh);
void metrics__render_tail(struct buf *b, const struct metrics_src *src, double page_seconds);

#endif
