// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* /proc/<pid>/cgroup and /proc/<pid>/stat as a container could shape them */
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

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	cgroup_file_container(s, size, &ref);
	cgroupfs_paths(s, size, &paths);
	/* one path, as the discovery walk sees a directory name */
	cgroup_path_container(s, &ref);
	procfs_parse_stat(s, 100, &st);
	free(s);
	return 0;
}
