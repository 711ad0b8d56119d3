// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Reading the event log back at start-up: its job_finished lines, and every kind of bad line. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "lib/clock.h"
#include "expo/history.h"
#include "expo/timeline.h"
#include "expo/eventlog.h"
#include "state/state.h"
#include "mem_store.h"
#include "ci/kinds/kinds.h"

#define S 1000000000LL
/* a job_finished line of a version before the CPU wait (docs/eventlog.md has one of today's) */
#define FINISHED                                                                                   \
	"{\"event\":\"job_finished\",\"time\":\"2026-11-23T09:20:06.297Z\",\"kind\":\"github\","   \
	"\"runner\":\"evr\",\"container_id\":null,\"repository\":\"octo/widgets\","                \
	"\"workflow\":\"CI\",\"job\":\"test\",\"run_id\":\"7012345\",\"run_attempt\":\"1\","       \
	"\"tracking_id\":\"github_d3b5b349-73f6-40cb-a1e8-dfb28da09e8e\",\"pid\":16655,"           \
	"\"start_time\":\"2026-11-23T09:20:06.126Z\",\"end_time\":\"2026-11-23T09:20:06.297Z\","   \
	"\"duration_seconds\":0.170687,\"result\":\"success\",\"reason\":null,\"exit_code\":100,"  \
	"\"signal\":null,\"cpu_user_seconds\":0.165712,\"cpu_system_seconds\":0.003946,"           \
	"\"max_rss_bytes\":1478656,\"io_read_bytes\":0,\"io_write_bytes\":4096,\"oom_kills\":0,"   \
	"\"processes\":2}"
/* 2026-11-23T09:20:06Z */
#define START_WALL 1795425606LL

static struct job_record rec;
static char why[128];

/* the example's start is 100 s after boot, now 200 s */
static const struct history_clock clk = { .wall_off_ns = START_WALL * S + 126000000 - 100 * S,
					  .now_ns = 200 * S };

static int parse(const char *line)
{
	why[0] = '\0';
	return history_parse_line(line, strlen(line), &clk, &rec, why, sizeof(why));
}

/* base (NULL: FINISHED) with the value after `key` replaced by with; two results at a time */
static char *edit_in(const char *base, const char *key, const char *with)
{
	static char out[2][8192];
	static int k;
	const char *p, *q;
	char *o = out[k ^= 1];

	base = base ? base : FINISHED;
	p = strstr(base, key);
	assert_non_null(p);
	p += strlen(key);
	q = p + strcspn(p, ",}");
	snprintf(o, sizeof(out[0]), "%.*s%s%s", (int)(p - base), base, with, q);
	return o;
}

static char *edit(const char *key, const char *with)
{
	return edit_in(NULL, key, with);
}

static void test_a_finished_line(void **state)
{
	(void)state;
	assert_int_equal(parse(FINISHED), 1);
	assert_true(rec.finished && rec.has_runner);
	assert_int_equal(rec.kind, KIND_GITHUB);
	assert_string_equal(rec.runner, "evr");
	assert_string_equal(rec.container_id, "");
	assert_true(rec.have_ctx);
	assert_string_equal(rec.ctx.repository, "octo/widgets");
	assert_string_equal(rec.ctx.workflow, "CI");
	assert_string_equal(rec.ctx.job, "test");
	assert_string_equal(rec.ctx.run_id, "7012345");
	assert_string_equal(rec.ctx.tracking_id, "github_d3b5b349-73f6-40cb-a1e8-dfb28da09e8e");
	assert_int_equal(rec.pid, 16655);
	/* the start from its wall time, the end by the duration (to the microsecond) */
	assert_int_equal(rec.start_ns, 100 * S);
	assert_int_equal(rec.end_ns, 100 * S + 170687000);
	assert_int_equal(rec.result, RESULT_SUCCESS);
	assert_string_equal(rec.reason, "");
	assert_int_equal(rec.exit_code, 100 << 8);
	assert_int_equal(rec.cpu_user_ns, 165712000);
	assert_int_equal(rec.cpu_system_ns, 3946000);
	assert_int_equal(rec.max_rss, 1478656);
	assert_int_equal(rec.io_write_bytes, 4096);
	assert_int_equal(rec.processes, 2);
	/* without a duration: the end time */
	assert_int_equal(parse(edit("\"duration_seconds\":", "null")), 1);
	assert_int_equal(rec.end_ns, 100 * S + 171000000);
	/* a line of a version before the CPU wait: not known */
	assert_false(rec.has_wait);
	assert_int_equal(rec.nneighbours, 0);
}

/* the CPU wait and who had the job's CPUs, as the status page shows them */
static void test_wait_and_neighbours(void **state)
{
	(void)state;
	assert_int_equal(parse(edit("\"processes\":",
				    "2,\"cpu_wait_seconds\":1.25,\"cpu_neighbours\":["
				    "{\"type\":\"job\",\"runner\":\"other\",\"job\":\"build\","
				    "\"pid\":77,\"cpu_seconds\":1.1},"
				    "{\"type\":\"nonsense\",\"cpu_seconds\":9},"
				    "{\"type\":\"container\",\"container\":\"db\","
				    "\"cpu_seconds\":0.2},"
				    "{\"type\":\"host\",\"cpu_seconds\":0.1},"
				    "{\"type\":\"host\",\"cpu_seconds\":0.05}]")),
			 1);
	assert_true(rec.has_wait);
	assert_int_equal(rec.cpu_wait_ns, 1250000000);
	/* the bad entry left out, the rest up to three */
	assert_int_equal(rec.nneighbours, 3);
	assert_int_equal(rec.neighbours[0].type, NB_JOB);
	assert_string_equal(rec.neighbours[0].name, "other");
	assert_string_equal(rec.neighbours[0].job, "build");
	assert_int_equal(rec.neighbours[0].pid, 77);
	assert_int_equal(rec.neighbours[0].cpu_ns, 1100000000);
	assert_int_equal(rec.neighbours[1].type, NB_CONTAINER);
	assert_string_equal(rec.neighbours[1].name, "db");
	assert_int_equal(rec.neighbours[2].type, NB_HOST);
	/* a wait of null: the kernel did not keep it */
	assert_int_equal(parse(edit("\"processes\":", "2,\"cpu_wait_seconds\":null")), 1);
	assert_false(rec.has_wait);
}

static void test_other_lines_and_other_jobs(void **state)
{
	(void)state;
	assert_int_equal(parse("{\"event\":\"job_started\",\"pid\":1}"), 0);
	assert_int_equal(parse("{\"event\":\"something_new\"}"), 0);
	/* killed by a signal: the wait status carries it, and the reason is the state's own */
	assert_int_equal(parse(edit_in(edit("\"exit_code\":", "null"), "\"signal\":", "9")), 1);
	assert_int_equal(rec.exit_code, 9);
	assert_int_equal(parse(edit("\"reason\":", "\"killed\"")), 1);
	assert_ptr_equal(rec.reason, detect__reason_name(REASON_KILLED));
	/* an older version's reason is not shown */
	assert_int_equal(parse(edit("\"reason\":", "\"worker_crashed\"")), 1);
	assert_string_equal(rec.reason, "");
	assert_int_equal(parse(edit("\"result\":", "\"abandoned\"")), 1);
	assert_int_equal(rec.result, RESULT_ABANDONED);
	/* a job whose runner was not known */
	assert_int_equal(parse(edit("\"runner\":", "null")), 1);
	assert_false(rec.has_runner);
	assert_int_equal(parse(edit("\"kind\":", "null")), 1);
	assert_false(rec.has_runner);
	/* no context: the page names it by its pid */
	assert_int_equal(parse(edit_in(edit_in(edit("\"repository\":", "null"), "\"workflow\":",
					       "null"),
				       "\"job\":", "\"\"")),
			 1);
	assert_false(rec.have_ctx);
	/* a job that began before this boot has no place on the page */
	assert_int_equal(parse(edit("\"start_time\":", "\"2026-11-23T09:18:00.000Z\"")), -ERANGE);
}

static void test_oversized_and_odd_values_are_cut_and_made_safe(void **state)
{
	char quoted[1100], want[NAME_LEN];

	(void)state;
	quoted[0] = '"';
	memset(quoted + 1, 'x', 1000);
	snprintf(quoted + 1001, sizeof(quoted) - 1001, "\"");
	assert_int_equal(parse(edit("\"runner\":", quoted)), 1);
	memset(want, 'x', NAME_LEN - 1);
	want[NAME_LEN - 1] = '\0';
	assert_string_equal(rec.runner, want);
	/* cut on a character's boundary: 128 two-byte characters are 256 bytes, 127 fit */
	snprintf(quoted, sizeof(quoted), "\"");
	for (int i = 0; i < 128; i++)
		strcat(quoted, "\xc3\xbc");
	strcat(quoted, "\"");
	assert_int_equal(parse(edit("\"workflow\":", quoted)), 1);
	assert_int_equal(strlen(rec.ctx.workflow), 254);
	/* a run id longer than its field is cut too */
	assert_int_equal(parse(edit("\"run_id\":", "\"1234567890123456789012345678901234567890\"")),
			 1);
	assert_int_equal(strlen(rec.ctx.run_id), sizeof(rec.ctx.run_id) - 1);
	/* what json-c lets through (an overlong form) is made valid UTF-8 */
	assert_int_equal(parse(edit("\"runner\":", "\"a\xc0\xaf" "b\"")), 1);
	assert_string_equal(rec.runner, "a\xef\xbf\xbd\xef\xbf\xbd" "b");
	/* an escaped NUL is dropped; controls stay for the page to escape */
	assert_int_equal(parse(edit("\"job\":", "\"a\\u0000b\\u001b[31m\"")), 1);
	assert_string_equal(rec.ctx.job, "ab\x1b[31m");
}

static void expect_bad(const char *line, const char *cause)
{
	if (parse(line) != -EINVAL)
		fail_msg("%s: read as good", line);
	if (!strstr(why, cause))
		fail_msg("%s: got \"%s\", wanted \"%s\"", line, why, cause);
}

static void test_bad_lines(void **state)
{
	char cut[sizeof(FINISHED)];

	(void)state;
	expect_bad("", "not JSON");
	expect_bad("not json at all", "not JSON");
	/* a line cut short: a daemon stopped in the middle of its write */
	snprintf(cut, sizeof(cut), "%.*s", (int)strlen(FINISHED) / 2, FINISHED);
	expect_bad(cut, "ends too soon");
	expect_bad(FINISHED " {}", "not JSON");
	expect_bad(edit("\"runner\":", "\"ev\xffr\""), "utf-8");
	expect_bad("[1,2]", "not a JSON object");
	expect_bad("{\"pid\":1}", "no event");
	expect_bad("{\"event\":7}", "no event");
	expect_bad(edit("\"runner\":", "5"), "runner is not a string");
	expect_bad(edit("\"kind\":", "\"jenkins\""), "kind");
	expect_bad(edit("\"result\":", "\"great\""), "result");
	expect_bad(edit("\"result\":", "null"), "result");
	expect_bad(edit("\"reason\":", "[]"), "reason");
	expect_bad(edit("\"pid\":", "\"16655\""), "pid");
	expect_bad(edit("\"pid\":", "-1"), "pid");
	expect_bad(edit("\"pid\":", "4294967296"), "pid");
	expect_bad(edit("\"pid\":", "99999999999999999999999"), "pid");
	expect_bad(edit("\"start_time\":", "\"yesterday\""), "not a time");
	expect_bad(edit("\"start_time\":", "\"2026-02-30T09:20:06.126Z\""), "not a time");
	expect_bad(edit("\"start_time\":", "\"2026-11-23T09:20:06.126\""), "not a time");
	expect_bad(edit("\"start_time\":", "\"2026-11-23T09:20:06.Z\""), "not a time");
	expect_bad(edit("\"start_time\":", "\"2026\""), "not a time");
	expect_bad(edit("\"start_time\":", "null"), "not a time");
	/* its nanoseconds would not fit */
	expect_bad(edit("\"start_time\":", "\"4052-11-23T09:20:06Z\""), "not a time");
	expect_bad(edit("\"end_time\":", "1"), "not a time");
	expect_bad(edit("\"duration_seconds\":", "-0.5"), "duration_seconds");
	expect_bad(edit("\"duration_seconds\":", "\"1\""), "duration_seconds");
	expect_bad(edit("\"duration_seconds\":", "null,\"end_time\":\"2026-11-23T09:20:05.000Z\""),
		   "ends before it starts");
	/* later than now: the wall clock was set back since */
	expect_bad(edit("\"duration_seconds\":", "500"), "ends after now");
	expect_bad(edit("\"cpu_user_seconds\":", "-1"), "CPU");
	expect_bad(edit("\"cpu_user_seconds\":", "1e300"), "CPU");
	expect_bad(edit("\"max_rss_bytes\":", "1.5"), "max_rss_bytes");
	expect_bad(edit("\"exit_code\":", "300"), "exit_code");
	expect_bad(edit("\"signal\":", "200"), "signal");
}

/* ---- the file ---- */

/* what a file is read into: a timeline and a state, new for each test */
static struct {
	struct timeline *t;
	struct state *s;
} page;

static int page_setup(void **state)
{
	(void)state;
	page.t = timeline__new(NULL);
	page.s = state__new(&(struct state_opts){ 0 });
	return page.t && page.s ? 0 : -1;
}

static int page_teardown(void **state)
{
	(void)state;
	timeline__free(page.t);
	state__free(page.s);
	return 0;
}

static char dir[] = "/tmp/rs-history-XXXXXX";
static char path[4200];

/* a finished line for runner, pid, ended ago_s seconds ago */
static int line_for(char *out, size_t sz, const char *runner, unsigned int pid, int ago_s,
		    const char *result)
{
	char start[40], end[40];
	time_t t = time(NULL) - ago_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(end, sizeof(end), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	t -= 2;
	gmtime_r(&t, &tm);
	strftime(start, sizeof(start), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	return snprintf(out, sz,
			"{\"event\":\"job_finished\",\"kind\":\"github\",\"runner\":\"%s\","
			"\"pid\":%u,\"start_time\":\"%s\",\"end_time\":\"%s\","
			"\"duration_seconds\":2.0,\"result\":\"%s\",\"exit_code\":100}",
			runner, pid, start, end, result);
}

static void write_file(const char *name, const char *text, size_t len)
{
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len, f), len);
	fclose(f);
}

/* history__load() with stderr into log (the warnings) */
static int load(struct timeline *t, struct state *s, struct history_stats *st, char *log,
		size_t log_sz)
{
	char lp[4300];
	int saved = dup(2), fd, err;
	ssize_t n;

	snprintf(lp, sizeof(lp), "%s/log", dir);
	fd = open(lp, O_RDWR | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0 && saved >= 0);
	fflush(stderr);
	dup2(fd, 2);
	err = history__load(path, t, s, st);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	n = pread(fd, log, log_sz - 1, 0);
	log[n > 0 ? n : 0] = '\0';
	close(fd);
	return err;
}

static int warnings(const char *log)
{
	int n = 0;

	for (const char *p = log; (p = strstr(p, "level=warn")); p++)
		n++;
	return n;
}

static void test_a_file_with_every_kind_of_bad_line(void **state)
{
	struct timeline *t = page.t;
	struct state *s = page.s;
	static char text[400000];
	char a[1024], b[1024], log[4096];
	struct history_stats st;
	size_t n = 0;

	(void)state;
	line_for(a, sizeof(a), "one", 10, 60, "success");
	line_for(b, sizeof(b), "two", 11, 30, "failure");
	n += (size_t)sprintf(text + n, "%s\n", a);
	n += (size_t)sprintf(text + n, "{\"event\":\"job_started\",\"pid\":12}\n");
	n += (size_t)sprintf(text + n, "garbage\n\n");
	/* a line longer than any the log writes */
	memset(text + n, 'x', 200000);
	n += 200000;
	text[n++] = '\n';
	n += (size_t)sprintf(text + n, "%s\n", b);
	/* the same job twice: shown once */
	n += (size_t)sprintf(text + n, "%s\n", a);
	/* a job from before this boot */
	n += (size_t)sprintf(text + n, "{\"event\":\"job_finished\",\"kind\":\"github\","
				       "\"runner\":\"old\",\"pid\":1,"
				       "\"start_time\":\"1971-01-01T00:00:00.000Z\","
				       "\"end_time\":\"1971-01-01T00:00:01.000Z\","
				       "\"result\":\"success\"}\n");
	/* and the last line unfinished */
	n += (size_t)snprintf(text + n, 40, "%s", b);
	write_file("events.jsonl", text, n);

	assert_int_equal(load(t, s, &st, log, sizeof(log)), 0);
	assert_int_equal(st.jobs, 3);
	assert_int_equal(st.before_boot, 1);
	assert_int_equal(st.bad, 3);
	assert_false(st.tail);
	/* one warning, with the first bad line's place and cause */
	assert_int_equal(warnings(log), 1);
	if (!strstr(log, "3 lines not read back (the first at byte ") || !strstr(log, "not JSON"))
		fail_msg("%s", log);
	if (!strstr(log, "read back 3 finished jobs") ||
	    !strstr(log, "1 that began before this boot left out"))
		fail_msg("%s", log);

	timeline_lock(t);
	assert_non_null(timeline_job_at(t, 0));
	assert_string_equal(timeline_job_runner(timeline_job_at(t, 0)), "one");
	assert_string_equal(timeline_job_runner(timeline_job_at(t, 1)), "two");
	assert_int_equal(timeline_job_at(t, 1)->result, RESULT_FAILURE);
	assert_null(timeline_job_at(t, 2));
	timeline_unlock(t);
	state__lock(s);
	assert_string_equal(state__recent(s, 0)->runner, "two");
	assert_string_equal(state__recent(s, 1)->runner, "one");
	assert_null(state__recent(s, 2));
	/* the page shows it as long ago as it was */
	{
		uint64_t now = clock_ns(CLOCK_BOOTTIME), end = state__recent(s, 1)->end_ns;

		assert_true(now - end > 58 * S && now - end < 63 * S);
	}
	state__unlock(s);
}

static void test_files_with_nothing_to_read(void **state)
{
	struct timeline *t = page.t;
	struct state *s = page.s;
	struct history_stats st;
	char log[4096];

	(void)state;
	/* empty, as after a rotation */
	write_file("empty", "", 0);
	assert_int_equal(load(t, s, &st, log, sizeof(log)), 0);
	assert_int_equal(st.jobs + st.bad, 0);
	assert_int_equal(warnings(log), 0);
	/* not there yet */
	snprintf(path, sizeof(path), "%s/none", dir);
	assert_int_equal(load(t, s, &st, log, sizeof(log)), 0);
	assert_int_equal(warnings(log), 0);
	/* a pipe is not read: nothing waits for its writer */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	assert_int_equal(load(t, s, &st, log, sizeof(log)), 0);
	assert_non_null(strstr(log, "is not a regular file"));
	snprintf(path, sizeof(path), "/dev/zero");
	assert_int_equal(load(t, s, &st, log, sizeof(log)), 0);
	/* unreadable: one warning */
	snprintf(path, sizeof(path), "%s/empty/x", dir);
	assert_int_equal(load(t, s, &st, log, sizeof(log)), -ENOTDIR);
	assert_int_equal(warnings(log), 1);
	assert_non_null(strstr(log, "cannot read back the event log"));
	timeline_lock(t);
	assert_null(timeline_job_at(t, 0));
	timeline_unlock(t);
	state__lock(s);
	assert_null(state__recent(s, 0));
	state__unlock(s);
}

static void test_only_the_tail_of_a_big_file(void **state)
{
	struct timeline *t = page.t;
	struct state *s = page.s;
	size_t sz = HISTORY_TAIL_BYTES + (1U << 20), n = 0;
	char *text = malloc(sz + 4096), log[4096];
	struct history_stats st;

	(void)state;
	assert_non_null(text);
	n += (size_t)line_for(text, 1024, "before-the-tail", 20, 90, "success");
	text[n++] = '\n';
	/* job_started lines of 100 bytes, one of them cut by where the tail begins */
	while (n < sz) {
		n += (size_t)sprintf(text + n, "{\"event\":\"job_started\",\"pid\":1,"
					       "\"x\":\"%056d\"}", 0);
		text[n++] = '\n';
	}
	n += (size_t)line_for(text + n, 1024, "in-the-tail", 21, 10, "cancelled");
	text[n++] = '\n';
	write_file("big", text, n);
	free(text);
	assert_int_equal(load(t, s, &st, log, sizeof(log)), 0);
	assert_true(st.tail);
	assert_int_equal(st.jobs, 1);
	/* the line the tail begins in is skipped, not taken for a bad one */
	assert_int_equal(st.bad, 0);
	assert_non_null(strstr(log, "(its last 16 MiB)"));
	state__lock(s);
	assert_string_equal(state__recent(s, 0)->runner, "in-the-tail");
	assert_null(state__recent(s, 1));
	state__unlock(s);
}

static struct mem_store mem; /* too large for a test's stack */

static void to_timeline(void *ctx, const struct job_record *r)
{
	timeline_add(ctx, r);
}

/* a Gitea job of several processes (tgid 0) on runner r1, 100 s after boot, ending 2 s later */
static void run_job(struct state *s, int writes_left_at_the_end)
{
	const struct rs_key key = { .tgid = 0, .start_ns = 100 * S };
	struct rs_job rec = { .kind = KIND_GITEA, .state = RS_STATE_FINISHED, .run_ns = S,
			      .utime_ns = S, .total_procs = 1, .end_ns = 102 * S };

	state__name_job(s, &key, KIND_GITEA, "r1");
	mem.writes_left = writes_left_at_the_end;
	assert_int_equal(state__job(s, &key, &rec, NULL, NULL, NULL), 1);
	mem.writes_left = -1;
}

/*
 * What one daemon wrote, the next reads back; and a job that daemon published and was killed
 * before counting (its line written), which the next counts and publishes again, shows once.
 */
static void test_what_the_log_wrote_is_read_back_once(void **state)
{
	struct state_opts o = { .on_job = eventlog__on_job };
	struct timeline *t = timeline__new(NULL);
	struct history_stats st;
	const struct job_record *r;
	struct state *s;
	char log[4096];

	(void)state;
	mem_init(&mem);
	snprintf(path, sizeof(path), "%s/written", dir);
	o.on_job_ctx = eventlog__new(path);
	assert_non_null(o.on_job_ctx);
	s = state__new(&o);
	state__set_store(s, &mem_ops, &mem);
	run_job(s, 0);
	state__free(s);
	assert_int_equal(eventlog_lines(o.on_job_ctx), 2);
	eventlog__free(o.on_job_ctx);

	o = (struct state_opts){ .on_job = to_timeline, .on_job_ctx = t };
	s = state__new(&o);
	assert_int_equal(load(t, s, &st, log, sizeof(log)), 0);
	assert_int_equal(st.jobs, 1);
	assert_int_equal(st.bad, 0);
	state__set_store(s, &mem_ops, &mem);
	run_job(s, -1);
	state__lock(s);
	r = state__recent(s, 0);
	assert_non_null(r);
	assert_null(state__recent(s, 1));
	assert_int_equal(r->kind, KIND_GITEA);
	assert_string_equal(r->runner, "r1");
	assert_int_equal(r->result, RESULT_SUCCESS);
	/* to the millisecond of the log's times, and each reading of the clocks */
	assert_true(r->start_ns + 2000000 > 100 * S && r->start_ns < 100 * S + 2000000);
	assert_true(r->end_ns - r->start_ns == 2 * S);
	assert_int_equal(r->cpu_user_ns, S);
	state__unlock(s);
	timeline_lock(t);
	assert_non_null(timeline_job_at(t, 0));
	assert_null(timeline_job_at(t, 1));
	timeline_unlock(t);
	state__free(s);
	timeline__free(t);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_finished_line),
		cmocka_unit_test(test_wait_and_neighbours),
		cmocka_unit_test(test_other_lines_and_other_jobs),
		cmocka_unit_test(test_oversized_and_odd_values_are_cut_and_made_safe),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test_setup_teardown(test_a_file_with_every_kind_of_bad_line, page_setup, page_teardown),
		cmocka_unit_test_setup_teardown(test_files_with_nothing_to_read, page_setup, page_teardown),
		cmocka_unit_test_setup_teardown(test_only_the_tail_of_a_big_file, page_setup, page_teardown),
		cmocka_unit_test(test_what_the_log_wrote_is_read_back_once),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
