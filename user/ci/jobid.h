/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which job a container or a process is part of, as the kinds tell it (ci/kinds/): the job of
 * several processes it names (Gitea's, GitLab's), or the job whose job process the kernel
 * follows that it marks (GitHub's Worker, Buildkite's bootstrap).
 */
#ifndef RUNNERSCOPE_JOBID_H
#define RUNNERSCOPE_JOBID_H

#include "lib/utf8.h"

#define JOBID_LEN 160

struct job_hint {
	int kind; /* a kind with KIND_ENV_JOBS */
	char id[JOBID_LEN]; /* the job within its kind: "task-42", "job-1234", … */
	char runner[NAME_LEN]; /* the runner the job names, "" when it names none */
	char tag[32]; /* the runner's tag (struct identity's) the job names, "" when none */
	int step; /* its exit decides the job's result (a GitLab stage's container) */
};

/*
 * A container that marks the job of a runner whose job process the kernel follows, for the
 * state to find that job by (kinds__marks_job())
 */
struct job_mark {
	int kind;
	char labels[NAME_LEN]; /* its empty-valued label keys, space-separated */
	char id[JOBID_LEN]; /* the job's id as its steps' environment says it, dashes dropped */
	/* under ARC's Kubernetes mode: the runner pod's name as the job's pod carries it, cut to
	 * pod_cut bytes; step: a container step's pod, not the job's */
	char pod[NAME_LEN];
	int pod_cut;
	int step;
};

#endif
