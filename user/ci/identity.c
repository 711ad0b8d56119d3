// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>
#include "jobs.h"
#include "lib/log.h"
#include "enrich/pid_cgroup.h"
#include "enrich/procfs.h"
#include "ci/capacity.h"
#include "ci/identity.h"
#include "ci/runner_file.h"

int identity_runner_root(const char *exe, char *root, size_t sz, char *version, size_t vsz)
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
	text = malloc(RUNNER_DEPS_MAX + 1);
	if (!text)
		return;
	err = procfs_read_in_root(pid, path, text, RUNNER_DEPS_MAX + 1, &len);
	if (!err)
		err = runner_deps_version(text, len, id->version, sizeof(id->version));
	if (err)
		pr_debug("no version for pid %d from %s: %s", pid, path, strerror(-err));
	free(text);
}

static int name_from_runner_file(pid_t pid, struct identity *id)
{
	char exe[PATH_MAX], root[PATH_MAX], path[PATH_MAX + 16], text[RUNNER_FILE_MAX + 1];
	size_t len;
	int err;

	err = procfs_exe(pid, exe, sizeof(exe));
	if (err)
		return err;
	err = identity_runner_root(exe, root, sizeof(root), id->version, sizeof(id->version));
	if (err)
		return err;
	snprintf(path, sizeof(path), "%s/.runner", strcmp(root, "/") ? root : "");
	err = procfs_read_in_root(pid, path, text, sizeof(text), &len);
	if (err) {
		pr_debug("failed to read .runner of pid %d at %s: %s", pid, path, strerror(-err));
		return err;
	}
	err = runner_file_parse(text, len, id->name, sizeof(id->name));
	if (!err)
		runner_docker_label(text, len, id->docker_label, sizeof(id->docker_label));
	if (err)
		pr_warn("ignoring .runner of pid %d at %s: %s", pid, path,
			err == -ENOENT ? "no agentName" : "malformed JSON");
	else if (!id->version[0])
		version_from_deps(pid, exe, id);
	return err;
}

/* a path as the process sees it: absolute, or relative to its working directory */
static void path_of(pid_t pid, const char *rel, char *out, size_t sz)
{
	char link[64], cwd[PATH_MAX];
	ssize_t n;

	if (rel[0] == '/') {
		snprintf(out, sz, "%s", rel);
		return;
	}
	snprintf(link, sizeof(link), "%s/%d/cwd", procfs_root(), pid);
	n = readlink(link, cwd, sizeof(cwd) - 1);
	cwd[n > 0 ? n : 0] = '\0';
	if (snprintf(out, sz, "%s/%s", n > 1 ? cwd : "", rel) >= (int)sz)
		out[0] = '\0'; /* no such path: nothing is read */
}

/* act_runner and gitea-runner keep their registration, "name" included, in .runner */
static int name_from_gitea_file(pid_t pid, struct identity *id)
{
	char path[PATH_MAX], text[RUNNER_FILE_MAX + 1];
	size_t len;
	int err;

	path_of(pid, ".runner", path, sizeof(path));
	err = procfs_read_in_root(pid, path, text, sizeof(text), &len);
	if (err)
		return err;
	err = runner_file_parse_key(text, len, "name", id->name, sizeof(id->name));
	if (err)
		pr_warn("ignoring .runner of pid %d at %s: %s", pid, path,
			err == -ENOENT ? "no name" : "malformed JSON");
	return err;
}

/* the value of -c/--config on the process's command line, "" when there is none */
static void config_arg(pid_t pid, char *arg, size_t sz)
{
	char cmdline[4096];
	size_t len;

	arg[0] = '\0';
	if (procfs_read(pid, "cmdline", cmdline, sizeof(cmdline), &len) ||
	    capacity_arg(cmdline, len, "-c", "--config", arg, sz))
		arg[0] = '\0';
}

/* act_runner's capacity, from the config file -c names; the default 1 without one */
static void gitea_capacity(pid_t pid, struct identity *id)
{
	char arg[PATH_MAX], path[PATH_MAX], text[RUNNER_FILE_MAX + 1];
	size_t len;

	config_arg(pid, arg, sizeof(arg));
	if (!arg[0]) {
		id->capacity = 1;
		return;
	}
	path_of(pid, arg, path, sizeof(path));
	if (!procfs_read_in_root(pid, path, text, sizeof(text), &len) &&
	    (id->capacity = gitea_config_capacity(text, len)) < 0)
		id->capacity = 0;
}

/* the Buildkite agent runs --spawn agents in one process (BUILDKITE_AGENT_SPAWN) */
static void buildkite_capacity(pid_t pid, struct identity *id)
{
	char cmdline[4096], v[32];
	size_t len;

	id->capacity = 1;
	if ((!procfs_read(pid, "cmdline", cmdline, sizeof(cmdline), &len) &&
	     !capacity_arg(cmdline, len, NULL, "--spawn", v, sizeof(v))) ||
	    !procfs_getenv(pid, "BUILDKITE_AGENT_SPAWN", v, sizeof(v)))
		id->capacity = capacity_number(v) > 0 ? capacity_number(v) : 1;
}

/* the config file `gitlab-runner run` reads: -c/--config, CONFIG_FILE, then the defaults */
static int name_from_gitlab_config(pid_t pid, struct identity *id)
{
	char arg[PATH_MAX], path[PATH_MAX], text[RUNNER_FILE_MAX + 1];
	char token[128];
	size_t len;
	int err = -ENOENT;

	config_arg(pid, arg, sizeof(arg));
	if (!arg[0])
		procfs_getenv(pid, "CONFIG_FILE", arg, sizeof(arg));
	for (int attempt = 0; attempt < 2 && err; attempt++) {
		if (arg[0]) {
			if (attempt)
				break;
			path_of(pid, arg, path, sizeof(path));
		} else if (!attempt) {
			snprintf(path, sizeof(path), "/etc/gitlab-runner/config.toml");
		} else {
			char home[PATH_MAX];

			if (procfs_getenv(pid, "HOME", home, sizeof(home)) || !home[0])
				break;
			if (snprintf(path, sizeof(path), "%s/.gitlab-runner/config.toml", home) >=
			    (int)sizeof(path))
				break;
		}
		err = procfs_read_in_root(pid, path, text, sizeof(text), &len);
	}
	if (err)
		return err;
	if ((err = gitlab_config_capacity(text, len)) > 0)
		id->capacity = err;
	err = gitlab_config_parse(text, len, id->name, sizeof(id->name), token, sizeof(token));
	if (err) {
		pr_warn("no runner name in %s of pid %d", path, pid);
		return err;
	}
	if (token[0])
		gitlab_short_token(token, id->token, sizeof(id->token));
	return 0;
}

void identity_resolve(pid_t pid, int kind, struct identity *id)
{
	char buf[4096];

	memset(id, 0, sizeof(*id));
	pid_cgroup(pid, &id->ctr, &id->cg);
	if (kind == RS_KIND_GITHUB)
		id->capacity = 1; /* a runner runs one job at a time */
	else if (kind == RS_KIND_GITEA)
		gitea_capacity(pid, id);
	else if (kind == RS_KIND_BUILDKITE)
		buildkite_capacity(pid, id);

	if ((kind == RS_KIND_GITHUB && !name_from_runner_file(pid, id)) ||
	    (kind == RS_KIND_GITEA && !name_from_gitea_file(pid, id))) {
		id->name_source = "runner_file";
		return;
	}
	if (kind == RS_KIND_GITLAB && !name_from_gitlab_config(pid, id)) {
		id->name_source = "config_file";
		return;
	}
	if (kind == RS_KIND_BUILDKITE && !procfs_getenv(pid, "BUILDKITE_AGENT_NAME", buf, sizeof(buf)) &&
	    buf[0]) {
		utf8_sanitize(id->name, sizeof(id->name), buf, strlen(buf));
		id->name_source = "env";
		return;
	}
	if (!procfs_getenv(pid, "RUNNER_NAME", buf, sizeof(buf)) && buf[0]) {
		utf8_sanitize(id->name, sizeof(id->name), buf, strlen(buf));
		id->name_source = "env";
		return;
	}
	/* a process on its way out has let its memory and files go (so its .runner and its
	 * environment could not be read), but not yet its UTS namespace: its hostname would name
	 * it for what it no longer showed */
	if (!procfs_exe(pid, buf, sizeof(buf)) && !procfs_hostname(pid, buf, sizeof(buf)) &&
	    buf[0]) {
		utf8_sanitize(id->name, sizeof(id->name), buf, strlen(buf));
		id->name_source = "hostname";
		return;
	}
	snprintf(id->name, sizeof(id->name), "unknown");
	id->name_source = "unknown";
}
