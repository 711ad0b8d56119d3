// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>
#include "enrich/procfs.h"

/* the fields after comm, up to and past starttime (22nd field: 987654) */
#define TAIL                                                                                 \
	" S 1 1234 1234 0 -1 4194560 12345 0 0 0 150 30 0 0 20 0 15 0 987654 2500000000 5000 " \
	"18446744073709551615 94000000000000 94000000100000 140700000000000 0 0 0 0 0 0 0 0 0 " \
	"17 3 0 0 0 0 0\n"

static int parse(const char *text, long ticks, struct proc_stat *st)
{
	memset(st, 0x55, sizeof(*st));
	return procfs__parse_stat(text, ticks, st);
}

static void test_real_line(void **state)
{
	struct proc_stat st;

	(void)state;
	assert_int_equal(parse("1234 (Runner.Listener)" TAIL, 100, &st), 0);
	assert_string_equal(st.comm, "Runner.Listener");
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.start_ns, 987654ULL * 10000000ULL);
	assert_int_equal(st.utime_ns, 150ULL * 10000000ULL);
	assert_int_equal(st.stime_ns, 30ULL * 10000000ULL);
	assert_int_equal(st.vsize, 2500000000ULL);
	assert_int_equal(st.rss_pages, 5000);

	/* another tick rate, another ppid */
	assert_int_equal(parse("77 (Runner.Worker) R 1234 77 1 0 -1 4194304 1 0 0 0 0 0 0 0 20 0 1 "
			       "0 5 1000 10\n",
			       1000, &st),
			 0);
	assert_string_equal(st.comm, "Runner.Worker");
	assert_int_equal(st.state, 'R');
	assert_int_equal(st.flags, 4194304); /* PF_FORKNOEXEC, not PF_EXITING */
	assert_int_equal(st.ppid, 1234);
	assert_int_equal(st.start_ns, 5000000ULL);
	assert_int_equal(st.vsize, 1000);
	assert_int_equal(st.rss_pages, 10);
	/* a line that ends at starttime: no size */
	assert_int_equal(parse("77 (w) R 1234 77 1 0 -1 4194304 1 0 0 0 7 3 0 0 20 0 1 0 5\n", 1000,
			       &st),
			 0);
	assert_int_equal(st.utime_ns, 7000000ULL);
	assert_int_equal(st.stime_ns, 3000000ULL);
	assert_int_equal(st.vsize, 0);
	assert_int_equal(st.rss_pages, 0);
}

static void test_tricky_comm(void **state)
{
	struct proc_stat st;

	(void)state;
	/* a comm may hold spaces and ')': the last ')' ends it */
	assert_int_equal(parse("42 ((a) b))" TAIL, 100, &st), 0);
	assert_string_equal(st.comm, "(a) b)");
	assert_int_equal(st.ppid, 1);
	assert_int_equal(st.start_ns, 9876540000000ULL);

	assert_int_equal(parse("42 (a) b)" TAIL, 100, &st), 0);
	assert_string_equal(st.comm, "a) b");
	assert_int_equal(st.ppid, 1);

	assert_int_equal(parse("42 (x) S 9 ) 3)" TAIL, 100, &st), 0);
	assert_string_equal(st.comm, "x) S 9 ) 3");
	assert_int_equal(st.ppid, 1);

	assert_int_equal(parse("42 ()" TAIL, 100, &st), 0);
	assert_string_equal(st.comm, "");

	/* never more than the 15 bytes the kernel keeps, NUL-terminated */
	assert_int_equal(parse("42 (0123456789abcdefgh)" TAIL, 100, &st), 0);
	assert_string_equal(st.comm, "0123456789abcde");
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"1234",
		"1234 Runner.Listener S 1 1234",
		"1234 (sh S 1 1234 1234 0 -1 4194560 12345 0 0 0 150 30 0 0 20 0 15 0 98",
		"1234 sh) S 1 1234 1234 0 -1 4194560 12345 0 0 0 150 30 0 0 20 0 15 0 98",
		"1234 )sh(" TAIL,
		"1234 (sh)",
		"1234 (sh) S",
		"1234 (sh) S 1",
		/* cut before starttime */
		"1234 (sh) S 1 1234 1234 0 -1 4194560 12345 0 0 0 150 30 0 0 20 0 15 0",
		"1234 (sh) S x 1234 1234 0 -1 4194560 12345 0 0 0 150 30 0 0 20 0 15 0 98",
		"1234 (sh) S 1 1234 1234 0 -1 4194560 12345 0 0 0 150 30 0 0 20 0 15 0 z",
	};
	struct proc_stat st;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = parse(bad[i], 100, &st);

		if (err != -EINVAL)
			fail_msg("%d for '%s', want -EINVAL", err, bad[i]);
	}
	assert_int_equal(parse("1 (init)" TAIL, 0, &st), -EINVAL);
	assert_int_equal(parse("1 (init)" TAIL, -100, &st), -EINVAL);
}

/* an environment as an exec leaves it, read from memory (what the kernel sends with a job's
 * start): first value wins, empty strings and an unended last variable are skipped */
static void test_environ_in_memory(void **state)
{
	static const char env[] = "PATH=/bin\0BUILDKITE_LABEL=:test:\0\0=odd\0BUILDKITE_LABEL=x\0"
				  "BUILDKITE_PIPELINE_SLUGX=no\0BUILDKITE_PIPELINE_SLUG=web\0"
				  "EMPTY=\0BUILDKITE_JOB_ID=0190-a";
	const char *keys[] = { "BUILDKITE_PIPELINE_SLUG", "BUILDKITE_LABEL", "EMPTY",
			       "BUILDKITE_JOB_ID", "MISSING" };
	char vals[5][64], *out[5];
	char big[6000];

	(void)state;
	for (int i = 0; i < 5; i++)
		out[i] = vals[i];
	/* sizeof - 1: the string literal's own NUL is not part of it, so the last is unended */
	assert_int_equal(procfs__environ_getenv_many(env, sizeof(env) - 1, keys, out, 64, 5), 0x7);
	assert_string_equal(vals[0], "web");
	assert_string_equal(vals[1], ":test:");
	assert_string_equal(vals[2], "");
	assert_string_equal(vals[3], "");
	assert_string_equal(vals[4], "");
	/* ended, it counts */
	assert_int_equal(procfs__environ_getenv_many(env, sizeof(env), keys, out, 64, 5), 0xf);
	assert_string_equal(vals[3], "0190-a");
	/* a value longer than the copy kept of a variable still gives its start */
	memset(big, 'v', sizeof(big));
	memcpy(big, "BUILDKITE_LABEL=", 16);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(procfs__environ_getenv_many(big, sizeof(big), keys, out, 64, 5), 0x2);
	assert_int_equal(strlen(vals[1]), 63);
	assert_int_equal(procfs__environ_getenv_many("", 0, keys, out, 64, 5), 0);
	assert_int_equal(procfs__environ_getenv_many(env, sizeof(env), keys, out, 64, 32), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_line),
		cmocka_unit_test(test_tricky_comm),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_environ_in_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
