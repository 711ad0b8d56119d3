// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * GitLab Runner (gitlab-runner): `gitlab-runner run` with its config.toml (-c/--config,
 * CONFIG_FILE, /etc/gitlab-runner/config.toml as root, ~/.gitlab-runner/config.toml else).
 * A docker-executor job is its containers, named
 *   runner-<short token>-project-<id>-concurrent-<n>-<16 hex>-{build,predefined,<service>-<i>}
 *   (older: …-concurrent-<n>[-<16 hex>]-<type>-<index>)
 * and labelled com.gitlab.gitlab-runner.{job.id,runner.id,type} (executors/docker/internal/
 * labels); each stage restarts the build or predefined container. A shell-executor job is the
 * runner's child tree, with CI_JOB_ID, CI_RUNNER_DESCRIPTION and CI_RUNNER_SHORT_TOKEN in every
 * process of it.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "lib/log.h"
#include "lib/utf8.h"
#include "enrich/procfs.h"
#include "ci/capacity.h"
#include "ci/runner_file.h"
#include "ci/runner_proc.h"
#include "ci/kinds/kinds.h"

static const struct kind_rule rules[] = {
	{ "gitlab-runner", "run", RS_ROLE_AGENT },
	{},
};

static const char *const keys[] = {
	"CI_JOB_ID",
	"CI_RUNNER_DESCRIPTION",
	"CI_RUNNER_SHORT_TOKEN",
	"label:com.gitlab.gitlab-runner.job.id",
	"label:com.gitlab.gitlab-runner.runner.id",
	"label:com.gitlab.gitlab-runner.type",
	NULL,
};

int gitlab_config_parse(const char *text, size_t len, char *name, size_t name_sz, char *token,
			size_t token_sz)
{
	int err = config_toml_runner(text, len, "name", name, name_sz);

	if (err != -E2BIG && config_toml_runner(text, len, "token", token, token_sz))
		token[0] = '\0';
	return err;
}

int gitlab_config_capacity(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int concurrent = 1, limit = 0, table = 0, v;
	struct config_line l;

	if (len > RUNNER_FILE_MAX)
		return -E2BIG;
	while (config_next_line(&p, end, &l)) {
		if (*l.key == '[') {
			/* the top level, then the first [[runners]] table's own keys */
			if (table == 1)
				break;
			table = l.eol - l.key >= 11 && !strncmp(l.key, "[[runners]]", 11) ? 1 : 2;
			continue;
		}
		if (table == 0 && (v = capacity_key_number(l.key, l.eol, "concurrent", '=')) > 0)
			concurrent = v;
		else if (table == 1 && (v = capacity_key_number(l.key, l.eol, "limit", '=')) > 0)
			limit = v;
	}
	return limit && limit < concurrent ? limit : concurrent;
}

void gitlab_short_token(const char *token, char *out, size_t sz)
{
	static const char *const prefixes[] = { "glrt-t1_", "glrt-t2_", "glrt-t3_", "glrt-",
						"t1_",	    "t2_",	"t3_",	    "glrtr-" };
	const char *t = token;

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(t, prefixes[i], strlen(prefixes[i]))) {
			t += strlen(prefixes[i]);
			break;
		}
	if (!strncmp(t, "glcbt-", 6))
		t += 6;
	if (t[0] == 'G' && t[1] == 'R' && strlen(t) >= 9 && strspn(t + 2, "0123456789abcdefABCDEF") >= 7)
		t += 9;
	snprintf(out, sz, "%.9s", t);
}

int gitlab_workdir(const char *config_text, size_t len, const char *cwd, char *out, size_t sz)
{
	char v[WORKDIR_LEN];

	if (!config_text || config_toml_runner(config_text, len, "executor", v, sizeof(v)) ||
	    strcmp(v, "shell"))
		return workfs__path("/", "", out, sz);
	if (config_toml_runner(config_text, len, "builds_dir", v, sizeof(v)) || !v[0])
		snprintf(v, sizeof(v), "builds");
	return workfs__path(cwd, v, out, sz);
}

/* the config file `gitlab-runner run` reads: -c/--config, CONFIG_FILE, then the defaults */
static int name_from_gitlab_config(pid_t pid, struct identity *id)
{
	char arg[PATH_MAX], path[PATH_MAX], text[RUNNER_FILE_MAX + 1];
	char token[128];
	size_t len;
	int err = -ENOENT;

	runner_proc_config_arg(pid, arg, sizeof(arg));
	if (!arg[0])
		procfs__getenv(pid, "CONFIG_FILE", arg, sizeof(arg));
	for (int attempt = 0; attempt < 2 && err; attempt++) {
		if (arg[0]) {
			if (attempt)
				break;
			runner_proc_path(pid, arg, path, sizeof(path));
		} else if (!attempt) {
			snprintf(path, sizeof(path), "/etc/gitlab-runner/config.toml");
		} else {
			char home[PATH_MAX];

			if (procfs__getenv(pid, "HOME", home, sizeof(home)) || !home[0])
				break;
			if (snprintf(path, sizeof(path), "%s/.gitlab-runner/config.toml", home) >=
			    (int)sizeof(path))
				break;
		}
		err = procfs__read_in_root(pid, path, text, sizeof(text), &len);
	}
	if (err)
		return err;
	if ((err = gitlab_config_capacity(text, len)) > 0)
		id->capacity = err;
	runner_proc_cwd(pid, arg, sizeof(arg));
	gitlab_workdir(text, len, arg, id->workdir, sizeof(id->workdir));
	err = gitlab_config_parse(text, len, id->name, sizeof(id->name), token, sizeof(token));
	if (err) {
		pr_warn("no runner name in %s of pid %d", path, pid);
		return err;
	}
	if (token[0])
		gitlab_short_token(token, id->tag, sizeof(id->tag));
	return 0;
}

static int identity(pid_t pid, struct identity *id)
{
	if (name_from_gitlab_config(pid, id))
		return -ENOENT;
	id->name_source = "config_file";
	return 0;
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

static int classify(const char *ctr_name, const struct kind_vals *v, struct job_hint *out)
{
	const char *label_job = kind_val(v, "label:com.gitlab.gitlab-runner.job.id");
	const char *env_job = kind_val(v, "CI_JOB_ID"), *desc = kind_val(v, "CI_RUNNER_DESCRIPTION");
	const char *label_runner = kind_val(v, "label:com.gitlab.gitlab-runner.runner.id");
	const char *short_token = kind_val(v, "CI_RUNNER_SHORT_TOKEN");
	const char *type = kind_val(v, "label:com.gitlab.gitlab-runner.type");
	char job[JOBID_LEN], token[sizeof(out->tag)];
	long long id = -1;
	int step = 0, named;

	named = gitlab_name(ctr_name, token, sizeof(token), job, sizeof(job), &step);
	if (!named && !env_job && !label_job)
		return 0;
	if (label_job)
		id = capacity_id(label_job, strlen(label_job));
	if (id < 0 && env_job)
		id = capacity_id(env_job, strlen(env_job));
	if (id >= 0)
		snprintf(out->id, sizeof(out->id), "job-%lld", id);
	else if (named)
		snprintf(out->id, sizeof(out->id), "%s", job);
	else
		return 0;
	if (desc)
		utf8_sanitize(out->runner, sizeof(out->runner), desc, strlen(desc));
	if (label_runner)
		utf8_sanitize(out->tag, sizeof(out->tag), label_runner, strlen(label_runner));
	else if (short_token)
		utf8_sanitize(out->tag, sizeof(out->tag), short_token, strlen(short_token));
	else if (named)
		memcpy(out->tag, token, sizeof(token));
	/* which container a stage ran in: the label, else the name; a process known only by its
	 * environment is a stage's */
	if (type)
		out->step = !strcmp(type, "build") || !strcmp(type, "predefined");
	else
		out->step = named ? step : 1;
	return 1;
}

/* short tokens, as labels keep them or as container names do: lowercased, no '_' */
static int tag_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a == '_')
			a++;
		while (*b == '_')
			b++;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		if (!*a)
			return 1;
		a++;
		b++;
	}
}

static const char *role(const struct job_hint *h, const char *ctr_name, const struct kind_vals *v)
{
	const char *type = kind_val(v, "label:com.gitlab.gitlab-runner.type");

	(void)ctr_name;
	if (type)
		return !strcmp(type, "build")	   ? "job" :
		       !strcmp(type, "predefined") ? "step" :
						     "service";
	return h && h->step ? "job" : "service";
}

const struct kind_ops kind_gitlab = {
	.name = "gitlab",
	.traits = KIND_ENV_JOBS,
	.rules = rules,
	.keys = keys,
	.context = { "CI_PROJECT_PATH", "CI_PIPELINE_NAME", "CI_JOB_NAME", "CI_PIPELINE_ID", NULL,
		     "CI_JOB_ID" },
	.identity = identity,
	.classify = classify,
	.tag_eq = tag_eq,
	.role = role,
};
