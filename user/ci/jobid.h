/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which job a container or a process is part of, for the runners whose jobs are not one
 * process: Gitea (job containers, host-mode steps) and GitLab (docker-executor containers,
 * shell-executor stages). Pure: the caller reads the names, environment and labels.
 */
#ifndef RUNNERSCOPE_JOBID_H
#define RUNNERSCOPE_JOBID_H

#include <stddef.h>
#include "ci/identity.h"

/* what jobid_classify() reads: environment variables, then docker labels ("label:" keys) */
enum jobid_key {
	JK_GITEA_ACTIONS,
	JK_JOB_CONTAINER_NAME,
	JK_GITHUB_RUN_ID,
	JK_GITHUB_JOB,
	JK_GITHUB_RUN_ATTEMPT,
	JK_RUNNER_NAME,
	JK_CI_JOB_ID,
	JK_CI_RUNNER_DESCRIPTION,
	JK_CI_RUNNER_SHORT_TOKEN,
	JK_ENV_MAX, /* the ones before are environment variables */
	JK_LABEL_JOB_ID = JK_ENV_MAX,
	JK_LABEL_RUNNER_ID,
	JK_LABEL_TYPE,
	JK_LABEL_BUILDKITE_JOB,
	JK_LABEL_COMPOSE_PROJECT,
	JK_LABEL_KEYS, /* the keys of its labels with an empty value, space-separated */
	JK_IMAGE, /* the image it was made from */
	JK_COMMAND, /* what its init runs: Path and Args, space-separated */
	JK_MAX,
};

extern const char *const jobid_keys[JK_MAX];

#define JOBID_LEN 160

struct job_hint {
	int kind; /* RS_KIND_GITEA or RS_KIND_GITLAB */
	char id[JOBID_LEN]; /* the job within its kind: "task-42", "job-1234", … */
	char runner[NAME_LEN]; /* the runner the job names, "" when it names none */
	char token[32]; /* GitLab: the runner's short token, "" when unknown */
	int step; /* its exit decides the job's result (a GitLab stage's container) */
};

/*
 * A container's init or a process, by its container's name (NULL or "" when unknown) and the
 * values of jobid_keys (NULL where absent). 1 and *out filled when it is part of a job.
 */
int jobid_classify(const char *ctr_name, const char *const vals[JK_MAX], struct job_hint *out);

/* the Gitea task id in a job container's name (both the _-joined and -joined forms), or -1 */
long long jobid_gitea_task(const char *name);

/*
 * A container that marks the job of a runner whose job process the kernel follows (GitHub's
 * Worker, Buildkite's bootstrap), for the state to find that job by
 */
struct job_mark {
	int kind; /* RS_KIND_GITHUB or RS_KIND_BUILDKITE */
	char labels[NAME_LEN]; /* GitHub: its empty-valued label keys, space-separated */
	char id[JOBID_LEN]; /* Buildkite: the job's id (BUILDKITE_JOB_ID), dashes dropped */
	/* GitHub in ARC's Kubernetes mode: the runner pod's name as the job's pod carries it, cut
	 * to pod_cut bytes; step: a container step's pod, not the job's */
	char pod[NAME_LEN];
	int pod_cut;
	int step;
};

/* a job id without its dashes, as Buildkite's compose plugin names its project */
void jobid_undash(const char *id, char *out, size_t sz);

/* 1 and *out when a container's labels (vals of jobid_keys) mark a job, 0 when not */
int jobid_mark(const char *const vals[JK_MAX], struct job_mark *out);

/*
 * 1 when a GitHub mark is the runner's: it carries the runner's instance label
 * (runner_docker_label()), or, from the docker container hook (ACTIONS_RUNNER_CONTAINER_HOOKS),
 * the runner's name in hex
 */
int jobid_github_marked(const struct job_mark *m, const char *docker_label, const char *name,
			const char *pod);

/*
 * The pods ARC's Kubernetes-mode container hooks make for a job: "<runner pod, cut to
 * 54>-workflow" runs the job, "<runner pod, cut to 49>-step-<8>" a container step. 1 and *out
 * when pod is one, 0 when not
 */
int jobid_k8s_mark(const char *pod, struct job_mark *out);

/*
 * What a container of a job is to it, as its job_finished line says: "job" (GitHub's job
 * container, which sleeps while steps are exec'd into it; Gitea's job and service containers;
 * GitLab's build container),
 * "service", "action" (a GitHub Docker action's) or "step" (a Gitea step's container, GitLab's
 * predefined one, a Buildkite plugin's). kind: the job's; h: its group's hint, or NULL
 */
const char *jobid_role(int kind, const struct job_hint *h, const char *ctr_name,
		       const char *const vals[JK_MAX]);

#endif
