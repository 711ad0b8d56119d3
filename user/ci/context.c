// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "enrich/procfs.h"
#include "ci/context.h"

/*
 * A job's context from its steps' environment, six fields each from the first of its runner's
 * variables that is set: GitHub and Gitea (GITHUB_*), GitLab (CI_*), Buildkite (BUILDKITE_*).
 * The last field tells steps of one job from other processes.
 */
#define CTX_ALTS 3
static const char *const ctx_keys[6][CTX_ALTS] = {
	{ "GITHUB_REPOSITORY", "CI_PROJECT_PATH", "BUILDKITE_PIPELINE_SLUG" },
	{ "GITHUB_WORKFLOW", "CI_PIPELINE_NAME", "BUILDKITE_PIPELINE_NAME" },
	{ "GITHUB_JOB", "CI_JOB_NAME", "BUILDKITE_LABEL" },
	{ "GITHUB_RUN_ID", "CI_PIPELINE_ID", "BUILDKITE_BUILD_NUMBER" },
	{ "GITHUB_RUN_ATTEMPT", NULL, "BUILDKITE_RETRY_COUNT" },
	{ "RUNNER_TRACKING_ID", "CI_JOB_ID", "BUILDKITE_JOB_ID" },
};

int context_read(struct job_context *ctx, pid_t pid, const char *env, size_t len)
{
	char raw[6 * CTX_ALTS][NAME_LEN], *out[6 * CTX_ALTS], vals[6][NAME_LEN];
	const char *keys[6 * CTX_ALTS];
	int found, n = 0, slot[6 * CTX_ALTS];

	for (int f = 0; f < 6; f++) {
		vals[f][0] = '\0';
		for (int a = 0; a < CTX_ALTS; a++) {
			if (!ctx_keys[f][a])
				continue;
			keys[n] = ctx_keys[f][a];
			out[n] = raw[n];
			slot[n++] = f;
		}
	}
	found = env ? environ_getenv_many(env, len, keys, out, NAME_LEN, n)
		    : procfs_getenv_many(pid, keys, out, NAME_LEN, n);
	if (found < 0)
		return found;
	for (int i = n - 1; i >= 0; i--)
		if (found & (1 << i))
			memcpy(vals[slot[i]], raw[i], NAME_LEN);
	if (!vals[0][0] && !vals[5][0])
		return 0;
	memset(ctx, 0, sizeof(*ctx));
	utf8_sanitize(ctx->repository, sizeof(ctx->repository), vals[0], strlen(vals[0]));
	utf8_sanitize(ctx->workflow, sizeof(ctx->workflow), vals[1], strlen(vals[1]));
	utf8_sanitize(ctx->job, sizeof(ctx->job), vals[2], strlen(vals[2]));
	utf8_sanitize(ctx->run_id, sizeof(ctx->run_id), vals[3], strlen(vals[3]));
	utf8_sanitize(ctx->run_attempt, sizeof(ctx->run_attempt), vals[4], strlen(vals[4]));
	utf8_sanitize(ctx->tracking_id, sizeof(ctx->tracking_id), vals[5], strlen(vals[5]));
	return 1;
}
