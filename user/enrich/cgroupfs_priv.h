/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What cgroupfs.c (layout, /proc/<pid>/cgroup) and cgroup_stats.c (reading a cgroup's files)
 * share and nobody else sees.
 */
#ifndef RUNNERSCOPE_CGROUPFS_PRIV_H
#define RUNNERSCOPE_CGROUPFS_PRIV_H

#include <stddef.h>

/*
 * 0 when the len bytes at p are a path cgroupfs_paths() accepts: absolute, shorter than
 * CGROUPFS_PATH_MAX, no ".." component, so it cannot leave the mount it is joined to; -EINVAL
 */
int cgroupfs_check_path(const char *p, size_t len);

#endif
