// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The status page of a busy host, built again and again: RUNNERS runners (a quarter of them
 * running a job), JOBS finished jobs in the timeline over the last day (or since boot, when the
 * host is younger), rendered as HTML for each window and as text. Prints one JSON object:
 * bytes (plain and gzip) and milliseconds per page.
 *
 *     build/bench/status_page [-r runners] [-j jobs] [-n rounds]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "ci/detect.h"
#include "expo/metrics.h"
#include "expo/status.h"
#include "expo/timeline.h"
#include "state/job_record.h"
#include "state/state.h"
#include "web/gzip.h"
#include "ci/kinds/kinds.h"

#define S 1000000000ULL
#define DAY (24 * 3600 * S)

static uint64_t rnd(uint64_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 7;
	*x ^= *x << 17;
	return *x;
}

static void fill(struct state *s, struct timeline *t, int runners, int jobs, uint64_t now)
{
	uint64_t since = now > DAY ? now - DAY : 0, x = 88172645463325252ULL;
	char name[64];

	/* the runners the state knows, a quarter with a job running */
	for (int i = 0; i < runners; i++) {
		struct rs_key key = { .tgid = 0, .start_ns = now - (uint64_t)(i + 1) * 7 * S };
		struct rs_job rec = { .kind = KIND_GITEA, .state = RS_STATE_RUNNING,
				      .live_procs = 1, .total_procs = 1,
				      .run_ns = (uint64_t)i * S / 10 };

		snprintf(name, sizeof(name), "runner-%03d", i);
		state__name_job(s, &key, KIND_GITEA, name);
		state__job(s, &key, &rec, NULL, NULL, NULL);
		if (i % 4) {
			rec.state = RS_STATE_FINISHED;
			rec.end_ns = key.start_ns + 3 * S;
			rec.live_procs = 0;
			state__job(s, &key, &rec, NULL, NULL, NULL);
		}
	}
	/* the finished jobs of the day, one runner after another, as busy as they come */
	for (int i = 0; i < jobs; i++) {
		int r = i % runners, per = jobs / runners + 1;
		uint64_t slot = (now - since) / (uint64_t)per, start, len;
		struct job_record jr = { .has_runner = 1, .kind = KIND_GITEA, .finished = 1 };

		start = since + (uint64_t)(i / runners) * slot + rnd(&x) % (slot / 4 + 1);
		len = slot / 8 + rnd(&x) % (slot / 2 + 1);
		snprintf(jr.runner, sizeof(jr.runner), "runner-%03d", r);
		snprintf(jr.container, sizeof(jr.container), "ci-runner-%03d", r);
		snprintf(jr.ctx.repository, sizeof(jr.ctx.repository), "example-org/service-%d",
			 (int)(rnd(&x) % 40));
		snprintf(jr.ctx.workflow, sizeof(jr.ctx.workflow), "CI");
		snprintf(jr.ctx.job, sizeof(jr.ctx.job), "build (ubuntu-22.04, %d)",
			 (int)(rnd(&x) % 4));
		jr.have_ctx = 1;
		jr.pid = 1000 + (uint32_t)i;
		jr.start_ns = start;
		jr.end_ns = start + len < now ? start + len : now;
		jr.result = rnd(&x) % 10 < 7 ? RESULT_SUCCESS : (int)(rnd(&x) % RESULT_MAX);
		jr.cpu_user_ns = len / 3;
		jr.cpu_system_ns = len / 20;
		jr.max_rss = (64 + rnd(&x) % 2048) << 20;
		jr.oom_kills = rnd(&x) % 50 == 0;
		timeline_add(t, &jr);
	}
}

int main(int argc, char **argv)
{
	static const char *const windows[] = { "1h", "6h", "24h" };
	int runners = 200, jobs = 10000, rounds = 20, c;
	struct state_opts so = { .grace_ns = DAY };
	struct timeline_stats ts;
	struct metrics_src src = { .version = "bench", .revision = "bench", .host = "bench" };
	struct timeline *t;
	struct state *s;

	while ((c = getopt(argc, argv, "r:j:n:")) != -1) {
		if (c == 'r')
			runners = atoi(optarg);
		else if (c == 'j')
			jobs = atoi(optarg);
		else if (c == 'n')
			rounds = atoi(optarg);
		else
			return 2;
	}
	if (runners < 1 || jobs < 0 || rounds < 1)
		return 2;
	log_setup(LOG_WARN, LOG_FMT_LOGFMT);
	t = timeline__new(NULL);
	so.on_job = timeline__on_job;
	so.on_job_ctx = t;
	s = state__new(&so);
	if (!t || !s)
		return 1;
	fill(s, t, runners, jobs, clock_ns(CLOCK_BOOTTIME));
	timeline_stats(t, &ts);
	src.state = s;
	src.timeline = t;
	printf("{\"runners\": %d, \"jobs\": %u, \"timeline_bytes\": %zu, \"rounds\": %d, "
	       "\"uptime_s\": %.0f, \"pages\": {",
	       runners, ts.jobs, ts.bytes, rounds, (double)clock_ns(CLOCK_BOOTTIME) / 1e9);
	for (int w = 0; w <= 3; w++) {
		struct status_opts o;
		uint64_t best = UINT64_MAX, sum = 0;
		size_t bytes = 0, gz = 0;
		struct buf b, z;

		status__window(w < 3 ? windows[w] : NULL, &o);
		o.refresh = 1;
		for (int i = 0; i < rounds; i++) {
			uint64_t t0 = clock_ns(CLOCK_MONOTONIC), dt;

			buf_init(&b);
			status__render(&b, &src, w < 3, &o);
			dt = clock_ns(CLOCK_MONOTONIC) - t0;
			sum += dt;
			best = dt < best ? dt : best;
			bytes = b.len;
			if (i == rounds - 1) {
				buf_init(&z);
				if (!gzip_body(b.p, b.len, &z))
					gz = z.len;
				buf_free(&z);
				if (getenv("RS_BENCH_PAGE_DIR")) {
					char path[4096];
					FILE *f;

					snprintf(path, sizeof(path), "%s/status-%s.%s",
						 getenv("RS_BENCH_PAGE_DIR"), o.window,
						 w < 3 ? "html" : "txt");
					f = fopen(path, "w");
					if (f) {
						fwrite(b.p, 1, b.len, f);
						fclose(f);
					}
				}
			}
			buf_free(&b);
		}
		printf("%s\"%s%s\": {\"bytes\": %zu, \"gzip_bytes\": %zu, \"ms_mean\": %.2f, "
		       "\"ms_min\": %.2f}",
		       w ? ", " : "", w < 3 ? "html " : "text ", o.window, bytes, gz,
		       (double)sum / rounds / 1e6, (double)best / 1e6);
	}
	printf("}}\n");
	state__free(s);
	timeline__free(t);
	return 0;
}
