// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "ci/detect.h"
#include "ci/kinds/kinds.h"

/* a wait status as the kernel keeps it for a normal exit */
#define EXITED(code) ((code) << 8)

static void check_result(int kind, int status, enum job_result want, const char *want_reason)
{
	const char *reason = NULL;
	enum job_result r = detect__job_result(kind, status, &reason);

	assert_int_equal(r, want);
	assert_non_null(reason);
	assert_string_equal(reason, want_reason);
}

static void test_github_runner_results(void **state)
{
	(void)state;
	check_result(KIND_GITHUB, EXITED(100), RESULT_SUCCESS, "");
	check_result(KIND_GITHUB, EXITED(101), RESULT_SUCCESS_WITH_ISSUES, "");
	check_result(KIND_GITHUB, EXITED(102), RESULT_FAILURE, "runner_reported");
	check_result(KIND_GITHUB, EXITED(103), RESULT_CANCELLED, "cancelled");
	check_result(KIND_GITHUB, EXITED(104), RESULT_SKIPPED, "");
	check_result(KIND_GITHUB, EXITED(105), RESULT_ABANDONED, "runner_reported");
}

static void test_github_worker_crashed(void **state)
{
	static const int codes[] = { 0, 1, 99, 106, 255 };

	(void)state;
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		check_result(KIND_GITHUB, EXITED(codes[i]), RESULT_FAILURE, "crashed");
}

static void test_github_killed(void **state)
{
	(void)state;
	check_result(KIND_GITHUB, 9, RESULT_FAILURE, "killed");
	check_result(KIND_GITHUB, 15, RESULT_FAILURE, "killed");
	/* SIGKILL with the core-dump bit */
	check_result(KIND_GITHUB, 9 | 0x80, RESULT_FAILURE, "killed");
	/* a signal is a kill whatever the runner's exit code byte holds */
	check_result(KIND_GITHUB, EXITED(100) | 6, RESULT_FAILURE, "killed");
}

static void test_other_kinds_exit_code(void **state)
{
	const char *reason = NULL;

	(void)state;
	check_result(KIND_BUILDKITE, EXITED(0), RESULT_SUCCESS, "");
	check_result(KIND_GITLAB, EXITED(0), RESULT_SUCCESS, "");
	/* 100 is the GitHub runner's success code only */
	assert_int_equal(detect__job_result(KIND_BUILDKITE, EXITED(100), &reason),
			 RESULT_FAILURE);
	assert_int_equal(detect__job_result(KIND_BUILDKITE, EXITED(1), &reason),
			 RESULT_FAILURE);
	assert_string_not_equal(reason, "");
	assert_int_equal(detect__job_result(KIND_GITEA, EXITED(255), &reason), RESULT_FAILURE);
	assert_string_equal(reason, "step_failed");
	check_result(KIND_BUILDKITE, 9, RESULT_FAILURE, "killed");
	/* the agent cancels a job with SIGTERM, which bootstrap raises again on itself */
	check_result(KIND_BUILDKITE, 15, RESULT_CANCELLED, "cancelled");
	check_result(KIND_GITLAB, 15, RESULT_FAILURE, "killed");
}

static void check_full(int kind, int status, uint64_t ooms, int disk_full, enum job_result want,
		       enum job_reason want_reason)
{
	enum job_reason why = (enum job_reason)-2;

	assert_int_equal(detect__job_outcome(kind, status, ooms, disk_full, &why), want);
	assert_int_equal(why, want_reason);
}

static void check_outcome(int kind, int status, uint64_t ooms, enum job_result want,
			  enum job_reason want_reason)
{
	check_full(kind, status, ooms, 0, want, want_reason);
}

/* each reason, and an OOM kill as the reason of every job that did not succeed */
static void test_failure_reasons(void **state)
{
	(void)state;
	check_outcome(KIND_GITHUB, EXITED(100), 0, RESULT_SUCCESS, REASON_NONE);
	check_outcome(KIND_GITHUB, EXITED(102), 0, RESULT_FAILURE, REASON_RUNNER_REPORTED);
	check_outcome(KIND_GITHUB, EXITED(105), 0, RESULT_ABANDONED, REASON_RUNNER_REPORTED);
	check_outcome(KIND_GITHUB, EXITED(103), 0, RESULT_CANCELLED, REASON_CANCELLED);
	check_outcome(KIND_GITHUB, EXITED(1), 0, RESULT_FAILURE, REASON_CRASHED);
	check_outcome(KIND_GITHUB, 9, 0, RESULT_FAILURE, REASON_KILLED);
	check_outcome(KIND_GITLAB, EXITED(1), 0, RESULT_FAILURE, REASON_STEP_FAILED);
	check_outcome(KIND_BUILDKITE, 15, 0, RESULT_CANCELLED, REASON_CANCELLED);
	/* an OOM kill in a job that failed, was killed or cancelled is why */
	check_outcome(KIND_GITHUB, EXITED(102), 1, RESULT_FAILURE, REASON_OOM_KILLED);
	check_outcome(KIND_GITHUB, 9, 2, RESULT_FAILURE, REASON_OOM_KILLED);
	check_outcome(KIND_GITEA, EXITED(137), 1, RESULT_FAILURE, REASON_OOM_KILLED);
	/* in a job that succeeded it is no reason (a step retried, or its kill was expected) */
	check_outcome(KIND_GITHUB, EXITED(100), 1, RESULT_SUCCESS, REASON_NONE);
	check_outcome(KIND_GITHUB, EXITED(101), 1, RESULT_SUCCESS_WITH_ISSUES, REASON_NONE);
	check_outcome(KIND_GITHUB, EXITED(104), 1, RESULT_SKIPPED, REASON_NONE);
	check_outcome(KIND_GITLAB, EXITED(0), 3, RESULT_SUCCESS, REASON_NONE);
	assert_string_equal(detect__reason_name(REASON_NONE), "");
	assert_string_equal(detect__reason_name(REASON_STEP_FAILED), "step_failed");
}

/* a full work filesystem at the end of a job that failed, whichever way it failed */
static void test_disk_full(void **state)
{
	(void)state;
	check_full(KIND_GITHUB, EXITED(102), 0, 1, RESULT_FAILURE, REASON_DISK_FULL);
	check_full(KIND_GITHUB, EXITED(1), 0, 1, RESULT_FAILURE, REASON_DISK_FULL);
	check_full(KIND_GITHUB, 9, 0, 1, RESULT_FAILURE, REASON_DISK_FULL);
	check_full(KIND_GITLAB, EXITED(1), 0, 1, RESULT_FAILURE, REASON_DISK_FULL);
	/* an OOM kill is why still; a job cancelled, abandoned or passed was not failed by it */
	check_full(KIND_GITHUB, EXITED(102), 1, 1, RESULT_FAILURE, REASON_OOM_KILLED);
	check_full(KIND_GITHUB, EXITED(103), 0, 1, RESULT_CANCELLED, REASON_CANCELLED);
	check_full(KIND_GITHUB, EXITED(105), 0, 1, RESULT_ABANDONED, REASON_RUNNER_REPORTED);
	check_full(KIND_BUILDKITE, 15, 0, 1, RESULT_CANCELLED, REASON_CANCELLED);
	check_full(KIND_GITHUB, EXITED(100), 0, 1, RESULT_SUCCESS, REASON_NONE);
	check_full(KIND_GITEA, EXITED(0), 0, 1, RESULT_SUCCESS, REASON_NONE);
	assert_string_equal(detect__reason_name(REASON_DISK_FULL), "disk_full");
	/* the reasons the pinned counters kept before it keep their index */
	assert_int_equal(REASON_RUNNER_REPORTED, 5);
	assert_int_equal(REASON_DISK_FULL, 6);
}

static void check_classify(const char *comm, const char *arg1, int want_role, int want_kind)
{
	int kind = -1;

	assert_int_equal(detect__classify(comm, arg1, &kind), want_role);
	assert_int_equal(kind, want_kind);
}

static void test_classify_listener(void **state)
{
	(void)state;
	check_classify("Runner.Listener", "run", RS_ROLE_AGENT, KIND_GITHUB);
	check_classify("Runner.Listener", NULL, RS_ROLE_AGENT, KIND_GITHUB);
	check_classify("Runner.Listener", "configure", RS_ROLE_NONE, KIND_NONE);
	check_classify("Runner.Listener", "remove", RS_ROLE_NONE, KIND_NONE);
	check_classify("Runner.Listener", "warmup", RS_ROLE_NONE, KIND_NONE);
	check_classify("Runner.Listener", "runx", RS_ROLE_NONE, KIND_NONE);
	check_classify("Runner.Listener", "ru", RS_ROLE_NONE, KIND_NONE);
}

static void test_classify_worker(void **state)
{
	(void)state;
	check_classify("Runner.Worker", "spawnclient", RS_ROLE_JOB, KIND_GITHUB);
	check_classify("Runner.Worker", NULL, RS_ROLE_NONE, KIND_NONE);
	check_classify("Runner.Worker", "run", RS_ROLE_NONE, KIND_NONE);
	check_classify("Runner.Worker", "spawnclien", RS_ROLE_NONE, KIND_NONE);
	/* longer than the kernel's 15 bytes of argv[1]: cannot be told apart, so no job */
	check_classify("Runner.Worker", "spawnclientXXXXX", RS_ROLE_NONE, KIND_NONE);
	check_classify("Runner.Worker", "spawnclient-and-more", RS_ROLE_NONE, KIND_NONE);
}

static void test_classify_comm_cut(void **state)
{
	(void)state;
	/* the kernel cuts comm to 15 bytes: "Runner.ListenerX" runs as "Runner.Listener" */
	check_classify("Runner.ListenerX", "run", RS_ROLE_AGENT, KIND_GITHUB);
	check_classify("Runner.Listener.dll", NULL, RS_ROLE_AGENT, KIND_GITHUB);
	/* "Runner.Worker" is 13 bytes: a longer name is another executable */
	check_classify("Runner.WorkerX", "spawnclient", RS_ROLE_NONE, KIND_NONE);
	check_classify("Runner.Listene", "run", RS_ROLE_NONE, KIND_NONE);
}

static void test_classify_unrelated(void **state)
{
	(void)state;
	check_classify("bash", "run", RS_ROLE_NONE, KIND_NONE);
	check_classify("Runner.Worker2", "spawnclient", RS_ROLE_NONE, KIND_NONE);
	check_classify("runner.listener", "run", RS_ROLE_NONE, KIND_NONE);
	check_classify("", NULL, RS_ROLE_NONE, KIND_NONE);
	check_classify("dotnet", "Runner.Listener.dll", RS_ROLE_NONE, KIND_NONE);
}

static void test_is_candidate(void **state)
{
	(void)state;
	assert_true(detect__is_candidate("Runner.Listener"));
	assert_true(detect__is_candidate("Runner.Worker"));
	assert_true(detect__is_candidate("Runner.ListenerX"));
	assert_false(detect__is_candidate("Runner.Worke"));
	assert_false(detect__is_candidate("sh"));
}

static const struct rs_rule_alt *find_alt(const struct rs_rule *r, const char *arg1)
{
	char a[RS_ARG_LEN] = {};

	memcpy(a, arg1, strnlen(arg1, RS_ARG_LEN - 1));
	for (int i = 0; i < RS_RULE_ALTS; i++)
		if (r->alt[i].role != RS_ROLE_NONE && !memcmp(r->alt[i].arg1, a, RS_ARG_LEN))
			return &r->alt[i];
	return NULL;
}

static int find_key(const struct rs_rule_key *keys, int n, const char *comm)
{
	char c[RS_COMM_LEN] = {};

	memcpy(c, comm, strnlen(comm, RS_COMM_LEN - 1));
	for (int i = 0; i < n; i++)
		if (!memcmp(keys[i].comm, c, RS_COMM_LEN))
			return i;
	return -1;
}

static void test_rules_build(void **state)
{
	struct rs_rule_key keys[8];
	struct rs_rule vals[8];
	const struct rs_rule_alt *alt;
	int n, l, w, used;

	(void)state;
	memset(keys, 0xaa, sizeof(keys));
	memset(vals, 0xaa, sizeof(vals));
	n = detect__rules_build(keys, vals, 8);
	/* Runner.Listener, Runner.Worker, act_runner, gitea-runner, gitlab-runner, buildkite-agent,
	 * forgejo-runner */
	assert_int_equal(n, 7);

	l = find_key(keys, n, "Runner.Listener");
	w = find_key(keys, n, "Runner.Worker");
	assert_true(l >= 0);
	assert_true(w >= 0);
	assert_int_not_equal(l, w);

	used = 0;
	for (int i = 0; i < RS_RULE_ALTS; i++)
		used += vals[l].alt[i].role != RS_ROLE_NONE;
	assert_int_equal(used, 2);
	alt = find_alt(&vals[l], "run");
	assert_non_null(alt);
	assert_int_equal(alt->role, RS_ROLE_AGENT);
	assert_int_equal(alt->kind, KIND_GITHUB);
	assert_int_equal(alt->flags, 0);
	/* the bare Listener: argv[1] absent, which the kernel reads as all zeroes */
	alt = find_alt(&vals[l], "");
	assert_non_null(alt);
	assert_int_equal(alt->role, RS_ROLE_AGENT);
	assert_int_equal(alt->kind, KIND_GITHUB);
	assert_int_equal(alt->flags & RS_ALT_ANY_ARG, 0);

	used = 0;
	for (int i = 0; i < RS_RULE_ALTS; i++)
		used += vals[w].alt[i].role != RS_ROLE_NONE;
	assert_int_equal(used, 1);
	alt = find_alt(&vals[w], "spawnclient");
	assert_non_null(alt);
	assert_int_equal(alt->role, RS_ROLE_JOB);
	assert_int_equal(alt->kind, KIND_GITHUB);
	assert_int_equal(alt->flags, 0);

	/* one executable, two roles: buildkite-agent start (agent) and bootstrap (job) */
	w = find_key(keys, n, "buildkite-agent");
	assert_true(w >= 0);
	alt = find_alt(&vals[w], "start");
	assert_non_null(alt);
	assert_int_equal(alt->role, RS_ROLE_AGENT);
	assert_int_equal(alt->kind, KIND_BUILDKITE);
	alt = find_alt(&vals[w], "bootstrap");
	assert_non_null(alt);
	assert_int_equal(alt->role, RS_ROLE_JOB);
	assert_int_equal(alt->kind, KIND_BUILDKITE);
	for (const char *const *c = (const char *const[]){ "act_runner", "gitea-runner",
							    "gitlab-runner", NULL };
	     *c; c++) {
		w = find_key(keys, n, *c);
		assert_true(w >= 0);
		assert_int_equal(vals[w].alt[0].role, RS_ROLE_AGENT);
		assert_int_equal(vals[w].alt[1].role, RS_ROLE_NONE);
	}

	/* unused alternatives and padding are zero: the kernel compares whole words */
	for (int k = 0; k < n; k++) {
		for (int i = 0; i < RS_RULE_ALTS; i++) {
			static const __u8 zero[5];

			assert_memory_equal(vals[k].alt[i].pad, zero, sizeof(zero));
			if (vals[k].alt[i].role != RS_ROLE_NONE)
				continue;
			assert_int_equal(vals[k].alt[i].kind, 0);
			assert_int_equal(vals[k].alt[i].flags, 0);
		}
	}
}

static void test_rules_build_max(void **state)
{
	struct rs_rule_key keys[2];
	struct rs_rule vals[2];

	(void)state;
	memset(keys, 0, sizeof(keys));
	memset(vals, 0, sizeof(vals));
	assert_int_equal(detect__rules_build(keys, vals, 1), 1);
	assert_string_equal(keys[0].comm, "Runner.Listener");
	assert_int_equal(detect__rules_build(keys, vals, 0), 0);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(detect__result_name(RESULT_SUCCESS), "success");
	assert_string_equal(detect__result_name(RESULT_SUCCESS_WITH_ISSUES), "success_with_issues");
	assert_string_equal(detect__result_name(RESULT_FAILURE), "failure");
	assert_string_equal(detect__result_name(RESULT_CANCELLED), "cancelled");
	assert_string_equal(detect__result_name(RESULT_SKIPPED), "skipped");
	assert_string_equal(detect__result_name(RESULT_ABANDONED), "abandoned");
	assert_string_equal(detect__result_name(RESULT_MAX), "failure");

	assert_string_equal(kinds__name(KIND_GITHUB), "github");
	assert_string_equal(kinds__name(KIND_GITEA), "gitea");
	assert_string_equal(kinds__name(KIND_GITLAB), "gitlab");
	assert_string_equal(kinds__name(KIND_BUILDKITE), "buildkite");
	assert_string_equal(kinds__name(KIND_NONE), "unknown");
	assert_string_equal(kinds__name(KIND_COUNT), "unknown");
	assert_string_equal(kinds__name(-1), "unknown");
}

/* the traits the daemon and the programs (through their rodata) act on, per kind */
static void test_kind_traits(void **state)
{
	(void)state;
	assert_true(kinds__has(KIND_GITEA, KIND_ENV_JOBS));
	assert_true(kinds__has(KIND_GITLAB, KIND_ENV_JOBS));
	assert_false(kinds__has(KIND_GITHUB, KIND_ENV_JOBS));
	assert_true(kinds__has(KIND_FORGEJO, KIND_ENV_JOBS));
	assert_false(kinds__has(KIND_BUILDKITE, KIND_ENV_JOBS));
	assert_true(kinds__has(KIND_BUILDKITE, KIND_CONTEXT_AT_START));
	assert_false(kinds__has(KIND_GITHUB, KIND_CONTEXT_AT_START));
	assert_false(kinds__has(KIND_NONE, KIND_ENV_JOBS));
	assert_false(kinds__has(KIND_COUNT, KIND_CONTEXT_AT_START));
	assert_false(kinds__has(-1, KIND_ENV_JOBS));
	assert_int_equal(kinds__with(KIND_ENV_JOBS),
			 (1U << KIND_GITEA) | (1U << KIND_GITLAB) | (1U << KIND_FORGEJO));
	assert_int_equal(kinds__with(KIND_CONTEXT_AT_START), 1U << KIND_BUILDKITE);
	/* the programs' rodata holds a kind as one bit of 32 */
	assert_true(KIND_COUNT <= 32);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_github_runner_results),
		cmocka_unit_test(test_github_worker_crashed),
		cmocka_unit_test(test_failure_reasons),
		cmocka_unit_test(test_disk_full),
		cmocka_unit_test(test_github_killed),
		cmocka_unit_test(test_other_kinds_exit_code),
		cmocka_unit_test(test_classify_listener),
		cmocka_unit_test(test_classify_worker),
		cmocka_unit_test(test_classify_comm_cut),
		cmocka_unit_test(test_classify_unrelated),
		cmocka_unit_test(test_is_candidate),
		cmocka_unit_test(test_rules_build),
		cmocka_unit_test(test_rules_build_max),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_kind_traits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
