// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The /metrics page of a fixed synthetic state, in both formats, against the checked-in
 * tests/unit/golden/metrics.txt and metrics.openmetrics.txt: a change of a metric's name,
 * type, help, labels or value shows in review. What differs from machine to machine and run
 * to run (the libbpf version, wall-clock times, this process's own process_* series, the
 * page's build time) is replaced by a placeholder first.
 *
 * After an intended change: RS_GOLDEN_UPDATE=1 build/tests/test_exposition, and review the
 * diff of the golden files.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "expo/expo.h"
#include "expo/metrics.h"
#include "state/state.h"
#include "mem_store.h"

#define S 1000000000ULL
#define GOLDEN_DIR "tests/unit/golden/"

static struct mem_store mem;

/* a job of several processes (tgid 0) of a named runner, seen running, then ended */
static void job(struct state *s, int kind, const char *runner, int n, __u64 dur_ns, int status,
		__u64 cpu_ns, __u64 rss, __u32 ooms, int finish)
{
	struct rs_key key = { .tgid = 0, .start_ns = (1000 + (__u64)n) * S };
	struct rs_job rec = {
		.kind = (__u8)kind,
		.state = RS_STATE_RUNNING,
		.run_ns = cpu_ns / 2,
		.utime_ns = 3,
		.stime_ns = 1, /* three quarters user */
		.live_procs = 2,
		.total_procs = 3,
	};

	state__name_job(s, &key, kind, runner);
	state__job(s, &key, &rec, NULL, NULL);
	if (!finish)
		return;
	rec.state = RS_STATE_FINISHED;
	rec.run_ns = cpu_ns;
	rec.live_procs = 0;
	rec.end_ns = key.start_ns + dur_ns;
	rec.exit_code = status;
	rec.max_rss = rss;
	rec.oom_kills = ooms;
	state__job(s, &key, &rec, NULL, NULL);
}

static struct state *synthetic_state(void)
{
	struct state_opts o = { .grace_ns = 300 * S };
	struct state *s = state__new(&o);

	assert_non_null(s);
	mem_init(&mem);
	state__set_store(s, &mem_ops, &mem);
	job(s, RS_KIND_GITEA, "gitea-1", 1, 2 * S, 0, 4 * S, 50 << 20, 0, 1);
	job(s, RS_KIND_GITEA, "gitea-1", 2, 95 * S, 1 << 8, 60 * S, 700 << 20, 1, 1);
	job(s, RS_KIND_GITEA, "gitea-1", 3, 0, 0, 1 * S, 0, 0, 0); /* still running */
	job(s, RS_KIND_GITLAB, "gitlab \"odd\" name\\", 4, 3600 * S, 9, 0, 3ULL << 30, 0, 1);
	return s;
}

/* the run-dependent parts of a page, made placeholders */
static char *normalize(const char *page)
{
	size_t cap = strlen(page) + 1;
	char *out = malloc(cap), *o = out;
	const char *line = page;

	assert_non_null(out);
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
		const char *v;

		/* our own process: another process, other numbers */
		if (strstr(line, "process_") == line ||
		    (line[0] == '#' && len > 8 && strstr(line, " process_") &&
		     strstr(line, " process_") < line + len)) {
			line += len;
			continue;
		}
		memcpy(o, line, len);
		o[len] = '\0';
		if ((v = strstr(o, "libbpf_version=\""))) {
			char *q = strchr(v + 16, '"');

			memmove((char *)v + 17, q, strlen(q) + 1);
			((char *)v)[16] = 'X';
		}
		if (o[0] != '#' && (strstr(o, "_start_time_seconds") ||
				    strstr(o, "scrape_duration_seconds"))) {
			char *sp = strrchr(o, ' ');

			if (sp)
				strcpy(sp, " <varies>\n");
		}
		o += strlen(o);
		line += len;
	}
	*o = '\0';
	return out;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* the first line that differs, for the failure message */
static void first_difference(const char *want, const char *got)
{
	int line = 1;

	while (*want && *want == *got) {
		line += *want == '\n';
		want++;
		got++;
	}
	while (line > 1 && want[-1] != '\n') {
		want--;
		got--;
	}
	fail_msg("line %d differs from the golden file:\n  want: %.*s\n  got:  %.*s", line,
		 (int)strcspn(want, "\n"), want, (int)strcspn(got, "\n"), got);
}

static void check(enum expo_format fmt, const char *golden)
{
	struct state *s = synthetic_state();
	struct metrics_src src = { .state = s, .version = "0.0.0", .revision = "golden" };
	struct buf b;
	char *got, *want;

	buf_init(&b);
	b.fmt = fmt;
	metrics_render_tail(&b, &src, metrics_render_page(&b, &src, 0));
	assert_false(b.oom);
	got = normalize(b.p);
	if (getenv("RS_GOLDEN_UPDATE")) {
		FILE *f = fopen(golden, "we");

		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	}
	want = slurp(golden);
	if (!want)
		fail_msg("%s is missing: RS_GOLDEN_UPDATE=1 %s writes it", golden,
			 "build/tests/test_exposition");
	if (strcmp(want, got))
		first_difference(want, got);
	free(want);
	free(got);
	buf_free(&b);
	state__free(s);
}

static void test_text(void **unused)
{
	(void)unused;
	check(EXPO_TEXT, GOLDEN_DIR "metrics.txt");
}

static void test_openmetrics(void **unused)
{
	(void)unused;
	check(EXPO_OPENMETRICS, GOLDEN_DIR "metrics.openmetrics.txt");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_openmetrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
