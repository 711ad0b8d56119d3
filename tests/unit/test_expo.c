// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "lib/bucket.h"
#include "expo/expo.h"
#include "lib/utf8.h"

#define FFFD "\xef\xbf\xbd"

static void check_escape(const char *in, const char *want)
{
	struct buf b;

	buf_init(&b);
	expo_escape_label(&b, in);
	assert_false(b.oom);
	assert_non_null(b.p);
	assert_string_equal(b.p, want);
	assert_int_equal(b.len, strlen(want));
	buf_free(&b);
}

static void test_escape_label(void **state)
{
	struct buf b;

	(void)state;
	check_escape("plain", "plain");
	check_escape("a\\b", "a\\\\b");
	check_escape("say \"hi\"", "say \\\"hi\\\"");
	check_escape("two\nlines\n", "two\\nlines\\n");
	check_escape("\\\"\n", "\\\\\\\"\\n");
	/* the text format escapes only these three: tabs, CR and others pass as they are */
	check_escape("a\tb\rc\x01" "d\x7f", "a\tb\rc\x01" "d\x7f");
	check_escape("m\xc3\xbcller \xe2\x9c\x93", "m\xc3\xbcller \xe2\x9c\x93");

	/* appends: earlier content stays */
	buf_init(&b);
	buf_puts(&b, "x=\"");
	expo_escape_label(&b, "");
	expo_escape_label(&b, "q\"");
	buf_puts(&b, "\"");
	assert_string_equal(b.p, "x=\"q\\\"\"");
	buf_free(&b);
}

static void check_sanitize(const char *in, size_t in_len, size_t dst_sz, const char *want)
{
	char dst[256];
	size_t n;

	assert_true(dst_sz <= sizeof(dst));
	memset(dst, 0x55, sizeof(dst));
	n = utf8_sanitize(dst, dst_sz, in, in_len);
	assert_string_equal(dst, want);
	assert_int_equal(n, strlen(want));
	assert_true(n < dst_sz);
}

#define SAN(in, want) check_sanitize(in, sizeof(in) - 1, 256, want)

static void test_sanitize_valid(void **state)
{
	static const char all_ascii[] = " !\"#$%&'()*+,-./0123456789:;<=>?@"
					"ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`"
					"abcdefghijklmnopqrstuvwxyz{|}~\t\n\x7f";

	(void)state;
	SAN("", "");
	SAN(all_ascii, all_ascii);
	/* one character of each length, and the edges of the valid ranges */
	SAN("\xc2\x80 \xdf\xbf", "\xc2\x80 \xdf\xbf");
	SAN("\xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf", "\xe0\xa0\x80 \xed\x9f\xbf "
								   "\xee\x80\x80 \xef\xbf\xbf");
	SAN("\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf", "\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf");
	SAN("gr\xc3\xbc\xc3\x9f \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x9a\x80",
	    "gr\xc3\xbc\xc3\x9f \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x9a\x80");
	SAN(FFFD, FFFD);
}

static void test_sanitize_invalid(void **state)
{
	(void)state;
	/* every byte that starts no valid sequence becomes one U+FFFD */
	SAN("a\xff" "b", "a" FFFD "b");
	SAN("\x80", FFFD);
	SAN("\xbf\x80", FFFD FFFD);
	SAN("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD);
	SAN("\xfe\xff", FFFD FFFD);
	/* overlong encodings of '/', and of U+0000, U+07FF, U+FFFF */
	SAN("\xc0\xaf", FFFD FFFD);
	SAN("\xc1\xbf", FFFD FFFD);
	SAN("\xc0\x80", FFFD FFFD);
	SAN("\xe0\x9f\xbf", FFFD FFFD FFFD);
	SAN("\xf0\x8f\xbf\xbf", FFFD FFFD FFFD FFFD);
	/* UTF-16 surrogates */
	SAN("\xed\xa0\x80", FFFD FFFD FFFD);
	SAN("\xed\xbf\xbf", FFFD FFFD FFFD);
	/* past U+10FFFF */
	SAN("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);
	/* truncated sequences: at the end and followed by ASCII */
	SAN("ab\xc3", "ab" FFFD);
	SAN("ab\xe2\x82", "ab" FFFD FFFD);
	SAN("\xf0\x9f\x9a", FFFD FFFD FFFD);
	SAN("\xe2\x82x", FFFD FFFD "x");
	SAN("\xc3\xc3\xbc", FFFD "\xc3\xbc");
}

static void test_sanitize_nul(void **state)
{
	(void)state;
	SAN("a\0b\0", "ab");
	SAN("\0\0\0", "");
	/* src_len counts, not the NUL */
	check_sanitize("abcdef", 3, 256, "abc");
}

static void test_sanitize_cut(void **state)
{
	char dst[8];

	(void)state;
	check_sanitize("abcdef", 6, 4, "abc");
	check_sanitize("abc", 3, 4, "abc");
	/* the 2-byte character would end past dst_sz - 1 */
	check_sanitize("ab\xc3\xbc", 4, 4, "ab");
	check_sanitize("a\xe2\x9c\x93", 4, 4, "a");
	check_sanitize("a\xe2\x9c\x93", 4, 5, "a\xe2\x9c\x93");
	check_sanitize("\xf0\x9f\x9a\x80z", 5, 5, "\xf0\x9f\x9a\x80");
	check_sanitize("\xf0\x9f\x9a\x80z", 5, 4, "");
	/* a replacement character is cut whole too */
	check_sanitize("ab\xff", 3, 5, "ab");
	check_sanitize("ab\xff", 3, 6, "ab" FFFD);
	check_sanitize("abc", 3, 1, "");

	/* dst_sz 0: nothing written at all */
	memset(dst, 'z', sizeof(dst));
	assert_int_equal(utf8_sanitize(dst, 0, "abc", 3), 0);
	assert_int_equal(dst[0], 'z');
}

static char *sample(const char *name, const struct label *l, int n, double v)
{
	static char out[512];
	struct buf b;

	buf_init(&b);
	expo_sample(&b, name, l, n, v);
	assert_false(b.oom);
	assert_non_null(b.p);
	assert_int_equal(b.len, strlen(b.p));
	snprintf(out, sizeof(out), "%s", b.p);
	buf_free(&b);
	return out;
}

static void test_sample(void **state)
{
	const struct label l2[] = { { "kind", "github" }, { "runner", "ci-7" } };
	const struct label esc[] = { { "runner", "a\"b\\c\nd" } };
	const struct label null_value[] = { { "container", NULL } };

	(void)state;
	assert_string_equal(sample("runnerscope_up", NULL, 0, 1), "runnerscope_up 1\n");
	assert_string_equal(sample("m", l2, 2, 0), "m{kind=\"github\",runner=\"ci-7\"} 0\n");
	assert_string_equal(sample("m", l2, 1, 3), "m{kind=\"github\"} 3\n");
	assert_string_equal(sample("m", esc, 1, 2), "m{runner=\"a\\\"b\\\\c\\nd\"} 2\n");
	assert_string_equal(sample("m", null_value, 1, 2), "m{container=\"\"} 2\n");
}

static void test_sample_values(void **state)
{
	(void)state;
	assert_string_equal(sample("m", NULL, 0, 42), "m 42\n");
	assert_string_equal(sample("m", NULL, 0, -3), "m -3\n");
	assert_string_equal(sample("m", NULL, 0, 0.5), "m 0.5\n");
	assert_string_equal(sample("m", NULL, 0, 0.1), "m 0.1\n");
	assert_string_equal(sample("m", NULL, 0, 1700000000.25), "m 1700000000.25\n");
	assert_string_equal(sample("m", NULL, 0, 1e-9), "m 1e-09\n");
	/* counters print whole, not in exponent form */
	assert_string_equal(sample("m", NULL, 0, 1099511627776.0), "m 1099511627776\n");
	assert_string_equal(sample("m", NULL, 0, (double)UINT32_MAX + 1), "m 4294967296\n");
	assert_string_equal(sample("m", NULL, 0, NAN), "m NaN\n");
	assert_string_equal(sample("m", NULL, 0, INFINITY), "m +Inf\n");
	assert_string_equal(sample("m", NULL, 0, -INFINITY), "m -Inf\n");
}

/* whatever the form, a value must read back as the same double */
static void test_sample_round_trip(void **state)
{
	static const double values[] = {
		9007199254740992.0, /* 2^53 */
		9007199254740991.0,
		1e15 + 1,
		123456789012345678.0,
		0.1 + 0.2,
		1.0 / 3,
		2.5e-300,
		1.7976931348623157e308,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		const char *s = sample("m", NULL, 0, values[i]);
		double back = strtod(s + 2, NULL);

		if (back != values[i])
			fail_msg("%.17g printed as %s", values[i], s);
	}
}

static void test_histogram(void **state)
{
	static const double bounds[] = { 1, 5, 10 }, values[] = { 0.5, 1, 7, 100 };
	uint64_t counts[4] = { 0 };
	struct histogram hist = { bounds, 3, counts, 0, 0 }, *h = &hist;
	const struct label l[] = { { "kind", "github" }, { "result", "success" } };
	struct buf b;

	(void)state;
	/* bounds are inclusive: 1 is under le="1" */
	for (int i = 0; i < 4; i++) {
		h->buckets[bucket_index(bounds, 3, values[i])]++;
		h->sum += values[i];
		h->count++;
	}
	assert_int_equal(bucket_index(bounds, 3, 1), 0);
	assert_int_equal(bucket_index(bounds, 3, 1.0000001), 1);
	assert_int_equal(bucket_index(bounds, 3, 10), 2);
	assert_int_equal(bucket_index(bounds, 3, 11), 3);
	assert_int_equal(h->count, 4);
	assert_true(h->sum == 108.5);
	assert_int_equal(h->buckets[0], 2);
	assert_int_equal(h->buckets[1], 0);
	assert_int_equal(h->buckets[2], 1);
	assert_int_equal(h->buckets[3], 1);

	buf_init(&b);
	expo_histogram(&b, "job_duration_seconds", NULL, 0, h);
	assert_string_equal(b.p, "job_duration_seconds_bucket{le=\"1\"} 2\n"
				 "job_duration_seconds_bucket{le=\"5\"} 2\n"
				 "job_duration_seconds_bucket{le=\"10\"} 3\n"
				 "job_duration_seconds_bucket{le=\"+Inf\"} 4\n"
				 "job_duration_seconds_sum 108.5\n"
				 "job_duration_seconds_count 4\n");
	buf_free(&b);

	buf_init(&b);
	expo_histogram(&b, "d", l, 2, h);
	assert_string_equal(b.p, "d_bucket{kind=\"github\",result=\"success\",le=\"1\"} 2\n"
				 "d_bucket{kind=\"github\",result=\"success\",le=\"5\"} 2\n"
				 "d_bucket{kind=\"github\",result=\"success\",le=\"10\"} 3\n"
				 "d_bucket{kind=\"github\",result=\"success\",le=\"+Inf\"} 4\n"
				 "d_sum{kind=\"github\",result=\"success\"} 108.5\n"
				 "d_count{kind=\"github\",result=\"success\"} 4\n");
	buf_free(&b);
}

static void test_histogram_empty(void **state)
{
	static const double bounds[] = { 0.25, 16777216, 68719476736 };
	uint64_t counts[4] = { 0 };
	struct histogram hist = { bounds, 3, counts, 0, 0 }, *h = &hist;
	struct buf b;

	(void)state;
	buf_init(&b);
	expo_histogram(&b, "rss", NULL, 0, h);
	assert_string_equal(b.p, "rss_bucket{le=\"0.25\"} 0\n"
				 "rss_bucket{le=\"16777216\"} 0\n"
				 "rss_bucket{le=\"68719476736\"} 0\n"
				 "rss_bucket{le=\"+Inf\"} 0\n"
				 "rss_sum 0\n"
				 "rss_count 0\n");
	buf_free(&b);
}

static void test_buf_growth(void **state)
{
	const struct label l[] = { { "container_id", "0123456789abcdef0123456789abcdef" } };
	char want[128];
	struct buf b;
	size_t off = 0;
	int n;

	(void)state;
	buf_init(&b);
	for (int i = 0; i < 1000; i++)
		expo_sample(&b, "runnerscope_container_oom_kills_total", l, 1, i);
	assert_false(b.oom);
	assert_true(b.len > 4 * 4096);
	assert_true(b.cap > b.len);
	assert_int_equal(strlen(b.p), b.len);
	for (int i = 0; i < 1000; i++) {
		n = snprintf(want, sizeof(want),
			     "runnerscope_container_oom_kills_total{container_id=\"%s\"} %d\n",
			     l[0].value, i);
		assert_memory_equal(b.p + off, want, (size_t)n);
		off += (size_t)n;
	}
	assert_int_equal(off, b.len);
	buf_free(&b);
	assert_null(b.p);
	assert_int_equal(b.len, 0);

	/* one piece larger than the first allocation */
	buf_init(&b);
	{
		char *big = malloc(10000);

		assert_non_null(big);
		memset(big, 'x', 9999);
		big[9999] = '\0';
		buf_puts(&b, "a");
		buf_printf(&b, "%s", big);
		buf_putn(&b, big, 5000);
		assert_int_equal(b.len, 1 + 9999 + 5000);
		assert_int_equal(strlen(b.p), b.len);
		assert_int_equal(b.p[0], 'a');
		assert_int_equal(b.p[b.len - 1], 'x');
		free(big);
	}
	buf_free(&b);
}

static void test_family(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	expo_family(&b, "runnerscope_jobs_running", "gauge", "Jobs running now.");
	expo_family(&b, "runnerscope_jobs_started_total", "counter", "Jobs started.");
	assert_string_equal(b.p, "# HELP runnerscope_jobs_running Jobs running now.\n"
				 "# TYPE runnerscope_jobs_running gauge\n"
				 "# HELP runnerscope_jobs_started_total Jobs started.\n"
				 "# TYPE runnerscope_jobs_started_total counter\n");
	buf_free(&b);
}

static void test_family_help_escapes(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	expo_family(&b, "a", "gauge", "back\\slash \"quoted\"\nnext");
	/* the text format escapes backslash and newline in HELP, not quotes */
	assert_string_equal(b.p, "# HELP a back\\\\slash \"quoted\"\\nnext\n# TYPE a gauge\n");
	buf_free(&b);
	b.fmt = EXPO_OPENMETRICS;
	expo_family(&b, "a", "gauge", "back\\slash \"quoted\"\nnext");
	assert_string_equal(b.p,
			    "# TYPE a gauge\n# HELP a back\\\\slash \\\"quoted\\\"\\nnext\n");
	buf_free(&b);
}

static void test_openmetrics(void **state)
{
	struct label l[] = { { "runner", "a\"b" } };
	static const double bounds[] = { 1, 5 };
	uint64_t counts[3] = { 1, 0, 1 }; /* 0.5 and 7 */
	struct histogram hist = { bounds, 2, counts, 7.5, 2 }, *h = &hist;
	struct buf b;

	(void)state;
	buf_init(&b);
	b.fmt = EXPO_OPENMETRICS;
	/* counters: the family drops _total, the samples keep it */
	expo_family(&b, "runnerscope_jobs_started_total", "counter", "Jobs started.");
	expo_sample(&b, "runnerscope_jobs_started_total", l, 1, 3);
	/* units from the name, counters and gauges alike */
	expo_family(&b, "runnerscope_job_cpu_seconds_total", "counter", "CPU.");
	expo_family(&b, "runnerscope_container_memory_usage_bytes", "gauge", "Memory.");
	expo_family(&b, "runnerscope_jobs_running", "gauge", "Jobs.");
	/* a counter not named _total keeps its name */
	expo_family(&b, "odd_counter", "counter", "Odd.");
	expo_family(&b, "runnerscope_job_duration_seconds", "histogram", "Durations.");
	expo_histogram(&b, "runnerscope_job_duration_seconds", l, 1, h);
	expo_finish(&b);
	assert_string_equal(
		b.p,
		"# TYPE runnerscope_jobs_started counter\n"
		"# HELP runnerscope_jobs_started Jobs started.\n"
		"runnerscope_jobs_started_total{runner=\"a\\\"b\"} 3\n"
		"# TYPE runnerscope_job_cpu_seconds counter\n"
		"# HELP runnerscope_job_cpu_seconds CPU.\n"
		"# UNIT runnerscope_job_cpu_seconds seconds\n"
		"# TYPE runnerscope_container_memory_usage_bytes gauge\n"
		"# HELP runnerscope_container_memory_usage_bytes Memory.\n"
		"# UNIT runnerscope_container_memory_usage_bytes bytes\n"
		"# TYPE runnerscope_jobs_running gauge\n"
		"# HELP runnerscope_jobs_running Jobs.\n"
		"# TYPE odd_counter counter\n"
		"# HELP odd_counter Odd.\n"
		"# TYPE runnerscope_job_duration_seconds histogram\n"
		"# HELP runnerscope_job_duration_seconds Durations.\n"
		"# UNIT runnerscope_job_duration_seconds seconds\n"
		"runnerscope_job_duration_seconds_bucket{runner=\"a\\\"b\",le=\"1\"} 1\n"
		"runnerscope_job_duration_seconds_bucket{runner=\"a\\\"b\",le=\"5\"} 1\n"
		"runnerscope_job_duration_seconds_bucket{runner=\"a\\\"b\",le=\"+Inf\"} 2\n"
		"runnerscope_job_duration_seconds_sum{runner=\"a\\\"b\"} 7.5\n"
		"runnerscope_job_duration_seconds_count{runner=\"a\\\"b\"} 2\n"
		"# EOF\n");
	/* the text format has no # EOF, and buf_free keeps the format */
	buf_free(&b);
	assert_int_equal(b.fmt, EXPO_OPENMETRICS);
	b.fmt = EXPO_TEXT;
	expo_finish(&b);
	assert_null(b.p);
	assert_string_equal(expo__content_type(EXPO_TEXT),
			    "text/plain; version=0.0.4; charset=utf-8");
	assert_string_equal(expo__content_type(EXPO_OPENMETRICS),
			    "application/openmetrics-text; version=1.0.0; charset=utf-8");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_family_help_escapes),
		cmocka_unit_test(test_openmetrics),
		cmocka_unit_test(test_escape_label),
		cmocka_unit_test(test_sanitize_valid),
		cmocka_unit_test(test_sanitize_invalid),
		cmocka_unit_test(test_sanitize_nul),
		cmocka_unit_test(test_sanitize_cut),
		cmocka_unit_test(test_sample),
		cmocka_unit_test(test_sample_values),
		cmocka_unit_test(test_sample_round_trip),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_histogram_empty),
		cmocka_unit_test(test_buf_growth),
		cmocka_unit_test(test_family),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
