// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "enrich/procfs.h"
#include "ci/context.h"
#include "ci/kinds/kinds.h"

/*
 * A job's context from its steps' environment: each field from the first of the kinds'
 * variables for it that is set (GitHub's and Gitea's GITHUB_*, GitLab's CI_*, …). The last
 * field tells steps of one job from other processes.
 */
#define CTX_KEYS 30 /* the lookups' found mask is an int */

int context__read(struct job_context *ctx, pid_t pid, const char *env, size_t len)
{
	char raw[CTX_KEYS][NAME_LEN], *out[CTX_KEYS], vals[CTX_FIELDS][NAME_LEN];
	const char *keys[CTX_KEYS];
	int found, n = 0, slot[CTX_KEYS];

	for (int f = 0; f < CTX_FIELDS; f++) {
		vals[f][0] = '\0';
		for (int kind = 1; kind < kinds_count(); kind++) {
			const char *key = kinds__get(kind)->context[f];
			int seen = 0;

			for (int i = 0; key && i < n && !seen; i++)
				seen = slot[i] == f && !strcmp(keys[i], key);
			if (!key || seen || n == CTX_KEYS)
				continue;
			keys[n] = key;
			out[n] = raw[n];
			slot[n++] = f;
		}
	}
	found = env ? procfs__environ_getenv_many(env, len, keys, out, NAME_LEN, n)
		    : procfs__getenv_many(pid, keys, out, NAME_LEN, n);
	if (found < 0)
		return found;
	for (int i = n - 1; i >= 0; i--)
		if (found & (1 << i))
			memcpy(vals[slot[i]], raw[i], NAME_LEN);
	if (!vals[CTX_REPOSITORY][0] && !vals[CTX_TRACK][0])
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
