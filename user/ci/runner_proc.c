// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <limits.h>
#include <stdio.h>
#include <unistd.h>
#include "enrich/procfs.h"
#include "ci/capacity.h"
#include "ci/runner_proc.h"

void runner_proc_cwd(pid_t pid, char *cwd, size_t sz)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "%s/%d/cwd", procfs__root(), pid);
	n = readlink(link, cwd, sz - 1);
	cwd[n > 1 ? n : 0] = '\0';
}

void runner_proc_path(pid_t pid, const char *rel, char *out, size_t sz)
{
	char cwd[PATH_MAX];

	if (rel[0] == '/') {
		snprintf(out, sz, "%s", rel);
		return;
	}
	runner_proc_cwd(pid, cwd, sizeof(cwd));
	if (snprintf(out, sz, "%s/%s", cwd, rel) >= (int)sz)
		out[0] = '\0';
}

size_t runner_proc_cmdline(pid_t pid, char *buf, size_t sz)
{
	size_t len;

	return procfs__read(pid, "cmdline", buf, sz, &len) ? 0 : len;
}

void runner_proc_config_arg(pid_t pid, char *arg, size_t sz)
{
	char cmdline[4096];
	size_t len = runner_proc_cmdline(pid, cmdline, sizeof(cmdline));

	if (!len || capacity_arg(cmdline, len, "-c", "--config", arg, sz))
		arg[0] = '\0';
}
