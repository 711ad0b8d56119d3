// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The Buildkite agent (buildkite/agent): `buildkite-agent start` runs each job as a
 * `buildkite-agent bootstrap` child (agent/job_runner.go), whose exit code is the job's and
 * which re-raises the SIGTERM the agent cancels it with. Its name is BUILDKITE_AGENT_NAME, its
 * jobs' variables BUILDKITE_*; --spawn runs several agents in one process. The docker plugin
 * labels its containers com.buildkite.job-id, the compose plugin names its project
 * buildkite<job id without dashes>.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "lib/utf8.h"
#include "enrich/procfs.h"
#include "ci/capacity.h"
#include "ci/runner_file.h"
#include "ci/runner_proc.h"
#include "ci/kinds/kinds.h"

static const struct kind_rule rules[] = {
	{ "buildkite-agent", "start", RS_ROLE_AGENT },
	{ "buildkite-agent", "bootstrap", RS_ROLE_JOB },
	{},
};

static const char *const keys[] = {
	"label:com.buildkite.job-id",
	"label:com.docker.compose.project",
	NULL,
};

/* text onto buf at *n; -ENAMETOOLONG when it does not fit */
static int append(char *buf, size_t sz, size_t *n, const char *s, size_t len)
{
	if (*n + len >= sz)
		return -ENAMETOOLONG;
	memcpy(buf + *n, s, len);
	*n += len;
	buf[*n] = '\0';
	return 0;
}

int buildkite_workdir(const char *raw, const char *cwd, buildkite_env_fn env, void *ctx, char *out,
		      size_t sz)
{
	char buf[WORKDIR_LEN] = "", val[WORKDIR_LEN], key[256];
	const char *p = raw;
	size_t n = 0;
	int err = 0;

	/* $VAR and ${VAR}, as Go's os.ExpandEnv: an unset one is empty */
	while (*p && !err) {
		const char *name = NULL, *close;
		size_t nlen = 0;

		if (p[0] == '$' && p[1] == '{' && (close = strchr(p + 2, '}'))) {
			name = p + 2;
			nlen = (size_t)(close - name);
			p = close + 1;
		} else if (p[0] == '$' && (isalnum((unsigned char)p[1]) || p[1] == '_')) {
			name = p + 1;
			while (isalnum((unsigned char)name[nlen]) || name[nlen] == '_')
				nlen++;
			p = name + nlen;
		}
		if (!name) {
			err = append(buf, sizeof(buf), &n, p++, 1);
			continue;
		}
		snprintf(key, sizeof(key), "%.*s", (int)nlen, name);
		if (env(ctx, key, val, sizeof(val)))
			val[0] = '\0';
		err = append(buf, sizeof(buf), &n, val, strlen(val));
	}
	if (err)
		return err;
	if (buf[0] == '~' && (buf[1] == '/' || !buf[1])) {
		if (env(ctx, "HOME", val, sizeof(val)))
			val[0] = '\0';
		return workfs__path(val, buf + 1 + strspn(buf + 1, "/"), out, sz);
	}
	return workfs__path(cwd, buf, out, sz);
}

static int env_of(void *ctx, const char *key, char *out, size_t sz)
{
	return procfs__getenv(*(pid_t *)ctx, key, out, sz);
}

/* build-path of a Buildkite config file at path, when there is one: 0, or -errno */
static int build_path_in(pid_t pid, const char *path, char *raw, size_t sz)
{
	char text[RUNNER_FILE_MAX + 1];
	size_t len;
	int err = procfs__read_in_root(pid, path, text, sizeof(text), &len);

	if (!err)
		config_kv_value(text, len, "build-path", raw, sz);
	return err;
}

/*
 * build-path of the Buildkite agent's config file: the one --config or BUILDKITE_AGENT_CONFIG
 * names, else the first there is of the agent's defaults (buildkite/agent
 * clicommand/agent_start.go, defaultConfigFilePaths()): beside its executable, in its home,
 * in /usr/local/etc and /etc
 */
static void buildkite_config_path(pid_t pid, const char *args, size_t alen, char *raw, size_t sz)
{
	char arg[PATH_MAX], exe[PATH_MAX], home[PATH_MAX], path[PATH_MAX];
	const char *dirs[] = { exe, home, "/usr/local/etc/buildkite-agent", "/etc/buildkite-agent" };

	if (!capacity_arg(args, alen, NULL, "--config", arg, sizeof(arg)) ||
	    !procfs__getenv(pid, "BUILDKITE_AGENT_CONFIG", arg, sizeof(arg))) {
		runner_proc_path(pid, arg, path, sizeof(path));
		build_path_in(pid, path, raw, sz);
		return;
	}
	if (procfs__exe(pid, exe, sizeof(exe)) || !strrchr(exe, '/'))
		exe[0] = '\0';
	else
		*strrchr(exe, '/') = '\0';
	if (procfs__getenv(pid, "HOME", home, sizeof(home)))
		home[0] = '\0';
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (!dirs[i][0] ||
		    snprintf(path, sizeof(path), "%s%s/buildkite-agent.cfg", dirs[i],
			     dirs[i] == home ? "/.buildkite-agent" : "") >= (int)sizeof(path))
			continue;
		if (!build_path_in(pid, path, raw, sz))
			return;
	}
}

/*
 * the Buildkite agent runs --spawn agents in one process (BUILDKITE_AGENT_SPAWN); its build
 * path is the flag's, the environment's or the config file's, in that order (the agent's own)
 */
static void buildkite_config(pid_t pid, struct identity *id)
{
	char cmdline[4096], v[32], raw[WORKDIR_LEN], cwd[PATH_MAX];
	size_t len = 0;

	len = runner_proc_cmdline(pid, cmdline, sizeof(cmdline));
	id->capacity = 1;
	if (!capacity_arg(cmdline, len, NULL, "--spawn", v, sizeof(v)) ||
	    !procfs__getenv(pid, "BUILDKITE_AGENT_SPAWN", v, sizeof(v)))
		id->capacity = capacity_number(v) > 0 ? capacity_number(v) : 1;
	raw[0] = '\0';
	if (capacity_arg(cmdline, len, NULL, "--build-path", raw, sizeof(raw)) &&
	    procfs__getenv(pid, "BUILDKITE_BUILD_PATH", raw, sizeof(raw)))
		buildkite_config_path(pid, cmdline, len, raw, sizeof(raw));
	if (!raw[0])
		return;
	runner_proc_cwd(pid, cwd, sizeof(cwd));
	buildkite_workdir(raw, cwd, env_of, &pid, id->workdir, sizeof(id->workdir));
}

static int identity(pid_t pid, struct identity *id)
{
	char buf[NAME_LEN * 4];

	buildkite_config(pid, id);
	if (procfs__getenv(pid, "BUILDKITE_AGENT_NAME", buf, sizeof(buf)) || !buf[0])
		return -ENOENT;
	utf8_sanitize(id->name, sizeof(id->name), buf, strlen(buf));
	id->name_source = "env";
	return 0;
}

/* the agent cancels a job with SIGTERM, which bootstrap re-raises */
static int result(int wait_status, enum job_result *res, enum job_reason *why)
{
	if ((wait_status & 0x7f) != 15)
		return 0;
	*res = RESULT_CANCELLED;
	*why = REASON_CANCELLED;
	return 1;
}

void buildkite_undash(const char *id, char *out, size_t sz)
{
	size_t n = 0;

	for (; *id && n + 1 < sz; id++)
		if (*id != '-')
			out[n++] = *id;
	if (sz)
		out[n] = '\0';
}

/* the docker plugin's label; the compose plugin's project, buildkite<id without dashes> */
static int mark(const char *pod, const struct kind_vals *v, struct job_mark *out)
{
	const char *label = kind_val(v, "label:com.buildkite.job-id");
	const char *project = kind_val(v, "label:com.docker.compose.project");

	(void)pod;
	if (!label && !(project && !strncmp(project, "buildkite", 9) && project[9]))
		return 0;
	buildkite_undash(label ? label : project + 9, out->id, sizeof(out->id));
	return 1;
}

/* the running job whose BUILDKITE_JOB_ID it carries */
static int marks_job(const struct job_mark *m, const struct kind_runner *r, const char *track)
{
	char id[JOBID_LEN];

	(void)r;
	buildkite_undash(track, id, sizeof(id));
	return id[0] && !strcmp(id, m->id);
}

const struct kind_ops kind_buildkite = {
	.name = "buildkite",
	.traits = KIND_CONTEXT_AT_START,
	.rules = rules,
	.keys = keys,
	.context = { "BUILDKITE_PIPELINE_SLUG", "BUILDKITE_PIPELINE_NAME", "BUILDKITE_LABEL",
		     "BUILDKITE_BUILD_NUMBER", "BUILDKITE_RETRY_COUNT", "BUILDKITE_JOB_ID" },
	.identity = identity,
	.result = result,
	.mark = mark,
	.marks_job = marks_job,
};
