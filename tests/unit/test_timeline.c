// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ci/detect.h"
#include "expo/status.h"
#include "expo/timeline.h"
#include "expo/timeline_svg.h"
#include "state/job_record.h"

#define S 1000000000ULL
#define H (3600 * S)
#define NOW (100 * H)
#define EVIL "<script>alert('x')</script>&\"q\""
#define EVIL_HTML "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;q&quot;"

static void record(struct job_record *r, const char *runner, uint64_t start, uint64_t end,
		   int result)
{
	memset(r, 0, sizeof(*r));
	r->has_runner = 1;
	r->kind = 1;
	snprintf(r->runner, sizeof(r->runner), "%s", runner);
	snprintf(r->container, sizeof(r->container), "ctr-%s", runner);
	r->finished = 1;
	r->start_ns = start;
	r->end_ns = end;
	r->result = result;
	r->pid = 42;
	r->cpu_user_ns = 2 * S;
	r->cpu_system_ns = S;
	r->max_rss = 3ULL << 20;
}

static void add(struct timeline *t, const char *runner, uint64_t start, uint64_t end, int result)
{
	struct job_record r;

	record(&r, runner, start, end, result);
	timeline_add(t, &r);
}

static void test_clip(void **state)
{
	uint64_t a, b;

	(void)state;
	assert_int_equal(timeline_clip(10, 20, 0, 100, &a, &b), 0);
	assert_int_equal(a, 10);
	assert_int_equal(b, 20);
	/* started before the window: from its start */
	assert_int_equal(timeline_clip(0, 50, 40, 100, &a, &b), 0);
	assert_int_equal(a, 40);
	assert_int_equal(b, 50);
	/* running past its end: to its end */
	assert_int_equal(timeline_clip(90, 200, 40, 100, &a, &b), 0);
	assert_int_equal(a, 90);
	assert_int_equal(b, 100);
	assert_int_equal(timeline_clip(0, 39, 40, 100, &a, &b), -1);
	assert_int_equal(timeline_clip(101, 120, 40, 100, &a, &b), -1);
	/* a job of no length is in the window it happened in */
	assert_int_equal(timeline_clip(50, 50, 40, 100, &a, &b), 0);
}

static void test_busy(void **state)
{
	const uint64_t none[][2] = { { 0, 0 } };
	const uint64_t spans[][2] = { { 0, 30 }, { 20, 40 }, { 50, 60 }, { 55, 58 }, { 90, 200 } };

	(void)state;
	assert_int_equal(timeline_busy_ns(none, 0, 0, 100), 0);
	/* [10,40] + [50,60] + [90,100]: overlaps count once, the window clips */
	assert_int_equal(timeline_busy_ns(spans, 5, 10, 100), 30 + 10 + 10);
	assert_int_equal(timeline_busy_ns(spans, 5, 0, 1000), 40 + 10 + 110);
	assert_int_equal(timeline_busy_ns(spans, 5, 41, 49), 0);
}

static const struct timeline_row *row_named(const struct timeline_view *v, const char *name)
{
	for (int i = 0; i < v->nrows; i++)
		if (!strcmp(v->rows[i]->runner, name))
			return v->rows[i];
	fail_msg("no row %s", name);
	return NULL;
}

static void test_view_busy_and_order(void **state)
{
	struct timeline *t = timeline__new(NULL);
	struct timeline_view v;
	struct timeline_job *run;
	struct timeline_src src = { .kind = 1,
				    .runner = "runs",
				    .group = "pod-z",
				    .start_ns = NOW - H / 10,
				    .end_ns = NOW,
				    .result = TIMELINE_RUNNING };
	char busy[16];

	(void)state;
	assert_non_null(t);
	/* the window is the last hour */
	add(t, "half", NOW - H, NOW - H / 2, RESULT_SUCCESS);
	add(t, "half", NOW - 3 * H / 4, NOW - H / 2, RESULT_FAILURE); /* inside the first */
	add(t, "tenth", NOW - 2 * H, NOW - H + H / 10, RESULT_SUCCESS); /* clipped */
	add(t, "old", NOW - 3 * H, NOW - 2 * H, RESULT_SUCCESS); /* before the window */
	timeline_view_init(&v, &(struct timeline_view_opts){ .w0 = NOW - H, .w1 = NOW });
	timeline_view_runner(&v, 1, "idle-b", "(host)", 0);
	timeline_view_runner(&v, 1, "idle-a", "(host)", 0);
	timeline_view_runner(&v, 1, "runs", "pod-z", 1);
	run = timeline_job_new(&src);
	timeline_view_job_owned(&v, run);
	timeline_view_timeline(&v, t);
	timeline_view_finish(&v);
	assert_false(v.oom);
	assert_int_equal(v.nitems, 4);
	assert_int_equal(row_named(&v, "half")->busy_ns, H / 2);
	assert_int_equal(row_named(&v, "tenth")->busy_ns, H / 10);
	assert_int_equal(row_named(&v, "runs")->busy_ns, H / 10);
	timeline_busy(busy, sizeof(busy), &v, row_named(&v, "half"));
	assert_string_equal(busy, "50%");
	timeline_busy(busy, sizeof(busy), &v, row_named(&v, "idle-a"));
	assert_string_equal(busy, "0%");
	/* running first, then by how busy, then the idle ones by name; "old" has no row */
	assert_int_equal(v.nrows, 5);
	assert_int_equal(v.active, 3);
	assert_int_equal(v.shown, 3);
	assert_string_equal(v.rows[0]->runner, "runs");
	assert_string_equal(v.rows[1]->runner, "half");
	assert_string_equal(v.rows[2]->runner, "tenth");
	assert_string_equal(v.rows[3]->runner, "idle-a");
	assert_string_equal(v.rows[4]->runner, "idle-b");
	assert_int_equal(v.rows[4]->cls, TIMELINE_CLASS_IDLE);
	/* each row's jobs by start */
	assert_int_equal(v.rows[1]->n, 2);
	assert_true(v.items[v.rows[1]->first].job->start_ns <
		    v.items[v.rows[1]->first + 1].job->start_ns);
	assert_int_equal(v.items[v.rows[1]->first].job->result, RESULT_SUCCESS);
	timeline_view_free(&v);
	timeline__free(t);
}

static void test_groups_and_folding(void **state)
{
	struct timeline *t = timeline__new(NULL);
	struct job_record r;
	struct timeline_view v;
	char name[16];

	(void)state;
	/* two runners in pod-x (busy 10 % and 50 %), one in pod-y (30 %): pod-x first, whole */
	record(&r, "x-low", NOW - H / 10, NOW, RESULT_SUCCESS);
	snprintf(r.pod, sizeof(r.pod), "pod-x");
	snprintf(r.ns, sizeof(r.ns), "ci");
	timeline_add(t, &r);
	record(&r, "x-high", NOW - H / 2, NOW, RESULT_SUCCESS);
	snprintf(r.pod, sizeof(r.pod), "pod-x");
	snprintf(r.ns, sizeof(r.ns), "ci");
	timeline_add(t, &r);
	add(t, "y", NOW - 3 * H / 10, NOW, RESULT_SUCCESS);
	/* and 30 quieter runners: only max_rows are drawn */
	for (int i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "q%02d", i);
		add(t, name, NOW - S * (uint64_t)(i + 1), NOW - S * (uint64_t)i, RESULT_FAILURE);
	}
	timeline_view_init(&v,
			   &(struct timeline_view_opts){ .w0 = NOW - H, .w1 = NOW, .max_rows = 5 });
	for (int i = 0; i < 150; i++) {
		snprintf(name, sizeof(name), "idle%03d", i);
		timeline_view_runner(&v, 1, name, "(host)", 0);
	}
	timeline_view_timeline(&v, t);
	timeline_view_finish(&v);
	assert_string_equal(v.rows[0]->runner, "x-high");
	assert_string_equal(v.rows[0]->group, "ci/pod-x");
	assert_string_equal(v.rows[1]->runner, "x-low");
	assert_string_equal(v.rows[2]->runner, "y");
	assert_int_equal(v.nrows, 183);
	assert_int_equal(v.active, 33);
	assert_int_equal(v.shown, 5);
	timeline_view_free(&v);
	timeline__free(t);
}

static void test_bar_cap(void **state)
{
	struct timeline *t = timeline__new(NULL);
	struct timeline_view v;
	int drawn = 0;

	(void)state;
	for (int i = 0; i < 10; i++)
		add(t, i % 2 ? "a" : "b", NOW - H + (uint64_t)i * S, NOW - H + (uint64_t)i * S + S,
		    RESULT_SUCCESS);
	timeline_view_init(&v,
			   &(struct timeline_view_opts){ .w0 = NOW - H, .w1 = NOW, .max_bars = 4 });
	timeline_view_timeline(&v, t);
	timeline_view_finish(&v);
	for (int i = 0; i < v.nitems; i++) {
		drawn += v.items[i].drawn;
		/* the newest are drawn */
		assert_int_equal(v.items[i].drawn, v.items[i].job->start_ns >= NOW - H + 6 * S);
	}
	assert_int_equal(drawn, 4);
	assert_int_equal(v.undrawn, 6);
	/* every job still counts for the busy fraction */
	assert_int_equal(row_named(&v, "a")->busy_ns + row_named(&v, "b")->busy_ns, 10 * S);
	timeline_view_free(&v);
	timeline__free(t);
}

static void test_memory_bound(void **state)
{
	struct timeline *t = timeline__new(NULL);
	struct timeline_stats st;
	struct job_record r;
	const struct timeline_job *j;

	(void)state;
	for (int i = 0; i < 25000; i++)
		add(t, "busy", NOW + (uint64_t)i * S, NOW + (uint64_t)i * S + S / 2, RESULT_SUCCESS);
	timeline_stats(t, &st);
	assert_int_equal(st.jobs, TIMELINE_JOBS);
	assert_int_equal(st.dropped, 25000 - TIMELINE_JOBS);
	/* the oldest went: what is kept are the newest */
	timeline_lock(t);
	j = timeline_job_at(t, 0);
	assert_int_equal(j->start_ns, NOW + (uint64_t)(25000 - TIMELINE_JOBS) * S);
	assert_null(timeline_job_at(t, TIMELINE_JOBS));
	timeline_unlock(t);
	assert_true(st.bytes < (size_t)TIMELINE_JOBS * 200);
	assert_true(st.bytes <= TIMELINE_BYTES + sizeof(void *) * TIMELINE_JOBS + 256);
	timeline__free(t);

	/* names as long as they come: the bytes bound, not the count, holds it */
	t = timeline__new(&(struct timeline_opts){ .max_bytes = 1 << 20 });
	for (int i = 0; i < 5000; i++) {
		record(&r, "", NOW + (uint64_t)i * S, NOW + (uint64_t)i * S + S, RESULT_FAILURE);
		memset(r.runner, 'r', sizeof(r.runner) - 1);
		memset(r.container, 'c', sizeof(r.container) - 1);
		memset(r.ctx.repository, 'p', sizeof(r.ctx.repository) - 1);
		memset(r.ctx.workflow, 'w', sizeof(r.ctx.workflow) - 1);
		memset(r.ctx.job, 'j', sizeof(r.ctx.job) - 1);
		r.have_ctx = 1;
		timeline_add(t, &r);
	}
	timeline_stats(t, &st);
	assert_true(st.jobs < 5000 && st.jobs > 500);
	assert_true(st.bytes <= (1 << 20) + sizeof(void *) * TIMELINE_JOBS + 256);
	timeline__free(t);

	/* a day: a job that ended more than 24 h before the newest goes */
	t = timeline__new(NULL);
	add(t, "a", NOW, NOW + S, RESULT_SUCCESS);
	add(t, "a", NOW + 2 * S, NOW + 3 * S, RESULT_SUCCESS);
	add(t, "a", NOW + 25 * H, NOW + 25 * H + S, RESULT_SUCCESS);
	timeline_stats(t, &st);
	assert_int_equal(st.jobs, 1);
	/* dropped for age: the timeline is not short of anything in its day */
	assert_int_equal(st.dropped_end_ns, 0);
	/* a started job is not kept */
	record(&r, "a", NOW, 0, RESULT_SUCCESS);
	r.finished = 0;
	timeline_add(t, &r);
	timeline_stats(t, &st);
	assert_int_equal(st.jobs, 1);
	timeline__free(t);
}

static int count(const char *hay, const char *needle)
{
	int n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_svg_escapes_hostile_names(void **state)
{
	struct timeline *t = timeline__new(NULL);
	struct timeline_render ro = { .now = NOW, .wall_now = 1.8e9, .window = "1h", .refresh = 1 };
	struct job_record r;
	struct timeline_view v;
	struct buf b;

	(void)state;
	record(&r, EVIL, NOW - H / 2, NOW - H / 4, RESULT_FAILURE);
	snprintf(r.container, sizeof(r.container), "%s", EVIL);
	snprintf(r.ctx.repository, sizeof(r.ctx.repository), "%s", EVIL);
	snprintf(r.ctx.workflow, sizeof(r.ctx.workflow), "wf\n\x1b[31m");
	snprintf(r.ctx.job, sizeof(r.ctx.job), "]]></title><script>x</script>");
	r.have_ctx = 1;
	r.oom_kills = 2;
	timeline_add(t, &r);
	add(t, "plain", NOW - H / 3, NOW - H / 5, RESULT_SUCCESS);
	add(t, "plain", NOW - H / 6, NOW - H / 7, RESULT_CANCELLED);
	timeline_view_init(&v, &(struct timeline_view_opts){ .w0 = NOW - H,
							     .w1 = NOW,
							     .max_rows = 40,
							     .max_bars = TIMELINE_MAX_BARS });
	timeline_view_runner(&v, 1, "idle <i>", "(host)", 0);
	timeline_view_timeline(&v, t);
	timeline_view_finish(&v);
	buf_init(&b);
	timeline_render_html(&b, &v, &ro);
	assert_false(b.oom);
	/* names are text wherever they appear: labels, titles, tips, data attributes, the fold */
	assert_null(strstr(b.p, "<script"));
	assert_null(strstr(b.p, "<i>"));
	assert_null(strstr(b.p, "\x1b"));
	assert_non_null(strstr(b.p, "data-runner=\"" EVIL_HTML "\""));
	assert_true(count(b.p, EVIL_HTML) >= 4);
	assert_non_null(strstr(b.p, "&lt;/title&gt;&lt;script&gt;x&lt;/script&gt;"));
	assert_non_null(strstr(b.p, "idle &lt;i&gt;"));
	/* one bar a job, with its result as a class, and details */
	assert_int_equal(count(b.p, "<g class=\"j "), 3);
	assert_int_equal(count(b.p, "<g class=\"j failure\" tabindex=\"0\">"), 1);
	assert_int_equal(count(b.p, "<g class=\"j cancelled\" tabindex=\"0\">"), 1);
	assert_non_null(strstr(b.p, "2 OOM kills"));
	assert_non_null(strstr(b.p, "peak memory 3.0 MiB"));
	/* a text alternative */
	assert_non_null(strstr(b.p, "aria-labelledby=\"tl-t\" aria-describedby=\"tl-d\""));
	assert_non_null(strstr(b.p, "3 jobs, 1 success, 1 failure, 1 cancelled."));
	assert_non_null(strstr(b.p, "and 1 idle runner</summary>"));
	/* the links keep to the page */
	assert_non_null(strstr(b.p, "href=\"?window=6h\""));
	assert_null(strstr(b.p, "http"));
	buf_free(&b);
	timeline_view_free(&v);
	timeline__free(t);
}

static void test_window(void **state)
{
	struct status_opts o;

	(void)state;
	assert_int_equal(status__window(NULL, &o), 0);
	assert_int_equal(o.window_ns, H);
	assert_string_equal(o.window, "1h");
	assert_int_equal(status__window("6h", &o), 0);
	assert_int_equal(o.window_ns, 6 * H);
	assert_int_equal(status__window("24h", &o), 0);
	assert_string_equal(o.window, "24h");
	assert_int_equal(status__window("90m", &o), 0);
	assert_string_equal(o.window, "90m");
	assert_int_equal(status__window("120m", &o), 0);
	assert_string_equal(o.window, "2h");
	/* past what is kept, or not a window: the default */
	assert_int_equal(status__window("25h", &o), -EINVAL);
	assert_int_equal(o.window_ns, H);
	assert_int_equal(status__window("0h", &o), -EINVAL);
	assert_int_equal(status__window("6h<script>", &o), -EINVAL);
	assert_string_equal(o.window, "1h");
	assert_int_equal(status__window("-1h", &o), -EINVAL);
	assert_int_equal(status__window("99999999999999999999h", &o), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clip),
		cmocka_unit_test(test_busy),
		cmocka_unit_test(test_view_busy_and_order),
		cmocka_unit_test(test_groups_and_folding),
		cmocka_unit_test(test_bar_cap),
		cmocka_unit_test(test_memory_bound),
		cmocka_unit_test(test_svg_escapes_hostile_names),
		cmocka_unit_test(test_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
