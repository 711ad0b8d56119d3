// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "ci/detect.h"
#include "ci/kinds/kinds.h"

static const char *const result_names[RESULT_MAX] = {
	[RESULT_SUCCESS] = "success",	  [RESULT_SUCCESS_WITH_ISSUES] = "success_with_issues",
	[RESULT_FAILURE] = "failure",	  [RESULT_CANCELLED] = "cancelled",
	[RESULT_SKIPPED] = "skipped",	  [RESULT_ABANDONED] = "abandoned",
};

const char *detect__result_name(enum job_result r)
{
	return r < RESULT_MAX ? result_names[r] : "failure";
}

/* the kernel's comm: at most 15 bytes of the basename */
static void comm_of(const char *name, char out[RS_COMM_LEN])
{
	memset(out, 0, RS_COMM_LEN);
	strncpy(out, name, RS_COMM_LEN - 1);
}

/* each kind's rules, kind by kind in the table's order */
#define FOR_EACH_RULE(kind, rule)                                   \
	for (int kind = 1; kind < kinds_count(); kind++)           \
		for (const struct kind_rule *rule = kinds__get(kind)->rules; rule && rule->comm; \
		     rule++)

int detect__rules_build(struct rs_rule_key *keys, struct rs_rule *vals, int max)
{
	int n = 0;

	FOR_EACH_RULE(kind, rule) {
		struct rs_rule_key k;
		struct rs_rule_alt *alt = NULL;
		int j;

		comm_of(rule->comm, k.comm);
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
		alt->role = (__u8)rule->role;
		alt->kind = (__u8)kind;
		if (rule->arg1)
			strncpy(alt->arg1, rule->arg1, RS_ARG_LEN - 1);
		else
			alt->flags |= RS_ALT_ANY_ARG;
	}
	return n;
}

int detect__is_candidate(const char *comm)
{
	char c[RS_COMM_LEN], rc[RS_COMM_LEN];

	comm_of(comm, c);
	FOR_EACH_RULE(kind, rule) {
		comm_of(rule->comm, rc);
		if (!memcmp(rc, c, RS_COMM_LEN))
			return 1;
	}
	return 0;
}

int detect__classify(const char *comm, const char *arg1, int *kind)
{
	char c[RS_COMM_LEN], a[RS_ARG_LEN];

	comm_of(comm, c);
	/* the kernel compares argv[1] cut to 15 bytes plus a NUL: so do we */
	memset(a, 0, sizeof(a));
	if (arg1)
		strncpy(a, arg1, RS_ARG_LEN - 1);
	FOR_EACH_RULE(k, rule) {
		char rc[RS_COMM_LEN], ra[RS_ARG_LEN];

		comm_of(rule->comm, rc);
		if (memcmp(rc, c, RS_COMM_LEN))
			continue;
		if (rule->arg1) {
			memset(ra, 0, sizeof(ra));
			strncpy(ra, rule->arg1, RS_ARG_LEN - 1);
			if (memcmp(ra, a, RS_ARG_LEN) || (arg1 && strlen(arg1) >= RS_ARG_LEN))
				continue;
		}
		*kind = k;
		return rule->role;
	}
	*kind = KIND_NONE;
	return RS_ROLE_NONE;
}

static const char *const reason_names[REASON_MAX] = {
	"oom_killed", "killed", "crashed", "step_failed", "cancelled", "runner_reported", "disk_full",
};

const char *detect__reason_name(enum job_reason r)
{
	return r >= 0 && r < REASON_MAX ? reason_names[r] : "";
}

enum job_result detect__job_outcome(int kind, int wait_status, uint64_t oom_kills, int disk_full,
				   enum job_reason *reason)
{
	int sig = wait_status & 0x7f, code = (wait_status >> 8) & 0xff;
	enum job_result res;

	const struct kind_ops *k = kinds__get(kind);

	if (k && k->result && k->result(wait_status, &res, reason)) {
		/* the kind's own meaning of the exit */
	} else if (sig) {
		res = RESULT_FAILURE;
		*reason = REASON_KILLED;
	} else {
		res = code ? RESULT_FAILURE : RESULT_SUCCESS;
		*reason = REASON_STEP_FAILED;
	}
	if (res == RESULT_SUCCESS || res == RESULT_SUCCESS_WITH_ISSUES || res == RESULT_SKIPPED)
		*reason = REASON_NONE;
	else if (oom_kills)
		*reason = REASON_OOM_KILLED;
	/* a cancelled or abandoned job was ended by someone: the disk did not fail it */
	else if (disk_full && res == RESULT_FAILURE)
		*reason = REASON_DISK_FULL;
	return res;
}

enum job_result detect__job_result(int kind, int wait_status, const char **reason)
{
	enum job_reason why;
	enum job_result res = detect__job_outcome(kind, wait_status, 0, 0, &why);

	*reason = detect__reason_name(why);
	return res;
}
