// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The walk of the hierarchies the kernel follows containers' cgroups in (container_hiers.c)
 * that finds the containers no cgroup event told of: at start-up, and after lost events
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "enrich/containers_priv.h"

#define WALK_DEPTH 12

struct walk {
	struct containers *c;
	int hier;
	void (*cb)(void *ctx, const struct rs_cg_key *key, const char *path);
	void *ctx;
	int found;
};

/* one cgroup directory, relative to its hierarchy's mount: a container's own? */
static void walk_dir(struct walk *w, const char *mount, const char *rel)
{
	struct container_ref ref;
	const char *leaf = strrchr(rel, '/');
	struct rs_cg_key key = { .hier = (__u32)w->hier };
	char dir[PATH_MAX];
	struct stat st;

	if (!cgroup_path__container(rel, &ref) || !leaf || !strstr(leaf, ref.id))
		return;
	snprintf(dir, sizeof(dir), "%s%s", mount, rel);
	/* a cgroup's id is its directory's inode number (its kernfs node's id) */
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return;
	key.id = (__u64)st.st_ino;
	w->found++;
	w->cb(w->ctx, &key, rel);
}

static void walk_tree(struct walk *w, const char *mount, char *rel, size_t len, int depth)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s%s", mount, rel);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (de->d_type != DT_DIR || de->d_name[0] == '.' || len + n + 2 >= CGROUPFS_PATH_MAX)
			continue;
		rel[len] = '/';
		memcpy(rel + len + 1, de->d_name, n + 1);
		walk_dir(w, mount, rel);
		if (depth < WALK_DEPTH)
			walk_tree(w, mount, rel, len + 1 + n, depth + 1);
		rel[len] = '\0';
	}
	closedir(d);
}

int containers__walk(struct containers *c,
		     void (*cb)(void *ctx, const struct rs_cg_key *key, const char *path),
		     void *ctx)
{
	struct cgroup_paths none = {};
	struct slot slots[] = SLOTS(c, &none);
	uint32_t followed = containers__followed(c);
	struct walk w = { .c = c, .cb = cb, .ctx = ctx };
	char rel[CGROUPFS_PATH_MAX];

	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		/* each followed hierarchy once (cpu and cpuacct may be one) */
		if (!slots[i].mount[0] || slots[i].hier < 0 || !((followed >> slots[i].hier) & 1))
			continue;
		followed &= ~(1U << slots[i].hier);
		w.hier = slots[i].hier;
		rel[0] = '\0';
		walk_tree(&w, slots[i].mount, rel, 0, 0);
	}
	return w.found;
}

void containers__check_gone(struct containers *c)
{
	struct container *x, *t;
	struct stat st;

	containers__lock(c);
	HASH_ITER(hh, c->list, x, t) {
		struct slot slots[] = SLOTS(c, &x->paths);
		char dir[PATH_MAX];
		int known = 0, there = 0;

		if (x->gone_ns)
			continue;
		for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
			if (!slots[i].mount[0] || !slots[i].path[0])
				continue;
			known = 1;
			snprintf(dir, sizeof(dir), "%s%s", slots[i].mount, slots[i].path);
			there |= !stat(dir, &st);
		}
		if (known && !there) {
			pr_debug("container gone unseen id=%s", x->id);
			x->gone_ns = clock_ns(CLOCK_MONOTONIC);
			cgroupfs_files_close(&x->files);
			containers_count_removed(c, x);
		}
	}
	containers__unlock(c);
}
