// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A /metrics page from the collectors (collect.h), in the order their families appear, and
 * the page's own series: the build, the pages built, how long this one took.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <bpf/libbpf.h>
#include "lib/clock.h"
#include "expo/collect.h"
#include "expo/metrics.h"

#define NS "runnerscope_"

static void build_info(struct buf *b, const struct metrics_src *src)
{
	char libbpf_version[32];

	snprintf(libbpf_version, sizeof(libbpf_version), "%u.%u", libbpf_major_version(),
		 libbpf_minor_version());
	expo_family(b, NS "build_info", "gauge",
		    "A metric with a constant '1' value labeled by version, revision and libbpf "
		    "version.");
	{
		struct label l[] = { { "version", src->version },
				     { "revision", src->revision },
				     { "libbpf_version", libbpf_version } };
		expo_sample(b, NS "build_info", l, 3, 1);
	}
}

double metrics__render_page(struct buf *b, const struct metrics_src *src, int refresh)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);

	if (refresh && src->refresh)
		src->refresh(src->refresh_ctx);
	build_info(b, src);
	collect_runners(b, src->state);
	collect_containers(b, src->containers);
	collect_bpf(b, src->probes);
	collect_eventlog(b, src->events);
	collect_process(b);
	return (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
}

void metrics__render_tail(struct buf *b, const struct metrics_src *src, double page_seconds)
{
	collect_web(b, src->web);
	expo_family(b, NS "scrape_pages_built_total", "counter",
		    "/metrics pages built; the other scrapes were answered with a page built "
		    "before, while nothing it shows could have changed.");
	expo_sample(b, NS "scrape_pages_built_total", NULL, 0,
		    (double)atomic_load(&src->pages_built));
	expo_family(b, NS "scrape_duration_seconds", "gauge",
		    "How long building the page this scrape was answered with took.");
	expo_sample(b, NS "scrape_duration_seconds", NULL, 0, page_seconds);
	expo_finish(b);
}
