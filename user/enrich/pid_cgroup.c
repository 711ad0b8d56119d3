// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "enrich/cgroup_path.h"
#include "enrich/cgroupfs.h"
#include "enrich/procfs.h"
#include "enrich/pid_cgroup.h"

int pid_cgroup__read(pid_t pid, struct container_ref *ref, struct cgroup_paths *paths)
{
	char buf[4096];
	size_t len;
	int err, found;

	memset(ref, 0, sizeof(*ref));
	err = procfs__read(pid, "cgroup", buf, sizeof(buf), &len);
	if (err)
		return err;
	found = cgroup_path_file_container(buf, len, ref);
	if (paths)
		cgroupfs_paths(buf, len, paths);
	return found;
}
