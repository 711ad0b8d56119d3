// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/vfs.h>
#include "enrich/procfs.h"
#include "enrich/workfs.h"

/* one component onto out (at *n): "." is nothing, ".." goes up, never above the root */
static int push(char *out, size_t sz, size_t *n, const char *c, size_t len)
{
	if (!len || (len == 1 && c[0] == '.'))
		return 0;
	if (len == 2 && c[0] == '.' && c[1] == '.') {
		while (*n > 0 && out[--*n] != '/')
			;
		out[*n] = '\0';
		return 0;
	}
	if (*n + 1 + len >= sz)
		return -ENAMETOOLONG;
	out[(*n)++] = '/';
	memcpy(out + *n, c, len);
	*n += len;
	out[*n] = '\0';
	return 0;
}

static int push_all(char *out, size_t sz, size_t *n, const char *p)
{
	while (*p) {
		size_t len = strcspn(p, "/");
		int err = push(out, sz, n, p, len);

		if (err)
			return err;
		p += len;
		p += strspn(p, "/");
	}
	return 0;
}

int workfs__path(const char *base, const char *rel, char *out, size_t sz)
{
	size_t n = 0;
	int err = 0;

	if (sz < 2)
		return -ENAMETOOLONG;
	out[0] = '\0';
	if (rel[0] != '/')
		err = push_all(out, sz, &n, base);
	if (!err)
		err = push_all(out, sz, &n, rel);
	if (err) {
		out[0] = '\0';
		return err;
	}
	if (!n)
		snprintf(out, sz, "/");
	return 0;
}

int workfs__read(pid_t pid, const char *dir, struct workfs *out)
{
	char path[WORKDIR_LEN];
	struct statfs st;
	uint64_t unit;
	int rfd, fd;

	if (workfs__path("/", dir, path, sizeof(path)))
		return -ENAMETOOLONG;
	rfd = procfs_open_root(pid);
	if (rfd < 0)
		return rfd;
	/* O_PATH: nothing of the folder is read, and an automount is not triggered */
	while ((fd = procfs_open_in_root(rfd, path, O_PATH | O_DIRECTORY | O_CLOEXEC)) == -ENOENT &&
	       strcmp(path, "/"))
		workfs__path(path, "..", path, sizeof(path));
	close(rfd);
	if (fd < 0)
		return fd;
	if (fstatfs(fd, &st)) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	/* block counts are in fragments where the filesystem says (statvfs's f_frsize) */
	unit = st.f_frsize ? (uint64_t)st.f_frsize : (uint64_t)st.f_bsize;
	out->size_bytes = (uint64_t)st.f_blocks * unit;
	out->avail_bytes = (uint64_t)st.f_bavail * unit;
	out->files = (uint64_t)st.f_files;
	out->files_free = (uint64_t)st.f_ffree;
	return 0;
}

int workfs__low(const struct workfs *fs, double pct)
{
	if (pct <= 0)
		return 0;
	if (fs->size_bytes && (double)fs->avail_bytes * 100 < pct * (double)fs->size_bytes)
		return 1;
	return fs->files && (double)fs->files_free * 100 < pct * (double)fs->files;
}
