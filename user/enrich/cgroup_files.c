// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A cgroup's directories and files kept open between reads, and the read of one small file:
 * what cgroup_stats.c and cgroup_io.c read every figure through. Opening a file is a path
 * walk in cgroupfs; reading a kept one again from offset 0 makes cgroupfs produce it anew.
 * Up to half the process's file limit is kept, for all cgroups together.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include "enrich/cgroupfs.h"
#include "enrich/cgroupfs_priv.h"

/* fds a process may keep for cgroup files: half its limit, less a margin for the rest */
static _Atomic int kept_fds;

static int fd_budget(void)
{
	static int budget = -1;
	struct rlimit rl;

	if (budget < 0)
		budget = getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY ?
				 0 :
				 (int)(rl.rlim_cur / 2 > 256 ? rl.rlim_cur / 2 - 256 : 0);
	return budget;
}

/* the kept fd of a file, opened and kept the first time; -1 when it cannot be kept */
static int kept_fd(const struct cgroupfs_dir *d, const char *name)
{
	struct cgroup_files *c = d->cache;
	int fd;

	for (int i = 0; i < c->n; i++)
		if (c->f[i].slot == d->slot && !strcmp(c->f[i].name, name))
			return c->f[i].fd;
	if (c->n == CG_FILES_MAX || atomic_load(&kept_fds) >= fd_budget())
		return -1;
	fd = openat(d->fd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno == -ENOENT ? -2 : -1;
	c->f[c->n].slot = d->slot;
	c->f[c->n].name = name;
	c->f[c->n].fd = fd;
	c->n++;
	atomic_fetch_add(&kept_fds, 1);
	return fd;
}

/*
 * Reads a whole small file into buf and NUL-terminates it. When it fills buf, the last line,
 * cut short, is dropped: a cut number would parse as another, smaller one. Length or -errno.
 * A kept file is read again from offset 0, which makes cgroupfs produce it anew: no open,
 * no path walk, no close.
 */
ssize_t cgroupfs_dir_read(const struct cgroupfs_dir *d, const char *name, char *buf, size_t cap)
{
	size_t n = 0;
	int fd = d->cache ? kept_fd(d, name) : -1, kept = fd >= 0;

	if (fd == -2)
		return -ENOENT;
	if (!kept)
		fd = openat(d->fd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		int err = -errno;

		/*
		 * a kept directory whose file could not be kept (the budget is spent): a missing
		 * file is one the host does not give, unless the cgroup itself is gone, which
		 * every cgroup's cgroup.procs tells
		 */
		if (err == -ENOENT && d->cache && faccessat(d->fd, "cgroup.procs", F_OK, 0) &&
		    errno == ENOENT)
			d->cache->stale = 1;
		return err;
	}
	while (n < cap - 1) {
		ssize_t r = kept ? pread(fd, buf + n, cap - 1 - n, (off_t)n) :
				   read(fd, buf + n, cap - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = -errno;

			/* the cgroup was removed under the kept file */
			if (kept && err == -ENODEV) {
				d->cache->stale = 1;
				err = -ENOENT;
			}
			if (!kept)
				close(fd);
			return err;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (!kept)
		close(fd);
	buf[n] = '\0';
	if (n == cap - 1) {
		char *nl = memrchr(buf, '\n', n);

		n = nl ? (size_t)(nl - buf + 1) : 0;
		buf[n] = '\0';
	}
	return (ssize_t)n;
}

int cgroupfs_files_keep_dirs(struct cgroup_files *keep, const int fds[CG_DIRS])
{
	int n = 0;

	for (int i = 0; i < CG_DIRS; i++)
		n += fds[i] >= 0;
	if (atomic_load(&kept_fds) + n > fd_budget())
		return 0;
	memcpy(keep->dirs, fds, sizeof(keep->dirs));
	keep->open = 1;
	atomic_fetch_add(&kept_fds, n);
	return 1;
}

void cgroupfs_files_close(struct cgroup_files *k)
{
	if (!k)
		return;
	for (int i = 0; i < k->n; i++) {
		close(k->f[i].fd);
		atomic_fetch_sub(&kept_fds, 1);
	}
	for (int i = 0; k->open && i < CG_DIRS; i++) {
		if (k->dirs[i] >= 0) {
			close(k->dirs[i]);
			atomic_fetch_sub(&kept_fds, 1);
		}
	}
	memset(k, 0, sizeof(*k));
}
