// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A process's environment and command line, read as runnerscope reads them (/proc/<pid>/…
 * under --proc.root, here a directory of the fuzzer's), then what the Gitea and GitLab job
 * rules make of the values, with the input's last line as a container name. The environment
 * read from memory must give what /proc gave.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "ci/jobid.h"
#include "enrich/procfs.h"

static char root[64];

static void remove_root(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/1/environ", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/1/cmdline", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/1", root);
	rmdir(path);
	rmdir(root);
}

static void put(const char *name, const uint8_t *data, size_t size)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/1/%s", root, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		abort();
	if (size && write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[JK_MAX][256], *v[JK_MAX], mem[JK_MAX][256], *m[JK_MAX], arg1[64], ctr[256] = "";
	int found;
	const char *last;
	struct job_hint h;
	int has1;

	if (!root[0]) {
		snprintf(root, sizeof(root), "/dev/shm/rs-fuzz-%d", (int)getpid());
		mkdir(root, 0700);
		snprintf(buf[0], sizeof(buf[0]), "%s/1", root);
		mkdir(buf[0], 0700);
		procfs_set_root(root);
		atexit(remove_root);
	}
	put("environ", data, size);
	put("cmdline", data, size);
	for (int i = 0; i < JK_MAX; i++)
		v[i] = buf[i];
	found = procfs_getenv_many(1, jobid_keys, v, sizeof(buf[0]), JK_ENV_MAX);
	if (found >= 0) {
		/* the same environment from memory, as a job's start brings it, reads the same */
		for (int i = 0; i < JK_MAX; i++)
			m[i] = mem[i];
		if (environ_getenv_many((const char *)data, size, jobid_keys, m, sizeof(mem[0]),
					JK_ENV_MAX) != found)
			abort();
		for (int i = 0; i < JK_ENV_MAX; i++)
			if (strcmp(v[i], m[i]))
				abort();
		last = memrchr(data, '\n', size);
		if (last)
			snprintf(ctr, sizeof(ctr), "%.*s", (int)(size - (size_t)(last + 1 - (const char *)data)),
				 last + 1);
		jobid_classify(ctr[0] ? ctr : NULL, (const char *const *)v, &h);
	}
	procfs_arg1(1, arg1, sizeof(arg1), &has1);
	return 0;
}
