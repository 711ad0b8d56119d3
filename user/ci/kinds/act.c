// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * act_runner (gitea/act_runner) and Forgejo's runner (forgejo/runner) run `<name> daemon`,
 * which takes runner.capacity tasks at once and runs each in goroutines of its own process:
 * a docker-mode job is a job container (entrypoint `tail -f /dev/null`) whose steps are
 * `docker exec`'d into it, with containers of their own for services and docker actions; a
 * host-mode job's steps are the daemon's children. Names of the job container:
 *   <PREFIX>-TASK-<task>_WORKFLOW-<w>_JOB-<j>          (act's underscore form)
 *   <PREFIX>-TASK-<task>-WORKFLOW-<w>-JOB-<j>-<sha256> (Gitea from v0.6: cut to 63 + hash)
 * with a docker action's step container <job container>_STEP-<id> (act/runner/step_docker.go).
 * Every step's environment has <PREFIX>_ACTIONS=true, the job's GITHUB_RUN_ID, GITHUB_JOB and
 * GITHUB_RUN_ATTEMPT, in docker mode JOB_CONTAINER_NAME, and (Gitea from v2.3) RUNNER_NAME.
 * The registration is the JSON file runner.file of the config (default .runner, from the
 * daemon's working directory), the runner's name its "name" (internal/pkg/config/
 * registration.go); the config file is -c/--config's, defaults without one
 * (internal/pkg/config/config.go).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "lib/log.h"
#include "enrich/procfs.h"
#include "ci/capacity.h"
#include "ci/runner_file.h"
#include "ci/runner_proc.h"
#include "ci/kinds/act.h"

int act_config_capacity(const char *text, size_t len)
{
	struct config_line l;
	int v;

	if (len > RUNNER_FILE_MAX)
		return -E2BIG;
	if (config_yaml_key(text, len, "runner", "capacity", &l) &&
	    (v = capacity_key_number(l.key, l.eol, "capacity", ':')) > 0)
		return v;
	return 1;
}

int act_workdir(const char *config_text, size_t len, const char *cwd, const char *home,
		char *out, size_t sz)
{
	char v[WORKDIR_LEN];

	if (config_text &&
	    !config_yaml_value(config_text, len, "host", "workdir_parent", v, sizeof(v)) && v[0])
		return workfs__path(cwd, v, out, sz);
	return workfs__path(home, home[0] ? ".cache/act" : "", out, sz);
}

long long act_task(const char *name, const char *prefix)
{
	size_t n = 0, plen = strlen(prefix);

	if (!name || strncmp(name, prefix, plen))
		return -1;
	name += plen;
	while (name[n] >= '0' && name[n] <= '9')
		n++;
	if (name[n] != '\0' && name[n] != '_' && name[n] != '-')
		return -1;
	return capacity_id(name, n);
}

/* capacity, work folder and registration file from the config file -c names; the defaults
 * without one */
static void config(pid_t pid, struct identity *id, char *reg, size_t rsz)
{
	char arg[PATH_MAX], path[PATH_MAX], text[RUNNER_FILE_MAX + 1], cwd[PATH_MAX], home[PATH_MAX];
	size_t len = 0;
	int have = 0;

	snprintf(reg, rsz, ".runner");
	runner_proc_config_arg(pid, arg, sizeof(arg));
	if (!arg[0])
		id->capacity = 1;
	else {
		runner_proc_path(pid, arg, path, sizeof(path));
		have = !procfs__read_in_root(pid, path, text, sizeof(text), &len);
		if (have && (id->capacity = act_config_capacity(text, len)) < 0)
			id->capacity = 0;
		if (have && (config_yaml_value(text, len, "runner", "file", path, sizeof(path)) ||
			     !path[0] || snprintf(reg, rsz, "%s", path) >= (int)rsz))
			snprintf(reg, rsz, ".runner");
	}
	runner_proc_cwd(pid, cwd, sizeof(cwd));
	if (procfs__getenv(pid, "HOME", home, sizeof(home)))
		home[0] = '\0';
	act_workdir(have ? text : NULL, len, cwd, home, id->workdir, sizeof(id->workdir));
}

int act_identity(pid_t pid, struct identity *id)
{
	char reg[PATH_MAX], path[PATH_MAX], text[RUNNER_FILE_MAX + 1];
	size_t len;
	int err;

	config(pid, id, reg, sizeof(reg));
	runner_proc_path(pid, reg, path, sizeof(path));
	err = procfs__read_in_root(pid, path, text, sizeof(text), &len);
	if (err)
		return err;
	err = runner_file_parse_key(text, len, "name", id->name, sizeof(id->name));
	if (err) {
		pr_warn("ignoring %s of pid %d at %s: %s", reg, pid, path,
			err == -ENOENT ? "no name" : "malformed JSON");
		return err;
	}
	id->name_source = "runner_file";
	return 0;
}

int act_classify(const struct act_names *n, const char *ctr_name, const struct kind_vals *v,
		 struct job_hint *out)
{
	const char *own = kind_val(v, n->env), *jcn = kind_val(v, "JOB_CONTAINER_NAME");
	const char *run = kind_val(v, "GITHUB_RUN_ID"), *job = kind_val(v, "GITHUB_JOB");
	const char *runner = kind_val(v, "RUNNER_NAME");
	long long task = act_task(ctr_name, n->task_prefix);

	if (task < 0 && jcn && own)
		task = act_task(jcn, n->task_prefix);
	if (task < 0 && !(own && !strcmp(own, "true")))
		return own ? -1 : 0;
	if (task >= 0) {
		snprintf(out->id, sizeof(out->id), "task-%lld", task);
	} else if (run && job) {
		const char *attempt = kind_val(v, "GITHUB_RUN_ATTEMPT");
		char id[JOBID_LEN];

		snprintf(id, sizeof(id), "run-%s-%s-%s", run, job, attempt ? attempt : "1");
		utf8_sanitize(out->id, sizeof(out->id), id, strlen(id));
	} else {
		return -1;
	}
	if (runner)
		utf8_sanitize(out->runner, sizeof(out->runner), runner, strlen(runner));
	/* a job container sleeps while its steps are exec'd into it; a docker action's
	 * container is a step itself */
	out->step = !ctr_name || strstr(ctr_name, "_STEP-") || strstr(ctr_name, "-STEP-");
	return 1;
}

/* a service's name is not told from the job container's */
const char *act_role(const struct job_hint *h, const char *ctr_name, const struct kind_vals *v)
{
	(void)ctr_name;
	(void)v;
	return h && h->step ? "step" : "job";
}
