// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "ci/detect.h"

struct rule {
	const char *comm;
	const char *arg1; /* NULL: any argv[1]; "": no argv[1] */
	int kind;
	int role;
};

/*
 * GitHub: run.sh and the service wrapper start `Runner.Listener run`; a bare Listener runs too.
 * `configure`, `remove` and `warmup` are short-lived commands, not agents. The Listener starts
 * each job as `Runner.Worker spawnclient <in-fd> <out-fd>`.
 *
 * Gitea: `act_runner daemon`, from v1.0 `gitea-runner daemon`. GitLab: `gitlab-runner run`.
 * Their jobs are containers and child trees told apart by name and environment (jobid.c).
 * Buildkite: `buildkite-agent start` runs each job as a `buildkite-agent bootstrap` child.
 */
static const struct rule rules[] = {
	{ "Runner.Listener", "run", RS_KIND_GITHUB, RS_ROLE_AGENT },
	{ "Runner.Listener", "", RS_KIND_GITHUB, RS_ROLE_AGENT },
	{ "Runner.Worker", "spawnclient", RS_KIND_GITHUB, RS_ROLE_JOB },
	{ "act_runner", "daemon", RS_KIND_GITEA, RS_ROLE_AGENT },
	{ "gitea-runner", "daemon", RS_KIND_GITEA, RS_ROLE_AGENT },
	{ "gitlab-runner", "run", RS_KIND_GITLAB, RS_ROLE_AGENT },
	{ "buildkite-agent", "start", RS_KIND_BUILDKITE, RS_ROLE_AGENT },
	{ "buildkite-agent", "bootstrap", RS_KIND_BUILDKITE, RS_ROLE_JOB },
};

/* each kind's name and what sets its jobs apart (enum kind_trait) */
static const struct {
	const char *name;
	unsigned int traits;
} kinds[RS_KIND_MAX] = {
	[RS_KIND_NONE] = { "", 0 },
	[RS_KIND_GITHUB] = { "github", 0 },
	[RS_KIND_GITEA] = { "gitea", KIND_ENV_JOBS },
	[RS_KIND_GITLAB] = { "gitlab", KIND_ENV_JOBS },
	[RS_KIND_BUILDKITE] = { "buildkite", KIND_CONTEXT_AT_START },
};

static const char *const result_names[RESULT_MAX] = {
	[RESULT_SUCCESS] = "success",	  [RESULT_SUCCESS_WITH_ISSUES] = "success_with_issues",
	[RESULT_FAILURE] = "failure",	  [RESULT_CANCELLED] = "cancelled",
	[RESULT_SKIPPED] = "skipped",	  [RESULT_ABANDONED] = "abandoned",
};

const char *detect_kind_name(int kind)
{
	return kind > 0 && kind < RS_KIND_MAX ? kinds[kind].name : "unknown";
}

int detect_kind_has(int kind, enum kind_trait t)
{
	return kind > 0 && kind < RS_KIND_MAX && (kinds[kind].traits & t);
}

__u32 detect_kinds_with(enum kind_trait t)
{
	__u32 mask = 0;

	for (int k = 1; k < RS_KIND_MAX; k++)
		if (kinds[k].traits & t)
			mask |= 1U << k;
	return mask;
}

const char *detect_result_name(enum job_result r)
{
	return r < RESULT_MAX ? result_names[r] : "failure";
}

/* the kernel's comm: at most 15 bytes of the basename */
static void comm_of(const char *name, char out[RS_COMM_LEN])
{
	memset(out, 0, RS_COMM_LEN);
	strncpy(out, name, RS_COMM_LEN - 1);
}

int detect_rules_build(struct rs_rule_key *keys, struct rs_rule *vals, int max)
{
	int n = 0;

	for (unsigned int i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		struct rs_rule_key k;
		struct rs_rule_alt *alt = NULL;
		int j;

		comm_of(rules[i].comm, k.comm);
		for (j = 0; j < n; j++)
			if (!memcmp(keys[j].comm, k.comm, RS_COMM_LEN))
				break;
		if (j == n) {
			if (n == max)
				return n;
			keys[n] = k;
			memset(&vals[n], 0, sizeof(vals[n]));
			n++;
		}
		for (int a = 0; a < RS_RULE_ALTS; a++) {
			if (vals[j].alt[a].role == RS_ROLE_NONE) {
				alt = &vals[j].alt[a];
				break;
			}
		}
		if (!alt)
			continue;
		alt->role = rules[i].role;
		alt->kind = rules[i].kind;
		if (rules[i].arg1)
			strncpy(alt->arg1, rules[i].arg1, RS_ARG_LEN - 1);
		else
			alt->flags |= RS_ALT_ANY_ARG;
	}
	return n;
}

int detect_is_candidate(const char *comm)
{
	char c[RS_COMM_LEN], rc[RS_COMM_LEN];

	comm_of(comm, c);
	for (unsigned int i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		comm_of(rules[i].comm, rc);
		if (!memcmp(rc, c, RS_COMM_LEN))
			return 1;
	}
	return 0;
}

int detect_classify(const char *comm, const char *arg1, int *kind)
{
	char c[RS_COMM_LEN], a[RS_ARG_LEN];

	comm_of(comm, c);
	/* the kernel compares argv[1] cut to 15 bytes plus a NUL: so do we */
	memset(a, 0, sizeof(a));
	if (arg1)
		strncpy(a, arg1, RS_ARG_LEN - 1);
	for (unsigned int i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		char rc[RS_COMM_LEN], ra[RS_ARG_LEN];

		comm_of(rules[i].comm, rc);
		if (memcmp(rc, c, RS_COMM_LEN))
			continue;
		if (rules[i].arg1) {
			memset(ra, 0, sizeof(ra));
			strncpy(ra, rules[i].arg1, RS_ARG_LEN - 1);
			if (memcmp(ra, a, RS_ARG_LEN) || (arg1 && strlen(arg1) >= RS_ARG_LEN))
				continue;
		}
		*kind = rules[i].kind;
		return rules[i].role;
	}
	*kind = RS_KIND_NONE;
	return RS_ROLE_NONE;
}

static const char *const reason_names[REASON_MAX] = {
	"oom_killed", "killed", "crashed", "step_failed", "cancelled", "runner_reported",
};

const char *detect_reason_name(enum job_reason r)
{
	return r >= 0 && r < REASON_MAX ? reason_names[r] : "";
}

enum job_result detect_job_outcome(int kind, int wait_status, uint64_t oom_kills,
				   enum job_reason *reason)
{
	int sig = wait_status & 0x7f, code = (wait_status >> 8) & 0xff;
	enum job_result res;

	if (sig) {
		/* the agent cancels a Buildkite job with SIGTERM, which bootstrap re-raises */
		if (kind == RS_KIND_BUILDKITE && sig == 15) {
			res = RESULT_CANCELLED;
			*reason = REASON_CANCELLED;
		} else {
			res = RESULT_FAILURE;
			*reason = REASON_KILLED;
		}
	} else if (kind == RS_KIND_GITHUB) {
		/* actions/runner TaskResultUtil: the Worker returns 100 + TaskResult */
		if (code >= 100 && code < 100 + RESULT_MAX) {
			res = (enum job_result)(code - 100);
			*reason = res == RESULT_CANCELLED ? REASON_CANCELLED : REASON_RUNNER_REPORTED;
		} else {
			res = RESULT_FAILURE;
			*reason = REASON_CRASHED;
		}
	} else {
		res = code ? RESULT_FAILURE : RESULT_SUCCESS;
		*reason = REASON_STEP_FAILED;
	}
	if (res == RESULT_SUCCESS || res == RESULT_SUCCESS_WITH_ISSUES || res == RESULT_SKIPPED)
		*reason = REASON_NONE;
	else if (oom_kills)
		*reason = REASON_OOM_KILLED;
	return res;
}

enum job_result detect_job_result(int kind, int wait_status, const char **reason)
{
	enum job_reason why;
	enum job_result res = detect_job_outcome(kind, wait_status, 0, &why);

	*reason = detect_reason_name(why);
	return res;
}
