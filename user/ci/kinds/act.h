/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What Gitea's act_runner and its fork, Forgejo's runner, share (act.c): the same protocol,
 * registration file, config file and process tree, told apart by their names for the same
 * things.
 */
#ifndef RUNNERSCOPE_ACT_H
#define RUNNERSCOPE_ACT_H

#include "ci/kinds/kinds.h"

struct act_names {
	const char *task_prefix; /* of its job containers' names: "GITEA-ACTIONS-TASK-" */
	const char *env; /* the variable each step carries, "true": "GITEA_ACTIONS" */
};

int act_identity(pid_t pid, struct identity *id);
int act_classify(const struct act_names *n, const char *ctr_name, const struct kind_vals *v,
		 struct job_hint *out);
const char *act_role(const struct job_hint *h, const char *ctr_name, const struct kind_vals *v);

/* the keys act_classify() reads, but the kind's own variable */
#define ACT_KEYS "JOB_CONTAINER_NAME", "GITHUB_RUN_ID", "GITHUB_JOB", "GITHUB_RUN_ATTEMPT", \
	"RUNNER_NAME"
/* what its steps say of the job: GitHub's variables (act's own) */
#define ACT_CONTEXT { "GITHUB_REPOSITORY", "GITHUB_WORKFLOW", "GITHUB_JOB", "GITHUB_RUN_ID", \
		      "GITHUB_RUN_ATTEMPT", "RUNNER_TRACKING_ID" }

/* a kind of the family: its name, rules, keys and classify() (act_classify() with its names) */
#define ACT_KIND(kname, krules, kkeys, kclassify)                                            \
	{                                                                                     \
		.name = kname, .traits = KIND_ENV_JOBS, .rules = krules, .keys = kkeys,       \
		.context = ACT_CONTEXT, .identity = act_identity, .classify = kclassify,       \
		.role = act_role,                                                             \
	}

#endif
