// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Where the cgroup hierarchies are mounted under --cgroup.root, and a process's cgroup in each
 * of them from /proc/<pid>/cgroup. Reading a cgroup's files is cgroup_stats.c's.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "enrich/cgroupfs.h"
#include "enrich/cgroupfs_priv.h"

struct hier {
	const char *marker; /* a file only this hierarchy's root has */
	const char *dirs[3];
};

static const struct hier v1_cpuacct = { "cpuacct.usage",
					{ "cpuacct", "cpu,cpuacct", "cpuacct,cpu" } };
static const struct hier v1_cpu = { "cpu.shares", { "cpu", "cpu,cpuacct", "cpuacct,cpu" } };
static const struct hier v1_memory = { "memory.usage_in_bytes", { "memory" } };
static const struct hier v1_blkio = { "blkio.reset_stats", { "blkio" } };
/* the root of v1 pids has only the files every v1 root has: its name tells it */
static const struct hier v1_pids = { "cgroup.procs", { "pids" } };

static int exists(const char *dir, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return 0;
	return !stat(path, &st);
}

/*
 * The first candidate directory of h under root that has h's marker. systemd links cpu and
 * cpuacct to the joint "cpu,cpuacct": such a link is resolved here, as a sibling, so that the
 * mount stays under root even when root is the host's cgroupfs seen from a container.
 */
static int find_v1(const char *root, const struct hier *h, char *out, size_t sz)
{
	for (size_t i = 0; i < sizeof(h->dirs) / sizeof(h->dirs[0]) && h->dirs[i]; i++) {
		char path[PATH_MAX], target[NAME_MAX + 1];
		const char *name = h->dirs[i];
		struct stat st;
		ssize_t n;

		snprintf(path, sizeof(path), "%s/%s", root, name);
		if (lstat(path, &st))
			continue;
		if (S_ISLNK(st.st_mode)) {
			n = readlink(path, target, sizeof(target) - 1);
			if (n <= 0 || (size_t)n >= sizeof(target) - 1)
				continue;
			target[n] = '\0';
			if (strchr(target, '/') || !strcmp(target, ".") || !strcmp(target, ".."))
				continue;
			name = target;
			snprintf(path, sizeof(path), "%s/%s", root, name);
			if (lstat(path, &st))
				continue;
		}
		/* a cgroup2 mount has a cgroup.procs too */
		if (!S_ISDIR(st.st_mode) || !exists(path, h->marker) ||
		    exists(path, "cgroup.controllers"))
			continue;
		if ((size_t)snprintf(out, sz, "%s/%s", root, name) >= sz)
			return -ENAMETOOLONG;
		return 0;
	}
	return -ENOENT;
}

int cgroupfs__layout(const char *root, struct cgroup_layout *out)
{
	const struct {
		const struct hier *h;
		char *out;
	} v1[] = {
		{ &v1_cpuacct, out->cpuacct },
		{ &v1_cpu, out->cpu },
		{ &v1_memory, out->memory },
		{ &v1_blkio, out->blkio },
		{ &v1_pids, out->pids },
	};
	char r[CGROUPFS_PATH_MAX];
	size_t n;

	memset(out, 0, sizeof(*out));
	if ((size_t)snprintf(r, sizeof(r), "%s", root) >= sizeof(r))
		return -ENAMETOOLONG;
	n = strlen(r);
	while (n > 1 && r[n - 1] == '/')
		r[--n] = '\0';

	/* cgroup.controllers is cgroup2's alone: the root on v2 hosts, "unified" on hybrid ones */
	if (exists(r, "cgroup.controllers")) {
		memcpy(out->unified, r, n + 1);
	} else if (exists(r, "unified/cgroup.controllers")) {
		if ((size_t)snprintf(out->unified, sizeof(out->unified), "%s/unified", r) >=
		    sizeof(out->unified))
			return -ENAMETOOLONG;
	}
	for (size_t i = 0; i < sizeof(v1) / sizeof(v1[0]); i++) {
		if (find_v1(r, v1[i].h, v1[i].out, CGROUPFS_PATH_MAX) == -ENAMETOOLONG) {
			memset(out, 0, sizeof(*out));
			return -ENAMETOOLONG;
		}
	}
	if (!out->unified[0] && !out->cpuacct[0] && !out->cpu[0] && !out->memory[0] &&
	    !out->blkio[0] && !out->pids[0])
		return -ENOENT;
	/* the v1 ids are /proc/cgroups' to tell (cgroupfs_hier_ids()) */
	out->hier_unified = out->unified[0] ? 0 : -1;
	out->hier_cpuacct = out->hier_cpu = out->hier_memory = out->hier_blkio = out->hier_pids = -1;
	return 0;
}

int cgroupfs_hier_ids(const char *text, size_t len, struct cgroup_layout *l)
{
	struct {
		const char *name;
		int id;
	} ids[] = { { "cpuacct", -1 }, { "cpu", -1 }, { "memory", -1 }, { "blkio", -1 },
		    { "pids", -1 } };
	size_t i = 0;

	if (!len || memchr(text, '\0', len))
		return -EINVAL;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - text - i) : len - i;
		char line[128], name[64];
		int hier, cgroups, enabled;

		if (n && text[i] != '#') {
			if (n >= sizeof(line))
				return -EINVAL;
			memcpy(line, text + i, n);
			line[n] = '\0';
			if (sscanf(line, "%63s %d %d %d", name, &hier, &cgroups, &enabled) != 4 ||
			    hier < 0 || cgroups < 0)
				return -EINVAL;
			for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++)
				if (!strcmp(name, ids[k].name) && enabled)
					ids[k].id = hier;
		}
		i += n + 1;
	}
	/* a v1 mount's id only: one bound to cgroup2 (0) has no v1 hierarchy of its own */
	l->hier_cpuacct = l->cpuacct[0] && ids[0].id > 0 ? ids[0].id : -1;
	l->hier_cpu = l->cpu[0] && ids[1].id > 0 ? ids[1].id : -1;
	l->hier_memory = l->memory[0] && ids[2].id > 0 ? ids[2].id : -1;
	l->hier_blkio = l->blkio[0] && ids[3].id > 0 ? ids[3].id : -1;
	l->hier_pids = l->pids[0] && ids[4].id > 0 ? ids[4].id : -1;
	return 0;
}

/* absolute, no ".." component: it cannot leave the mount it is joined to */
int cgroupfs_check_path(const char *p, size_t len)
{
	if (!len || p[0] != '/' || len >= CGROUPFS_PATH_MAX)
		return -EINVAL;
	for (size_t i = 0; i < len;) {
		size_t j = i;

		while (j < len && p[j] != '/')
			j++;
		if (j - i == 2 && p[i] == '.' && p[i + 1] == '.')
			return -EINVAL;
		i = j + 1;
	}
	return 0;
}

/* 1 when the comma-separated list holds name as a whole entry ("name=…" never does) */
static int has_controller(const char *list, size_t len, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < len;) {
		size_t j = i;

		while (j < len && list[j] != ',')
			j++;
		if (j - i == n && !memcmp(list + i, name, n))
			return 1;
		i = j + 1;
	}
	return 0;
}

/*
 * Copies the path into the slot for this hierarchy. A path is never "", so a filled slot is a
 * second line for one hierarchy: not the kernel's.
 */
static int set_path(char *slot, const char *path, size_t len)
{
	if (slot[0])
		return -EINVAL;
	memcpy(slot, path, len);
	slot[len] = '\0';
	return 0;
}

static int parse_line(const char *s, size_t n, struct cgroup_paths *out)
{
	const char *c1 = memchr(s, ':', n), *c2, *ctl, *path;
	size_t ctl_len, path_len;

	if (!c1 || c1 == s)
		return -EINVAL;
	for (const char *d = s; d < c1; d++)
		if (*d < '0' || *d > '9')
			return -EINVAL;
	c2 = memchr(c1 + 1, ':', (size_t)(s + n - c1 - 1));
	if (!c2)
		return -EINVAL;
	ctl = c1 + 1;
	ctl_len = (size_t)(c2 - ctl);
	path = c2 + 1;
	path_len = (size_t)(s + n - path);
	if (cgroupfs_check_path(path, path_len))
		return -EINVAL;

	/* hierarchy 0 is cgroup2's and has no controller list; every v1 one has one */
	if (c1 - s == 1 && s[0] == '0')
		return ctl_len ? -EINVAL : set_path(out->unified, path, path_len);
	if (!ctl_len)
		return -EINVAL;
	if (has_controller(ctl, ctl_len, "cpuacct") && set_path(out->cpuacct, path, path_len))
		return -EINVAL;
	if (has_controller(ctl, ctl_len, "cpu") && set_path(out->cpu, path, path_len))
		return -EINVAL;
	if (has_controller(ctl, ctl_len, "memory") && set_path(out->memory, path, path_len))
		return -EINVAL;
	if (has_controller(ctl, ctl_len, "blkio") && set_path(out->blkio, path, path_len))
		return -EINVAL;
	if (has_controller(ctl, ctl_len, "pids") && set_path(out->pids, path, path_len))
		return -EINVAL;
	return 0;
}

int cgroupfs_paths(const char *text, size_t len, struct cgroup_paths *out)
{
	int err = 0;
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	/* a NUL inside would cut a path short: the cut path names an ancestor, not this cgroup */
	if (!len || memchr(text, '\0', len))
		return -EINVAL;
	while (i < len && !err) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - text - i) : len - i;

		err = parse_line(text + i, n, out);
		i += n + 1;
	}
	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}
