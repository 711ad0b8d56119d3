// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * /proc/<pid>/cgroup and /proc/<pid>/stat as a container could shape them, a cgroup's path as
 * the kernel's cgroup events give it (any name a process with a delegated subtree may make),
 * and /proc/cgroups
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "enrich/cgroup_path.h"
#include "enrich/cgroupfs.h"
#include "enrich/procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	struct container_ref ref;
	struct cgroup_paths paths;
	struct proc_stat st;
	struct cgroup_layout l = { .cpuacct = "/c", .memory = "/m" };

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	cgroup_path_file_container(s, size, &ref);
	cgroupfs_paths(s, size, &paths);
	/* one path, as a cgroup event or the walk gives it */
	cgroup_path__container(s, &ref);
	cgroupfs_hier_ids(s, size, &l);
	procfs__parse_stat(s, 100, &st);
	free(s);
	return 0;
}
