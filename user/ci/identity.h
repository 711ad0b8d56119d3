/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Names a runner from its agent or job process: runner name, version, container. */
#ifndef RUNNERSCOPE_IDENTITY_H
#define RUNNERSCOPE_IDENTITY_H

#include <sys/types.h>
#include "enrich/cgroup_path.h"
#include "enrich/cgroupfs.h"
#include "lib/utf8.h"

struct identity {
	char name[NAME_LEN];
	const char *name_source; /* runner_file, env, hostname, unknown (pod, container later) */
	char version[64];
	char token[16]; /* GitLab: the short token of its runner, "" when not known */
	char docker_label[8]; /* GitHub: the label on its jobs' containers (runner_docker_label) */
	int capacity; /* jobs it may run at once (ci/capacity.h); 0: not known */
	struct container_ref ctr;
	struct cgroup_paths cg; /* its cgroup in each hierarchy, for the container's stats */
};

/* Never fails: what cannot be read falls back to the next source, down to "unknown". */
void identity_resolve(pid_t pid, int kind, struct identity *id);

/* the runner root of an executable path: dirname(dirname(exe)); 0 or -EINVAL */
int identity_runner_root(const char *exe, char *root, size_t sz, char *version, size_t vsz);

#endif
