// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "identity.h"
#include "expo.h"
#include <linux/types.h>
#include "jobs.h"
#include "log.h"
#include "procfs.h"
#include "runner_file.h"

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
		expo_sanitize(version, vsz, bin + 4, (size_t)(bin_end - bin - 4));
	n = (size_t)(p - exe);
	if (n == 0)
		n = 1; /* the root directory itself */
	if (n >= sz)
		return -EINVAL;
	memcpy(root, exe, n);
	root[n] = '\0';
	return 0;
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
	if (err)
		pr_warn("ignoring .runner of pid %d at %s: %s", pid, path,
			err == -ENOENT ? "no agentName" : "malformed JSON");
	return err;
}

void identity_resolve(pid_t pid, int kind, struct identity *id)
{
	char buf[4096];
	size_t len;

	memset(id, 0, sizeof(*id));
	if (!procfs_read(pid, "cgroup", buf, sizeof(buf), &len)) {
		cgroup_file_container(buf, len, &id->ctr);
		cgroupfs_paths(buf, len, &id->cg);
	}

	if (kind == RS_KIND_GITHUB && !name_from_runner_file(pid, id)) {
		id->name_source = "runner_file";
		return;
	}
	if (!procfs_getenv(pid, "RUNNER_NAME", buf, sizeof(buf)) && buf[0]) {
		expo_sanitize(id->name, sizeof(id->name), buf, strlen(buf));
		id->name_source = "env";
		return;
	}
	if (!procfs_hostname(pid, buf, sizeof(buf)) && buf[0]) {
		expo_sanitize(id->name, sizeof(id->name), buf, strlen(buf));
		id->name_source = "hostname";
		return;
	}
	snprintf(id->name, sizeof(id->name), "unknown");
	id->name_source = "unknown";
}
