// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A runner's busy time from its jobs' kernel records: the union of their times, a period
 * closed by its last job whatever order the records are read in, nothing counted twice across
 * a restart; its failures by reason and storage I/O; and the capacity its configuration says.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>
#include "state/state.h"
#include "ci/capacity.h"
#include "ci/runner_file.h"
#include "ci/detect.h"
#include "mem_store.h"
#include "ci/kinds/kinds.h"

static struct mem_store mem; /* too large for a test's stack */

#define S 1000000000ULL

static struct state *daemon_start(void)
{
	struct state_opts o = { .grace_ns = 10 * S };
	struct state *s = state__new(&o);

	assert_non_null(s);
	state__set_store(s, &mem_ops, &mem);
	return s;
}

/* job n of runner "r1" (tgid 0: a job of several processes), from start to end seconds */
static struct rs_key key_of(int n, uint64_t start)
{
	return (struct rs_key){ .tgid = 0, .pad = (__u32)n, .start_ns = start * S };
}

static void job(struct state *s, int n, uint64_t start, uint64_t end, int finished, int code,
		uint32_t ooms, uint64_t wbytes)
{
	struct rs_key k = key_of(n, start);
	struct rs_job rec = {
		.kind = KIND_GITEA,
		.state = finished ? RS_STATE_FINISHED : RS_STATE_RUNNING,
		.end_ns = finished ? end * S : 0,
		.exit_code = code,
		.oom_kills = ooms,
		.io_write_bytes = wbytes,
		.io_read_bytes = wbytes / 2,
		.live_procs = finished ? 0 : 1,
		.total_procs = 1,
	};

	/* the kernel's record, as a restarted daemon finds it */
	mem_update(&mem, STATE_JOBS, &k, &rec);
	state__name_job(s, &k, KIND_GITEA, "r1");
	state__job(s, &k, &rec, NULL, NULL, NULL);
}

static struct runner *r1(struct state *s)
{
	for (struct runner *r = state__runners(s); r; r = r->hh.next)
		if (!strcmp(r->name, "r1"))
			return r;
	fail_msg("no runner r1");
	return NULL;
}

static void test_busy_is_the_union_of_the_jobs_times(void **unused)
{
	struct state *s;
	struct runner *r;

	(void)unused;
	mem_init(&mem);
	s = daemon_start();
	/* 10 … 20, then 30 … 45 overlapping 40 … 50, read in that order */
	job(s, 1, 10, 0, 0, 0, 0, 0);
	r = r1(s);
	/* while it runs: up to each pass */
	state__busy_checkpoint(s, 15 * S);
	assert_int_equal(r->st.busy_ns, 5 * S);
	job(s, 1, 10, 20, 1, 0, 0, 0);
	assert_int_equal(r->st.busy_ns, 10 * S);
	job(s, 2, 30, 0, 0, 0, 0, 0);
	job(s, 3, 40, 0, 0, 0, 0, 0);
	state__busy_checkpoint(s, 42 * S);
	assert_int_equal(r->st.busy_ns, 22 * S);
	/* the later-starting job ends last; the other's end, read after it, does not shorten
	 * the period */
	job(s, 3, 40, 50, 1, 0, 0, 0);
	job(s, 2, 30, 45, 1, 0, 0, 0);
	assert_int_equal(r->st.busy_ns, 30 * S);
	assert_int_equal(r->st.busy_until, 50 * S);
	/* idle: nothing grows */
	state__busy_checkpoint(s, 100 * S);
	assert_int_equal(r->st.busy_ns, 30 * S);
	state__free(s);
}

/* what a pass counted is kept as it was counted: the pinned counters have it */
static void test_each_pass_is_kept(void **unused)
{
	struct rs_runner_key k = { .kind = KIND_GITEA, .name = "r1" };
	struct rs_runner_stats pinned;
	struct state *s;

	(void)unused;
	mem_init(&mem);
	s = daemon_start();
	job(s, 1, 10, 0, 0, 0, 0, 0);
	state__busy_checkpoint(s, 13 * S);
	assert_int_equal(mem_lookup(&mem, STATE_RUNNER_STATS, &k, &pinned), 0);
	assert_int_equal(pinned.busy_ns, 3 * S);
	assert_int_equal(pinned.busy_until, 13 * S);
	state__free(s);
	/* the next daemon goes on from there, not from the job's start */
	s = daemon_start();
	job(s, 1, 10, 20, 1, 0, 0, 0);
	assert_int_equal(r1(s)->st.busy_ns, 10 * S);
	state__free(s);
}

/* a job of several processes between two of them counts up to its last exit */
static void test_a_job_between_its_processes_counts_to_its_last_exit(void **unused)
{
	struct rs_key k = key_of(1, 10);
	struct rs_job rec = { .kind = KIND_GITEA, .state = RS_STATE_RUNNING,
			      .live_procs = 0, .total_procs = 2, .last_exit_ns = 14 * S };
	struct state *s;

	(void)unused;
	mem_init(&mem);
	s = daemon_start();
	state__name_job(s, &k, KIND_GITEA, "r1");
	state__job(s, &k, &rec, NULL, NULL, NULL);
	state__busy_checkpoint(s, 16 * S);
	assert_int_equal(r1(s)->st.busy_ns, 4 * S);
	/* its next process: running again, the gap is the job's */
	rec.live_procs = 1;
	state__job(s, &k, &rec, NULL, NULL, NULL);
	state__busy_checkpoint(s, 18 * S);
	assert_int_equal(r1(s)->st.busy_ns, 8 * S);
	state__free(s);
}

static void test_busy_goes_on_across_a_restart(void **unused)
{
	struct state *s;

	(void)unused;
	mem_init(&mem);
	s = daemon_start();
	job(s, 1, 10, 20, 1, 0, 0, 0);
	job(s, 2, 15, 0, 0, 0, 0, 0); /* read late: began before the period closed */
	state__free(s);
	/* the next daemon takes job 2 over from the pinned counters and sees it end */
	s = daemon_start();
	job(s, 2, 15, 30, 1, 0, 0, 0);
	/* 10 … 20, then 20 … 30: job 2's start inside the closed period is not counted again */
	assert_int_equal(r1(s)->st.busy_ns, 20 * S);
	assert_int_equal(r1(s)->st.jobs_started, 2);
	state__free(s);
}

static void test_failures_by_reason_and_io(void **unused)
{
	struct state *s;
	struct runner *r;

	(void)unused;
	mem_init(&mem);
	s = daemon_start();
	job(s, 1, 10, 11, 1, 0, 0, 4096);
	job(s, 2, 12, 13, 1, 1 << 8, 0, 8192);
	job(s, 3, 14, 15, 1, 9, 0, 0);
	job(s, 4, 16, 17, 1, 1 << 8, 1, 0); /* failed with an OOM kill */
	job(s, 5, 18, 19, 1, 0, 1, 0); /* an OOM kill in a job that passed */
	r = r1(s);
	assert_int_equal(r->st.failures[REASON_STEP_FAILED], 1);
	assert_int_equal(r->st.failures[REASON_KILLED], 1);
	assert_int_equal(r->st.failures[REASON_OOM_KILLED], 1);
	assert_int_equal(r->st.failures[REASON_CRASHED] + r->st.failures[REASON_CANCELLED] +
				 r->st.failures[REASON_RUNNER_REPORTED],
			 0);
	assert_int_equal(r->st.jobs_finished[RESULT_SUCCESS], 2);
	assert_int_equal(r->st.io_write_bytes, 4096 + 8192);
	assert_int_equal(r->st.io_read_bytes, 2048 + 4096);
	state__free(s);
}

static char last_reason[32];

static void on_job(void *ctx, const struct job_record *r)
{
	(void)ctx;
	if (r->finished)
		snprintf(last_reason, sizeof(last_reason), "%s", r->reason);
}

/* a failed job is for a full disk when its runner's work filesystem was nearly full at its end */
static void test_disk_full_at_a_jobs_end(void **unused)
{
	struct state_opts o = { .grace_ns = 10 * S, .disk_full_below = 1, .on_job = on_job };
	const struct workfs roomy = { 100 << 20, 50 << 20, 1000, 500 };
	const struct workfs full = { 100 << 20, 1000 << 10, 1000, 500 }; /* 0.98 % free */
	const struct workfs no_inodes = { 100 << 20, 50 << 20, 1000, 9 };
	struct state *s;
	struct runner *r;

	(void)unused;
	mem_init(&mem);
	s = state__new(&o);
	assert_non_null(s);
	state__set_store(s, &mem_ops, &mem);
	job(s, 1, 10, 0, 0, 0, 0, 0);
	assert_int_equal(state__runner_fs(s, KIND_GITEA, "r1", &full, 0), 1);
	job(s, 1, 10, 11, 1, 1 << 8, 0, 0);
	assert_string_equal(last_reason, "disk_full");
	/* room again: a failure is the step's; an OOM kill stays the reason on a full disk */
	assert_int_equal(state__runner_fs(s, KIND_GITEA, "r1", &roomy, 0), 0);
	job(s, 2, 12, 13, 1, 1 << 8, 0, 0);
	assert_string_equal(last_reason, "step_failed");
	state__runner_fs(s, KIND_GITEA, "r1", &no_inodes, 0);
	job(s, 3, 14, 15, 1, 1 << 8, 0, 0);
	assert_string_equal(last_reason, "disk_full");
	job(s, 4, 16, 17, 1, 1 << 8, 1, 0);
	assert_string_equal(last_reason, "oom_killed");
	job(s, 5, 18, 19, 1, 0, 0, 0); /* passed: no failure at all */
	assert_string_equal(last_reason, "");
	/* a folder that could not be read says nothing of the disk, and is news once */
	assert_int_equal(state__runner_fs(s, KIND_GITEA, "r1", NULL, -EACCES), 1);
	assert_int_equal(state__runner_fs(s, KIND_GITEA, "r1", NULL, -EACCES), 0);
	job(s, 6, 20, 21, 1, 1 << 8, 0, 0);
	assert_string_equal(last_reason, "step_failed");
	r = r1(s);
	assert_false(r->have_fs);
	assert_int_equal(r->st.failures[REASON_DISK_FULL], 2);
	assert_int_equal(r->st.failures[REASON_STEP_FAILED], 2);
	assert_int_equal(r->st.failures[REASON_OOM_KILLED], 1);
	/* a runner no job named: nothing to set */
	assert_int_equal(state__runner_fs(s, KIND_GITEA, "nobody", &full, 0), 0);
	state__free(s);
}

static void test_gitea_capacity(void **unused)
{
	static const char cfg[] = "log:\n  level: info\n# runner:\n#   capacity: 7\n"
				  "runner:\n  file: .runner\n  labels:\n    - capacity: 9\n"
				  "  capacity: 4 # jobs at once\n  timeout: 3h\n"
				  "cache:\n  capacity: 8\n";

	(void)unused;
	assert_int_equal(act_config_capacity(cfg, strlen(cfg)), 4);
	/* not said (or not a number): act_runner's default */
	assert_int_equal(act_config_capacity("runner:\n  file: x\n", 18), 1);
	assert_int_equal(act_config_capacity("cache:\n  capacity: 3\n", 20), 1);
	assert_int_equal(act_config_capacity("runner:\n  capacity: lots\n", 25), 1);
	assert_int_equal(act_config_capacity("runner:\n  capacity: \"2\"\n", 24), 2);
	assert_int_equal(act_config_capacity("runner:\r\n  capacity: 6\r\n", 25), 6);
	assert_int_equal(act_config_capacity("", 0), 1);
	assert_int_equal(act_config_capacity("x", RUNNER_FILE_MAX + 1), -E2BIG);
}

static void test_gitlab_capacity(void **unused)
{
	static const char both[] = "concurrent = 8\n[session_server]\n  limit = 1\n"
				   "[[runners]]\n  name = \"a\"\n  limit = 3\n"
				   "  [runners.docker]\n    limit = 1\n[[runners]]\n  limit = 2\n";
	static const char unlimited[] = "concurrent = 5\n[[runners]]\n  limit = 0\n";
	static const char lower[] = "concurrent = 2\n[[runners]]\n  limit = 6\n";

	(void)unused;
	assert_int_equal(gitlab_config_capacity(both, strlen(both)), 3);
	assert_int_equal(gitlab_config_capacity(unlimited, strlen(unlimited)), 5);
	assert_int_equal(gitlab_config_capacity(lower, strlen(lower)), 2);
	assert_int_equal(gitlab_config_capacity("[[runners]]\n", 12), 1);
}

static void test_capacity_args(void **unused)
{
	static const char argv[] = "buildkite-agent\0start\0--spawn\0003\0--tags\0a=b";
	static const char eq[] = "act_runner\0daemon\0--config=/etc/act/c.yaml";
	static const char last[] = "x\0--spawn";
	char v[32];

	(void)unused;
	assert_int_equal(capacity_arg(argv, sizeof(argv), NULL, "--spawn", v, sizeof(v)), 0);
	assert_string_equal(v, "3");
	assert_int_equal(capacity_arg(eq, sizeof(eq) - 1, "-c", "--config", v, sizeof(v)), 0);
	assert_string_equal(v, "/etc/act/c.yaml");
	/* an option with no value after it, a prefix of another, or too long for out */
	assert_int_equal(capacity_arg(last, sizeof(last), NULL, "--spawn", v, sizeof(v)), -ENOENT);
	assert_int_equal(capacity_arg(argv, sizeof(argv), NULL, "--spaw", v, sizeof(v)), -ENOENT);
	assert_int_equal(capacity_arg(eq, sizeof(eq) - 1, NULL, "--config", v, 4), -ENAMETOOLONG);
	assert_int_equal(capacity_number("12"), 12);
	assert_int_equal(capacity_number("0"), -EINVAL);
	assert_int_equal(capacity_number("1x"), -EINVAL);
	assert_int_equal(capacity_number("99999999999999999999"), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_busy_is_the_union_of_the_jobs_times),
		cmocka_unit_test(test_each_pass_is_kept),
		cmocka_unit_test(test_a_job_between_its_processes_counts_to_its_last_exit),
		cmocka_unit_test(test_busy_goes_on_across_a_restart),
		cmocka_unit_test(test_failures_by_reason_and_io),
		cmocka_unit_test(test_disk_full_at_a_jobs_end),
		cmocka_unit_test(test_gitea_capacity),
		cmocka_unit_test(test_gitlab_capacity),
		cmocka_unit_test(test_capacity_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
