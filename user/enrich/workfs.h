/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A runner's work filesystem as the runner sees it: statfs of its work folder, opened inside
 * the runner's root, so that a symlink a container plants never leads to a host path.
 */
#ifndef RUNNERSCOPE_WORKFS_H
#define RUNNERSCOPE_WORKFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define WORKDIR_LEN 1024 /* a work folder's path as its runner sees it, with its NUL */

struct workfs {
	uint64_t size_bytes;
	uint64_t avail_bytes; /* what an unprivileged process may still write there */
	uint64_t files; /* inodes; 0 where the filesystem has no fixed number (btrfs) */
	uint64_t files_free;
};

/*
 * rel taken from base ("/" when both are empty), as a runner turns a relative setting into a
 * path: rel alone when absolute, ".", ".." and repeated slashes folded away lexically (no
 * link is followed here). 0, or -ENAMETOOLONG when out is too small.
 */
int workfs__path(const char *base, const char *rel, char *out, size_t sz);

/*
 * The filesystem of dir (absolute, as process pid sees it; "" is its root), opened in that
 * process's root with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS. A folder not made yet (a runner
 * makes its work folder at its first job) is on the filesystem of its nearest existing
 * parent, which is read then. 0 or -errno; -ENOENT only when the process is gone.
 */
int workfs__read(pid_t pid, const char *dir, struct workfs *out);

/* 1 when the space free to a job, or the free inodes, are below pct % of the filesystem's */
int workfs__low(const struct workfs *fs, double pct);

#endif
