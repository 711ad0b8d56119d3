// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A process's environment and command line, read as runnerscope reads them (/proc/<pid>/…
 * under --proc.root, here a directory of the fuzzer's), then what the kinds make of the
 * values (ci/kinds/: job ids, marks, roles), with the input's last line as a container name. The environment
 * read from memory must give what /proc gave.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "ci/kinds/kinds.h"
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
	static char buf[KINDS_KEYS_MAX][256], mem[KINDS_KEYS_MAX][256];
	char *v[KINDS_KEYS_MAX] = {}, *m[KINDS_KEYS_MAX] = {}, arg1[64], ctr[256] = "";
	int found, n, n_env;
	const char *last, *const *keys = kinds__keys(&n, &n_env);
	struct kind_vals kv;
	struct job_hint h;
	struct job_mark mark;
	int has1;

	if (!root[0]) {
		snprintf(root, sizeof(root), "/dev/shm/rs-fuzz-%d", (int)getpid());
		mkdir(root, 0700);
		snprintf(buf[0], sizeof(buf[0]), "%s/1", root);
		mkdir(buf[0], 0700);
		procfs__set_root(root);
		atexit(remove_root);
	}
	put("environ", data, size);
	put("cmdline", data, size);
	for (int i = 0; i < n; i++) {
		v[i] = buf[i];
		buf[i][0] = '\0';
	}
	found = procfs__getenv_many(1, keys, v, sizeof(buf[0]), n_env);
	if (found >= 0) {
		/* the same environment from memory, as a job's start brings it, reads the same */
		for (int i = 0; i < n; i++)
			m[i] = mem[i];
		if (procfs__environ_getenv_many((const char *)data, size, keys, m, sizeof(mem[0]), n_env) !=
		    found)
			abort();
		for (int i = 0; i < n_env; i++)
			if (strcmp(v[i], m[i]))
				abort();
		last = memrchr(data, '\n', size);
		if (last)
			snprintf(ctr, sizeof(ctr), "%.*s", (int)(size - (size_t)(last + 1 - (const char *)data)),
				 last + 1);
		kv = kinds__vals((const char *const *)v);
		if (kinds__classify(ctr[0] ? ctr : NULL, &kv, &h) > 0)
			kinds__role(h.kind, &h, ctr, &kv);
		if (kinds__mark(ctr, &kv, &mark))
			kinds__role(mark.kind, NULL, ctr, &kv);
	}
	procfs__arg1(1, arg1, sizeof(arg1), &has1);
	return 0;
}
