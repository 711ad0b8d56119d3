// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * GitHub Actions' runner (actions/runner) and actions-runner-controller's modes.
 *
 * run.sh and the service wrapper start `Runner.Listener run`; a bare Listener runs too.
 * `configure`, `remove` and `warmup` are short-lived commands, not agents. The Listener starts
 * each job as `Runner.Worker spawnclient <in-fd> <out-fd>` (src/Runner.Listener/JobDispatcher.cs)
 * and the Worker's exit code is 100 + the job's TaskResult (src/Runner.Common/Util/
 * TaskResultUtil.cs). The runner's root is dirname(dirname(exe)), with the bin directory
 * bin.<version> after a self-update; its registration is <root>/.runner (JSON, agentName,
 * workFolder). The containers it makes for a job carry its instance label (github_docker_label());
 * ARC's Kubernetes mode runs a job in "<runner pod>-workflow" and container steps in
 * "<runner pod>-step-<n>" pods; its docker container hook labels them with the runner's name in
 * hex. Steps carry GITHUB_* and RUNNER_TRACKING_ID=github_<guid>.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/crypto.h>
#include "lib/log.h"
#include "lib/utf8.h"
#include "enrich/procfs.h"
#include "ci/runner_file.h"
#include "ci/kinds/kinds.h"

static const struct kind_rule rules[] = {
	{ "Runner.Listener", "run", RS_ROLE_AGENT },
	{ "Runner.Listener", "", RS_ROLE_AGENT },
	{ "Runner.Worker", "spawnclient", RS_ROLE_JOB },
	{},
};

static const char *const keys[] = { "labels:", "command:", NULL };
int github_runner_root(const char *exe, char *root, size_t sz, char *version, size_t vsz)
{
	const char *bin_end, *bin, *p;
	size_t n;

	version[0] = '\0';
	if (exe[0] != '/')
		return -EINVAL;
	bin_end = strrchr(exe, '/');
	if (bin_end == exe)
		return -EINVAL;
	/* the bin directory: bin, or bin.<version> after a self-update */
	for (p = bin_end - 1; p > exe && *p != '/'; p--)
		;
	if (*p != '/')
		return -EINVAL;
	bin = p + 1;
	if ((size_t)(bin_end - bin) > 4 && !strncmp(bin, "bin.", 4))
		utf8_sanitize(version, vsz, bin + 4, (size_t)(bin_end - bin - 4));
	n = (size_t)(p - exe);
	if (n == 0)
		n = 1; /* the root directory itself */
	if (n >= sz)
		return -EINVAL;
	memcpy(root, exe, n);
	root[n] = '\0';
	return 0;
}

int github_runner_name(const char *text, size_t len, char *name, size_t name_sz)
{
	return runner_file_parse_key(text, len, "agentName", name, name_sz);
}

int github_deps_version(const char *text, size_t len, char *version, size_t vsz)
{
	static const char key[] = "\"Runner.Listener/";
	const char *p = text, *end = text + len, *v;
	size_t n;

	if (!vsz)
		return -EINVAL;
	version[0] = '\0';
	while ((p = memmem(p, (size_t)(end - p), key, sizeof(key) - 1))) {
		v = p + sizeof(key) - 1;
		n = 0;
		while (v + n < end && ((v[n] >= '0' && v[n] <= '9') || v[n] == '.'))
			n++;
		/* a whole version, ended by its quote: 2.321.0, not a prefix of something else */
		if (n && n < vsz && v + n < end && v[n] == '"' && v[0] != '.') {
			memcpy(version, v, n);
			version[n] = '\0';
			return 0;
		}
		p = v;
	}
	return -ENOENT;
}

int github_docker_label(const char *text, size_t len, char *out, size_t sz)
{
	unsigned char digest[32];
	char *lower;

	if (sz < 7)
		return -EINVAL;
	if (len >= 3 && !memcmp(text, "\xef\xbb\xbf", 3)) {
		text += 3;
		len -= 3;
	}
	lower = malloc(len + 1);
	if (!lower)
		return -ENOMEM;
	for (size_t i = 0; i < len; i++)
		lower[i] = text[i] >= 'A' && text[i] <= 'Z' ? (char)(text[i] + 32) : text[i];
	if (gnutls_hash_fast(GNUTLS_DIG_SHA256, lower, len, digest)) {
		free(lower);
		return -EIO;
	}
	free(lower);
	snprintf(out, sz, "%02x%02x%02x", digest[0], digest[1], digest[2]);
	return 0;
}

int github_workdir(const char *runner_text, size_t len, const char *root, char *out, size_t sz)
{
	char folder[WORKDIR_LEN];

	if (!runner_text ||
	    runner_file_parse_key(runner_text, len, "workFolder", folder, sizeof(folder)))
		snprintf(folder, sizeof(folder), "_work");
	return workfs__path(root, folder, out, sz);
}

/* the version a runner that never updated itself (bin/, not bin.<version>) was built as */
static void version_from_deps(pid_t pid, const char *exe, struct identity *id)
{
	char path[PATH_MAX + 32], *text;
	const char *dir_end = strrchr(exe, '/');
	size_t len;
	int err;

	if (!dir_end || snprintf(path, sizeof(path), "%.*s/Runner.Listener.deps.json",
				 (int)(dir_end - exe), exe) >= (int)sizeof(path))
		return;
	text = malloc(GITHUB_DEPS_MAX + 1);
	if (!text)
		return;
	err = procfs__read_in_root(pid, path, text, GITHUB_DEPS_MAX + 1, &len);
	if (!err)
		err = github_deps_version(text, len, id->version, sizeof(id->version));
	if (err)
		pr_debug("no version for pid %d from %s: %s", pid, path, strerror(-err));
	free(text);
}

static int name_from_runner_file(pid_t pid, struct identity *id)
{
	char exe[PATH_MAX], root[PATH_MAX], path[PATH_MAX + 16], text[RUNNER_FILE_MAX + 1];
	size_t len;
	int err;

	err = procfs__exe(pid, exe, sizeof(exe));
	if (err)
		return err;
	err = github_runner_root(exe, root, sizeof(root), id->version, sizeof(id->version));
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/.runner", strcmp(root, "/") ? root : "");
	err = procfs__read_in_root(pid, path, text, sizeof(text), &len);
	github_workdir(err ? NULL : text, len, root, id->workdir, sizeof(id->workdir));
	if (err) {
		pr_debug("failed to read .runner of pid %d at %s: %s", pid, path, strerror(-err));
		return err;
	}
	err = github_runner_name(text, len, id->name, sizeof(id->name));
	if (!err)
		github_docker_label(text, len, id->tag, sizeof(id->tag));
	if (err)
		pr_warn("ignoring .runner of pid %d at %s: %s", pid, path,
			err == -ENOENT ? "no agentName" : "malformed JSON");
	else if (!id->version[0])
		version_from_deps(pid, exe, id);
	return err;
}

static int identity(pid_t pid, struct identity *id)
{
	id->capacity = 1; /* a runner runs one job at a time */
	if (name_from_runner_file(pid, id))
		return -ENOENT;
	id->name_source = "runner_file";
	return 0;
}

/* actions/runner TaskResultUtil: the Worker returns 100 + TaskResult */
static int result(int wait_status, enum job_result *res, enum job_reason *why)
{
	int code = (wait_status >> 8) & 0xff;

	if (wait_status & 0x7f)
		return 0;
	if (code >= 100 && code < 100 + RESULT_MAX) {
		*res = (enum job_result)(code - 100);
		*why = *res == RESULT_CANCELLED ? REASON_CANCELLED : REASON_RUNNER_REPORTED;
	} else {
		*res = RESULT_FAILURE;
		*why = REASON_CRASHED;
	}
	return 1;
}

/* 1 when the space-separated list holds word whole */
static int has_word(const char *list, const char *word, size_t n)
{
	for (const char *p = list; (p = strstr(p, word)); p++)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

int github_k8s_mark(const char *pod, struct job_mark *out)
{
	static const char wf[] = "-workflow", st[] = "-step-";
	size_t n = pod ? strlen(pod) : 0;

	memset(out, 0, sizeof(*out));
	if (n > sizeof(wf) - 1 && !strcmp(pod + n - (sizeof(wf) - 1), wf)) {
		out->pod_cut = 54;
		n -= sizeof(wf) - 1;
	} else if (n > sizeof(st) - 1 + 8 && !strncmp(pod + n - 8 - (sizeof(st) - 1), st,
						       sizeof(st) - 1)) {
		out->pod_cut = 49;
		out->step = 1;
		n -= 8 + sizeof(st) - 1;
	} else {
		return 0;
	}
	if (n > (size_t)out->pod_cut || n >= sizeof(out->pod))
		return 0;
	memcpy(out->pod, pod, n);
	out->pod[n] = '\0';
	return 1;
}

/* the containers it makes for a job carry labels with empty values; ARC's pods their names */
static int mark(const char *pod, const struct kind_vals *v, struct job_mark *out)
{
	const char *labels = kind_val(v, "labels:");

	if (labels) {
		snprintf(out->labels, sizeof(out->labels), "%s", labels);
		return 1;
	}
	return github_k8s_mark(pod, out);
}

int github_marked(const struct job_mark *m, const struct kind_runner *r)
{
	char hex[2 * NAME_LEN + 1];
	size_t n = strlen(r->name);

	if (m->pod[0]) {
		size_t p = r->pod ? strlen(r->pod) : 0;

		/* the runner's pod, as the hook cut it */
		return p && (p > (size_t)m->pod_cut ? strlen(m->pod) == (size_t)m->pod_cut &&
							     !strncmp(r->pod, m->pod, (size_t)m->pod_cut) :
						     !strcmp(r->pod, m->pod));
	}
	if (r->tag[0] && has_word(m->labels, r->tag, strlen(r->tag)))
		return 1;
	if (!n || n > NAME_LEN / 2 - 1)
		return 0;
	for (size_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", (unsigned char)r->name[i]);
	return has_word(m->labels, hex, 2 * n);
}

/* one Worker at a time per runner: a mark of the runner is its running job's */
static int marks_job(const struct job_mark *m, const struct kind_runner *r, const char *track)
{
	(void)track;
	return github_marked(m, r);
}

static const char *role(const struct job_hint *h, const char *ctr_name, const struct kind_vals *v)
{
	const char *cmd = kind_val(v, "command:");
	size_t n = 0;

	(void)h;
	/* the runner makes the job container with the entrypoint tail -f /dev/null */
	if (cmd && !strcmp(cmd, "tail -f /dev/null"))
		return "job";
	/* job and service containers are named <32 hex>_<image>_<6 hex>, actions not */
	while (ctr_name && n < 32 && isxdigit((unsigned char)ctr_name[n]))
		n++;
	return n == 32 && ctr_name[n] == '_' ? "service" : "action";
}

const struct kind_ops kind_github = {
	.name = "github",
	.rules = rules,
	.keys = keys,
	.context = { "GITHUB_REPOSITORY", "GITHUB_WORKFLOW", "GITHUB_JOB", "GITHUB_RUN_ID",
		     "GITHUB_RUN_ATTEMPT", "RUNNER_TRACKING_ID" },
	.identity = identity,
	.result = result,
	.mark = mark,
	.marks_job = marks_job,
	.role = role,
};
