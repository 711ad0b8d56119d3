/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What cgroupfs.c (layout, /proc/<pid>/cgroup), cgroup_stats.c (reading a cgroup's files) and
 * cgroup_io.c (its block I/O and pids files) share and nobody else sees.
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
struct cgdir {
	int fd;
	int slot;
	struct cgroup_files *cache;
};

/*
 * Reads a whole small file of the directory into buf (cap bytes with the NUL), kept open in
 * the directory's cache while the descriptor budget has room. When it fills buf, the last
 * line, cut short, is dropped. Length or -errno.
 */
ssize_t cgdir_read(const struct cgdir *d, const char *name, char *buf, size_t cap);

/* v1 blkio's throttle counters: CG_IO */
void cgroup_io_v1(const struct cgdir *d, struct container_stats *st);
/* cgroup2's io.stat: CG_IO */
void cgroup_io_v2(const struct cgdir *d, struct container_stats *st);
/* pids.current and pids.max, v1 and cgroup2 alike: CG_PIDS, CG_PIDS_LIMIT */
void cgroup_pids(const struct cgdir *d, struct container_stats *st);

#endif
