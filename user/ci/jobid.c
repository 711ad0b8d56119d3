// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Gitea (act_runner / gitea-runner):
 *   job container  GITEA-ACTIONS-TASK-<task>_WORKFLOW-<w>_JOB-<j>        (up to v0.5)
 *                  GITEA-ACTIONS-TASK-<task>-WORKFLOW-<w>-JOB-<j>-<sha256> (v0.6 on, cut to 63 + hash)
 *   services and docker-action steps carry the same prefix; steps are `docker exec`'d into
 *   the job container, which sleeps; their environment has GITEA_ACTIONS=true, the job's
 *   JOB_CONTAINER_NAME and GITHUB_RUN_ID/GITHUB_JOB, and from v2.3 RUNNER_NAME.
 * GitLab (gitlab-runner):
 *   runner-<short token>-project-<id>-concurrent-<n>-<16 hex>-{build,predefined,<service>-<i>}
 *   (older: …-concurrent-<n>[-<16 hex>]-<type>-<index>), labels com.gitlab.gitlab-runner.*;
 *   each stage restarts the build or predefined container; CI_JOB_ID in every job process.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "ci/jobid.h"
#include "jobs.h"
#include "lib/utf8.h"

const char *const jobid_keys[JK_MAX] = {
	[JK_GITEA_ACTIONS] = "GITEA_ACTIONS",
	[JK_JOB_CONTAINER_NAME] = "JOB_CONTAINER_NAME",
	[JK_GITHUB_RUN_ID] = "GITHUB_RUN_ID",
	[JK_GITHUB_JOB] = "GITHUB_JOB",
	[JK_GITHUB_RUN_ATTEMPT] = "GITHUB_RUN_ATTEMPT",
	[JK_RUNNER_NAME] = "RUNNER_NAME",
	[JK_CI_JOB_ID] = "CI_JOB_ID",
	[JK_CI_RUNNER_DESCRIPTION] = "CI_RUNNER_DESCRIPTION",
	[JK_CI_RUNNER_SHORT_TOKEN] = "CI_RUNNER_SHORT_TOKEN",
	[JK_LABEL_JOB_ID] = "label:com.gitlab.gitlab-runner.job.id",
	[JK_LABEL_RUNNER_ID] = "label:com.gitlab.gitlab-runner.runner.id",
	[JK_LABEL_TYPE] = "label:com.gitlab.gitlab-runner.type",
	/* the Buildkite docker plugin's; the compose plugin names its project after the job */
	[JK_LABEL_BUILDKITE_JOB] = "label:com.buildkite.job-id",
	[JK_LABEL_COMPOSE_PROJECT] = "label:com.docker.compose.project",
	[JK_LABEL_KEYS] = "labels:",
	[JK_IMAGE] = "image:",
	[JK_COMMAND] = "command:",
};

static int has(const char *const v[JK_MAX], int k)
{
	return v && v[k] && v[k][0];
}

/* a decimal id of at most 18 digits: its value, or -1 */
static long long digits(const char *s, size_t n)
{
	long long v = 0;

	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

long long jobid_gitea_task(const char *name)
{
	static const char prefix[] = "GITEA-ACTIONS-TASK-";
	size_t n = 0;

	if (!name || strncmp(name, prefix, sizeof(prefix) - 1))
		return -1;
	name += sizeof(prefix) - 1;
	while (name[n] >= '0' && name[n] <= '9')
		n++;
	if (name[n] != '\0' && name[n] != '_' && name[n] != '-')
		return -1;
	return digits(name, n);
}

/*
 * runner-<token>-project-<id>-concurrent-<n>-<rest>: 1 with the token, the job part of the name
 * (everything up to the per-job hex, or up to <n> in the oldest form) and whether <rest> names a
 * build or predefined container
 */
static int gitlab_name(const char *name, char *token, size_t tsz, char *job, size_t jsz,
		       int *step)
{
	const char *tok, *proj, *conc, *rest, *p;
	size_t tlen, n, jlen;

	if (!name || strncmp(name, "runner-", 7))
		return 0;
	tok = name + 7;
	proj = strstr(tok, "-project-");
	if (!proj || proj == tok)
		return 0;
	tlen = (size_t)(proj - tok);
	p = proj + 9;
	for (n = 0; p[n] >= '0' && p[n] <= '9'; n++)
		;
	if (!n || strncmp(p + n, "-concurrent-", 12))
		return 0;
	conc = p + n + 12;
	for (n = 0; conc[n] >= '0' && conc[n] <= '9'; n++)
		;
	if (!n)
		return 0;
	rest = conc + n;
	jlen = (size_t)(rest - name);
	if (*rest == '-') {
		/* the per-job random part: 16 hex digits (v12.10 on) */
		for (n = 0; rest[1 + n] && strchr("0123456789abcdef", rest[1 + n]); n++)
			;
		if (n == 16 && (rest[17] == '-' || !rest[17])) {
			jlen += 17;
			rest += 17;
		}
	} else if (*rest) {
		return 0;
	}
	if (*rest == '-')
		rest++;
	*step = !strncmp(rest, "build", 5) || !strncmp(rest, "predefined", 10);
	if (*step) {
		p = rest + (rest[0] == 'b' ? 5 : 10);
		/* "-<index>" in the older forms */
		if (*p == '-')
			p += 1 + strspn(p + 1, "0123456789");
		*step = *p == '\0';
	}
	snprintf(token, tsz, "%.*s", (int)(tlen < tsz ? tlen : tsz - 1), tok);
	snprintf(job, jsz, "ctr-%.*s", (int)(jlen < jsz - 5 ? jlen : jsz - 5), name);
	return 1;
}

static void set(char *dst, size_t sz, const char *src)
{
	utf8_sanitize(dst, sz, src, strlen(src));
}

int jobid_classify(const char *ctr_name, const char *const v[JK_MAX], struct job_hint *out)
{
	char job[JOBID_LEN], token[sizeof(out->token)];
	long long task;
	int step = 0, named;

	memset(out, 0, sizeof(*out));
	if (ctr_name && !ctr_name[0])
		ctr_name = NULL;

	named = gitlab_name(ctr_name, token, sizeof(token), job, sizeof(job), &step);
	if (named || has(v, JK_CI_JOB_ID) || has(v, JK_LABEL_JOB_ID)) {
		long long id = -1;

		out->kind = RS_KIND_GITLAB;
		if (has(v, JK_LABEL_JOB_ID))
			id = digits(v[JK_LABEL_JOB_ID], strlen(v[JK_LABEL_JOB_ID]));
		if (id < 0 && has(v, JK_CI_JOB_ID))
			id = digits(v[JK_CI_JOB_ID], strlen(v[JK_CI_JOB_ID]));
		if (id >= 0)
			snprintf(out->id, sizeof(out->id), "job-%lld", id);
		else if (named)
			snprintf(out->id, sizeof(out->id), "%s", job);
		else
			return 0;
		if (has(v, JK_CI_RUNNER_DESCRIPTION))
			set(out->runner, sizeof(out->runner), v[JK_CI_RUNNER_DESCRIPTION]);
		if (has(v, JK_LABEL_RUNNER_ID))
			set(out->token, sizeof(out->token), v[JK_LABEL_RUNNER_ID]);
		else if (has(v, JK_CI_RUNNER_SHORT_TOKEN))
			set(out->token, sizeof(out->token), v[JK_CI_RUNNER_SHORT_TOKEN]);
		else if (named)
			memcpy(out->token, token, sizeof(token));
		/* which container a stage ran in: the label, else the name; a process known
		 * only by its environment is a stage's */
		if (has(v, JK_LABEL_TYPE))
			out->step = !strcmp(v[JK_LABEL_TYPE], "build") ||
				    !strcmp(v[JK_LABEL_TYPE], "predefined");
		else
			out->step = named ? step : 1;
		return 1;
	}

	task = jobid_gitea_task(ctr_name);
	if (task < 0 && has(v, JK_JOB_CONTAINER_NAME) && has(v, JK_GITEA_ACTIONS))
		task = jobid_gitea_task(v[JK_JOB_CONTAINER_NAME]);
	if (task >= 0 || (has(v, JK_GITEA_ACTIONS) && !strcmp(v[JK_GITEA_ACTIONS], "true"))) {
		out->kind = RS_KIND_GITEA;
		if (task >= 0) {
			snprintf(out->id, sizeof(out->id), "task-%lld", task);
		} else if (has(v, JK_GITHUB_RUN_ID) && has(v, JK_GITHUB_JOB)) {
			char id[JOBID_LEN];

			snprintf(id, sizeof(id), "run-%s-%s-%s", v[JK_GITHUB_RUN_ID],
				 v[JK_GITHUB_JOB],
				 has(v, JK_GITHUB_RUN_ATTEMPT) ? v[JK_GITHUB_RUN_ATTEMPT] : "1");
			set(out->id, sizeof(out->id), id);
		} else {
			return 0;
		}
		if (has(v, JK_RUNNER_NAME))
			set(out->runner, sizeof(out->runner), v[JK_RUNNER_NAME]);
		/* a job container sleeps while its steps are exec'd into it; a docker action's
		 * container is a step itself */
		out->step = !ctr_name || strstr(ctr_name, "_STEP-") || strstr(ctr_name, "-STEP-");
		return 1;
	}
	return 0;
}

/* 1 when the space-separated list holds word whole */
static int has_word(const char *list, const char *word, size_t n)
{
	for (const char *p = list; (p = strstr(p, word)); p++)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

void jobid_undash(const char *id, char *out, size_t sz)
{
	size_t n = 0;

	for (; *id && n + 1 < sz; id++)
		if (*id != '-')
			out[n++] = *id;
	if (sz)
		out[n] = '\0';
}

int jobid_mark(const char *const v[JK_MAX], struct job_mark *out)
{
	memset(out, 0, sizeof(*out));
	/* the docker plugin's label; the compose plugin's project, buildkite<id without dashes> */
	if (has(v, JK_LABEL_BUILDKITE_JOB) ||
	    (has(v, JK_LABEL_COMPOSE_PROJECT) &&
	     !strncmp(v[JK_LABEL_COMPOSE_PROJECT], "buildkite", 9) &&
	     v[JK_LABEL_COMPOSE_PROJECT][9])) {
		out->kind = RS_KIND_BUILDKITE;
		jobid_undash(has(v, JK_LABEL_BUILDKITE_JOB) ? v[JK_LABEL_BUILDKITE_JOB] :
							      v[JK_LABEL_COMPOSE_PROJECT] + 9,
			     out->id, sizeof(out->id));
		return 1;
	}
	if (has(v, JK_LABEL_KEYS)) {
		out->kind = RS_KIND_GITHUB;
		snprintf(out->labels, sizeof(out->labels), "%s", v[JK_LABEL_KEYS]);
		return 1;
	}
	return 0;
}

int jobid_github_marked(const struct job_mark *m, const char *docker_label, const char *name,
			const char *pod)
{
	char hex[2 * NAME_LEN + 1];
	size_t n = strlen(name);

	if (m->kind != RS_KIND_GITHUB)
		return 0;
	if (m->pod[0]) {
		size_t p = pod ? strlen(pod) : 0;

		/* the runner's pod, as the hook cut it */
		return p && (p > (size_t)m->pod_cut ? strlen(m->pod) == (size_t)m->pod_cut &&
							     !strncmp(pod, m->pod, (size_t)m->pod_cut) :
						     !strcmp(pod, m->pod));
	}
	if (docker_label[0] && has_word(m->labels, docker_label, strlen(docker_label)))
		return 1;
	if (!n || n > NAME_LEN / 2 - 1)
		return 0;
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)name[i]);
	return has_word(m->labels, hex, 2 * n);
}

const char *jobid_role(int kind, const struct job_hint *h, const char *ctr_name,
		       const char *const v[JK_MAX])
{
	size_t n = 0;

	switch (kind) {
	case RS_KIND_GITHUB:
		/* the runner makes the job container with the entrypoint tail -f /dev/null */
		if (has(v, JK_COMMAND) && !strcmp(v[JK_COMMAND], "tail -f /dev/null"))
			return "job";
		/* job and service containers are named <32 hex>_<image>_<6 hex>, actions not */
		while (ctr_name && n < 32 && isxdigit((unsigned char)ctr_name[n]))
			n++;
		return n == 32 && ctr_name[n] == '_' ? "service" : "action";
	case RS_KIND_GITLAB:
		if (has(v, JK_LABEL_TYPE))
			return !strcmp(v[JK_LABEL_TYPE], "build")	 ? "job" :
			       !strcmp(v[JK_LABEL_TYPE], "predefined") ? "step" :
									 "service";
		return h && h->step ? "job" : "service";
	case RS_KIND_GITEA:
		/* a service's name is not told from the job container's */
		return h && h->step ? "step" : "job";
	default:
		return "step";
	}
}

int jobid_k8s_mark(const char *pod, struct job_mark *out)
{
	static const char wf[] = "-workflow", st[] = "-step-";
	size_t n = pod ? strlen(pod) : 0;

	memset(out, 0, sizeof(*out));
	out->kind = RS_KIND_GITHUB;
	if (n > sizeof(wf) - 1 && !strcmp(pod + n - (sizeof(wf) - 1), wf)) {
		out->pod_cut = 54;
		n -= sizeof(wf) - 1;
	} else if (n > sizeof(st) - 1 + 8 && !strncmp(pod + n - 8 - (sizeof(st) - 1), st,
						       sizeof(st) - 1)) {
		out->pod_cut = 49;
		out->step = 1;
		n -= 8 + sizeof(st) - 1;
	} else {
		out->kind = 0;
		return 0;
	}
	if (n > (size_t)out->pod_cut || n >= sizeof(out->pod)) {
		out->kind = 0;
		return 0;
	}
	memcpy(out->pod, pod, n);
	out->pod[n] = '\0';
	return 1;
}
