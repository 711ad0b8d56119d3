/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What cgroupfs.c (layout, /proc/<pid>/cgroup), cgroup_files.c (a cgroup's files kept open,
 * and read), cgroup_stats.c (CPU, memory, throttling, PSI) and cgroup_io.c (block I/O and
 * pids) share and nobody else sees. cgroup_stats.c calls cgroup_io.c, both call
 * cgroup_files.c, which calls neither.
 */
#ifndef RUNNERSCOPE_CGROUPFS_PRIV_H
#define RUNNERSCOPE_CGROUPFS_PRIV_H

#include <stddef.h>
#include <sys/types.h>
#include "enrich/cgroupfs.h"

/*
 * 0 when the len bytes at p are a path cgroupfs_paths() accepts: absolute, shorter than
 * CGROUPFS_PATH_MAX, no ".." component, so it cannot leave the mount it is joined to; -EINVAL
 */
int cgroupfs_check_path(const char *p, size_t len);

/* a cgroup directory being read, and where its open files are kept (cache NULL: nowhere) */
struct cgroupfs_dir {
	int fd;
	int slot;
	struct cgroup_files *cache;
};

/*
 * cgroup_files.c: reads a whole small file of the directory into buf (cap bytes with the NUL),
 * kept open in the directory's cache while the descriptor budget has room. When it fills buf,
 * the last line, cut short, is dropped. Length or -errno.
 */
ssize_t cgroupfs_dir_read(const struct cgroupfs_dir *d, const char *name, char *buf, size_t cap);
/* keeps a cgroup's directories (CG_DIRS of them, -1 where it has none) in keep while the
 * budget has room for them: 1, else 0 (keep is left as it was) */
int cgroupfs_files_keep_dirs(struct cgroup_files *keep, const int fds[CG_DIRS]);

/* cgroup_io.c */

/* v1 blkio's throttle counters: CG_IO */
void cgroup_io_v1(const struct cgroupfs_dir *d, struct container_stats *st);
/* cgroup2's io.stat: CG_IO */
void cgroup_io_v2(const struct cgroupfs_dir *d, struct container_stats *st);
/* pids.current and pids.max, v1 and cgroup2 alike: CG_PIDS, CG_PIDS_LIMIT */
void cgroup_io_pids(const struct cgroupfs_dir *d, struct container_stats *st);

#endif
