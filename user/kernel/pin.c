// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <bpf/btf.h>
#include "kernel/pin.h"
#include "lib/log.h"

static int on_bpffs(const char *path)
{
	struct statfs st;

	return !statfs(path, &st) && st.f_type == BPF_FS_MAGIC;
}

static int mkdir_p(const char *path, mode_t mode)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, mode) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, mode) && errno != EEXIST)
		return -errno;
	return 0;
}

int pin__dir_open(const char *path, int wait)
{
	char parent[PATH_MAX];
	int fd, err;

	if (path[0] != '/' || snprintf(parent, sizeof(parent), "%s", path) >= (int)sizeof(parent)) {
		pr_err("--bpf.pin-path must be an absolute path: %s", path);
		return -EINVAL;
	}
	dirname(parent);
	if (!on_bpffs(path) && !on_bpffs(parent)) {
		err = mkdir_p(parent, 0755);
		if (err) {
			pr_err("cannot create %s for bpffs: %s", parent, strerror(-err));
			return err;
		}
		if (mount("bpf", parent, "bpf", 0, "mode=0700")) {
			err = -errno;
			pr_err("cannot mount bpffs on %s for --bpf.pin-path: %s", parent, strerror(-err));
			return err;
		}
		pr_info("mounted bpffs on %s", parent);
	}
	if (mkdir(path, 0700) && errno != EEXIST) {
		err = -errno;
		pr_err("cannot create --bpf.pin-path %s: %s", path, strerror(-err));
		return err;
	}
	if (!on_bpffs(path)) {
		pr_err("--bpf.pin-path %s is not on a bpffs", path);
		return -ENOTSUP;
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_err("cannot open --bpf.pin-path %s: %s", path, strerror(-err));
		return err;
	}
	if (!flock(fd, LOCK_EX | LOCK_NB))
		return fd;
	if (errno == EWOULDBLOCK && wait) {
		pr_info("another runnerscope is using %s; waiting for it to exit", path);
		if (!flock(fd, LOCK_EX))
			return fd;
	}
	err = errno == EWOULDBLOCK ? -EBUSY : -errno;
	pr_err("another runnerscope is using --bpf.pin-path %s; stop it first", path);
	close(fd);
	return err;
}

int pin__dir_clear(const char *path, int rmdir_too)
{
	DIR *d = opendir(path);
	struct dirent *de;
	int n = 0, err = 0;

	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (unlinkat(dirfd(d), de->d_name, 0)) {
			err = -errno;
			pr_warn("cannot unpin %s/%s: %s", path, de->d_name, strerror(errno));
			continue;
		}
		n++;
	}
	closedir(d);
	if (rmdir_too && !err && rmdir(path) && errno != ENOENT)
		err = -errno;
	return err ? err : n;
}

static const struct btf_type *resolve(const struct btf *btf, __u32 id, __u32 *out_id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_mod(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (out_id)
		*out_id = id;
	return t;
}

/*
 * How many bytes of a member of type fid (fsz bytes) carry over to one of type tid (tsz): all
 * of it when the sizes agree, and for an array that grew (a new reason, a new result) its old
 * elements, when they are of the same size: those keep their index. 0: nothing carries.
 */
static size_t carried_bytes(const struct btf *fb, __u32 fid, __s64 fsz, const struct btf *tb,
			    __u32 tid, __s64 tsz)
{
	const struct btf_type *ft, *tt;

	if (fsz <= 0 || tsz <= 0)
		return 0;
	if (fsz == tsz)
		return (size_t)tsz;
	ft = resolve(fb, fid, NULL);
	tt = resolve(tb, tid, NULL);
	if (!ft || !tt || !btf_is_array(ft) || !btf_is_array(tt) || fsz > tsz ||
	    btf__resolve_size(fb, btf_array(ft)->type) != btf__resolve_size(tb, btf_array(tt)->type))
		return 0;
	return (size_t)fsz;
}

static void note(char *list, size_t sz, const char *name)
{
	size_t len;

	if (!list || !sz)
		return;
	len = strlen(list);
	snprintf(list + len, sz - len, "%s%s", len ? "," : "", name);
}

int btf_copy_value(const struct btf *from_btf, __u32 from_id, const void *src, size_t src_sz,
		   const struct btf *to_btf, __u32 to_id, void *dst, size_t dst_sz, char *reset,
		   size_t reset_sz)
{
	const struct btf_type *ft = resolve(from_btf, from_id, &from_id);
	const struct btf_type *tt = resolve(to_btf, to_id, &to_id);
	int carried = 0;

	memset(dst, 0, dst_sz);
	if (reset && reset_sz)
		reset[0] = '\0';
	if (!ft || !tt)
		return -EINVAL;
	if (!btf_is_struct(ft) || !btf_is_struct(tt)) {
		__s64 fs = btf__resolve_size(from_btf, from_id), ts = btf__resolve_size(to_btf, to_id);

		if (btf_is_struct(ft) || btf_is_struct(tt) || fs < 0 || fs != ts ||
		    (size_t)fs > src_sz || (size_t)ts > dst_sz)
			return -EINVAL;
		memcpy(dst, src, (size_t)fs);
		return 0;
	}
	for (int i = 0; i < btf_vlen(tt); i++) {
		const struct btf_member *tm = btf_members(tt) + i;
		const char *name = btf__name_by_offset(to_btf, tm->name_off);
		__s64 tsz = btf__resolve_size(to_btf, tm->type);
		__u32 toff = btf_member_bit_offset(tt, i);
		int found = 0;

		if (!name || !name[0])
			continue; /* anonymous members (padding unions) are not carried */
		for (int k = 0; k < btf_vlen(ft) && !found; k++) {
			const struct btf_member *fm = btf_members(ft) + k;
			__u32 foff = btf_member_bit_offset(ft, k);
			__s64 fsz = btf__resolve_size(from_btf, fm->type);
			size_t n;

			if (strcmp(name, btf__name_by_offset(from_btf, fm->name_off)))
				continue;
			found = -1;
			n = carried_bytes(from_btf, fm->type, fsz, to_btf, tm->type, tsz);
			if (!n || toff % 8 || foff % 8 || btf_member_bitfield_size(tt, i) ||
			    btf_member_bitfield_size(ft, k) || foff / 8 + (size_t)fsz > src_sz ||
			    toff / 8 + (size_t)tsz > dst_sz)
				break;
			memcpy((char *)dst + toff / 8, (const char *)src + foff / 8, n);
			found = 1;
		}
		if (found == 1)
			carried++;
		else if (strncmp(name, "pad", 3))
			note(reset, reset_sz, name);
	}
	return carried ? 0 : -EINVAL;
}
