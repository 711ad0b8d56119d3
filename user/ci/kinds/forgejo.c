// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Forgejo's runner (forgejo/runner, a fork of act_runner): `forgejo-runner daemon`, and
 * `forgejo-runner one-job`, which takes one task, runs it and exits (internal/app/cmd/cmd.go).
 * Its jobs as act.c tells them: job containers FORGEJO-ACTIONS-TASK-<task>_WORKFLOW-…_JOB-…
 * from v6.0 (internal/app/run/runner.go; GITEA-ACTIONS-TASK-… before, taken for Gitea's), and
 * steps carrying FORGEJO_ACTIONS=true from v7.0 beside Gitea's GITEA_ACTIONS=true
 * (NewRunner()), which is why the table asks it before Gitea. It sets no RUNNER_NAME: a job
 * is its host's only Forgejo runner's, or its container's.
 */
#include "ci/kinds/act.h"

static const struct kind_rule rules[] = {
	{ "forgejo-runner", "daemon", RS_ROLE_AGENT },
	{ "forgejo-runner", "one-job", RS_ROLE_AGENT },
	{},
};

static const struct act_names names = { "FORGEJO-ACTIONS-TASK-", "FORGEJO_ACTIONS" };

static const char *const keys[] = { "FORGEJO_ACTIONS", ACT_KEYS, NULL };

static int classify(const char *ctr_name, const struct kind_vals *v, struct job_hint *out)
{
	return act_classify(&names, ctr_name, v, out);
}

const struct kind_ops kind_forgejo = ACT_KIND("forgejo", rules, keys, classify);
