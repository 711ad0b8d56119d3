/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef RUNNERSCOPE_PID_CGROUP_H
#define RUNNERSCOPE_PID_CGROUP_H

#include <sys/types.h>

struct container_ref;
struct cgroup_paths;

/*
 * A process's cgroups, from one read of /proc/<pid>/cgroup (under --proc.root): the container
 * they name into *ref and, when paths is not NULL, its path in each hierarchy. 1 when they
 * name a container, 0 when not (*ref zeroed), -errno when the file could not be read.
 */
int pid_cgroup__read(pid_t pid, struct container_ref *ref, struct cgroup_paths *paths);

#endif
