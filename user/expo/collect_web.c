// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The HTTP server's counts of itself, and the names its routes and codes are counted by */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include "expo/collect.h"
#include "expo/metrics.h"

#define NS "runnerscope_"

static const char *route_name(enum web_route r)
{
	static const char *const names[WEB_ROUTE_MAX] = { "/metrics", "/", "/healthz", "other" };

	return r < WEB_ROUTE_MAX ? names[r] : "other";
}

static int code_status(enum web_code c)
{
	static const int codes[WEB_CODE_MAX] = { 200, 401, 403, 404, 405, 429, 500, 503 };

	return c < WEB_CODE_MAX ? codes[c] : 500;
}

void collect_web(struct buf *b, struct web_stats *w)
{
	if (!w)
		return;
	expo_family(b, NS "http_requests_total", "counter",
		    "HTTP requests answered, by path and status code.");
	for (int r = 0; r < WEB_ROUTE_MAX; r++) {
		for (int c = 0; c < WEB_CODE_MAX; c++) {
			uint64_t v = atomic_load(&w->requests[r][c]);
			char code[8];
			struct label l[] = { { "path", route_name(r) }, { "code", code } };

			/* each path's usual answer always, any other once it happened */
			if (!v && c != (r == WEB_ROUTE_OTHER ? WEB_CODE_404 : WEB_CODE_200))
				continue;
			snprintf(code, sizeof(code), "%d", code_status(c));
			expo_sample(b, NS "http_requests_total", l, 2, (double)v);
		}
	}
	expo_family(b, NS "http_requests_in_flight", "gauge",
		    "Pages (/metrics and /) being built or sent now, this one included.");
	expo_sample(b, NS "http_requests_in_flight", NULL, 0, (double)atomic_load(&w->in_flight));
	expo_family(b, NS "http_connections_timed_out_total", "counter",
		    "Connections closed for not completing a request and its response within "
		    "--web.timeout.");
	expo_sample(b, NS "http_connections_timed_out_total", NULL, 0,
		    (double)atomic_load(&w->timeouts));
}
