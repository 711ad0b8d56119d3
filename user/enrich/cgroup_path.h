/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Container identity from cgroup paths, for every runtime layout runnerscope knows. */
#ifndef RUNNERSCOPE_CGROUP_PATH_H
#define RUNNERSCOPE_CGROUP_PATH_H

#include <stddef.h>

enum container_runtime {
	RUNTIME_NONE,
	RUNTIME_DOCKER,
	RUNTIME_CONTAINERD,
	RUNTIME_CRIO,
	RUNTIME_PODMAN,
	RUNTIME_MAX,
};

#define CONTAINER_ID_LEN 64
#define POD_UID_LEN 36

struct container_ref {
	char id[CONTAINER_ID_LEN + 1];
	char pod_uid[POD_UID_LEN + 1];
	int runtime;
	int nested; /* the container sits inside another one (docker-in-docker, a dind sidecar) */
};

const char *cgroup_path__runtime_name(int runtime);

/* 1 and *out filled when the path names a container (the innermost one), 0 when not. */
int cgroup_path__container(const char *path, struct container_ref *out);

/*
 * Reads the text of /proc/<pid>/cgroup: the cgroup2 line ("0::/…") first, then the v1
 * hierarchies in order. 1 and *out filled when one names a container, 0 when none does.
 */
int cgroup_path_file_container(const char *text, size_t len, struct container_ref *out);

/*
 * 1 when the text of /proc/<pid>/cgroup (len bytes) puts the process in container id (a
 * 64-hex id) or in a container nested in it, in any hierarchy: some component of a path names
 * it, bare or as a runtime prefixes it (libpod-conmon-<id> names the monitor's own, not it)
 */
int cgroup_path_file_within(const char *text, size_t len, const char *id);

#endif
