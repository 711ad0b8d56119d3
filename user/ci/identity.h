/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Names a runner from its agent or job process: runner name, version, container. */
#ifndef RUNNERSCOPE_IDENTITY_H
#define RUNNERSCOPE_IDENTITY_H

#include <sys/types.h>
#include "enrich/cgroup_path.h"
#include "enrich/cgroupfs.h"
#include "enrich/containers.h"
#include "enrich/workfs.h"
#include "lib/utf8.h"

#define IDENTITY_TAG_LEN 16

struct identity {
	char name[NAME_LEN];
	/* runner_file, config_file, env, hostname, unknown (pod, container later), pinned */
	const char *name_source;
	char version[64];
	/* what its jobs' containers or processes name it by besides its name, as its kind has it
	 * (a GitLab short token, the label on a GitHub runner's containers); "" when not known */
	char tag[IDENTITY_TAG_LEN];
	int capacity; /* jobs it may run at once; 0: not known */
	char workdir[WORKDIR_LEN]; /* where its jobs work, as it sees it; "": / */
	struct container_ref ctr;
	struct cgroup_paths cg; /* its cgroup in each hierarchy, for the container's stats */
	/* its container's names, as the containers have them (the intake asks them) */
	struct container_names names;
};

/*
 * Names the runner of process pid, of this kind: from the kind's own files first, then
 * RUNNER_NAME, the hostname and "unknown". Never fails. Reads /proc: whoever calls it does so
 * before handing the state a record.
 */
void identity__resolve(pid_t pid, int kind, struct identity *id);

#endif
