// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Gitea's runner: `act_runner daemon`, from v1.0 `gitea-runner daemon` (gitea/act_runner);
 * its jobs as act.c tells them, named GITEA-ACTIONS-TASK-… with GITEA_ACTIONS=true.
 */
#include "ci/kinds/act.h"

static const struct kind_rule rules[] = {
	{ "act_runner", "daemon", RS_ROLE_AGENT },
	{ "gitea-runner", "daemon", RS_ROLE_AGENT },
	{},
};

static const struct act_names names = { "GITEA-ACTIONS-TASK-", "GITEA_ACTIONS" };

static const char *const keys[] = { "GITEA_ACTIONS", ACT_KEYS, NULL };

static int classify(const char *ctr_name, const struct kind_vals *v, struct job_hint *out)
{
	return act_classify(&names, ctr_name, v, out);
}

const struct kind_ops kind_gitea = ACT_KIND("gitea", rules, keys, classify);
