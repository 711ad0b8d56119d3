/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What containers.c (the table, names, stats, grace), container_life.c (cgroups made and
 * removed, final figures, the lifecycle counters) and runtime_files.c (names) share
 */
#ifndef RUNNERSCOPE_CONTAINERS_PRIV_H
#define RUNNERSCOPE_CONTAINERS_PRIV_H

#include <pthread.h>
#include "enrich/containers.h"

struct containers {
	pthread_mutex_t lock;
	struct containers_opts opts;
	struct cgroup_layout layout;
	struct container *list;
	struct container_count *counts; /* by label set */
	const struct containers_store_ops *store;
	void *store_ctx;
};

/* each hierarchy's mount, path slot and id, in cgroupfs_read()'s order */
#define SLOTS(c, p)                                                                                \
	{ { (c)->layout.cpuacct, (p)->cpuacct, (c)->layout.hier_cpuacct },                         \
	  { (c)->layout.cpu, (p)->cpu, (c)->layout.hier_cpu },                                     \
	  { (c)->layout.memory, (p)->memory, (c)->layout.hier_memory },                            \
	  { (c)->layout.blkio, (p)->blkio, (c)->layout.hier_blkio },                               \
	  { (c)->layout.pids, (p)->pids, (c)->layout.hier_pids },                                  \
	  { (c)->layout.unified, (p)->unified, (c)->layout.hier_unified } }
struct slot {
	const char *mount;
	char *path;
	int hier;
};

/* a container counts as created once it has been known this long, whatever it is found to be */
#define SETTLE_NS 1000000000ULL

/* containers.c: the container with ref's id, made (names read) when new; NULL when no memory */
struct container *containers_get(struct containers *c, const struct container_ref *ref,
				 const struct cgroup_paths *paths);
/* reads its cgroups into its stats and counters; -ENOENT when they are gone */
int containers_read(struct containers *c, struct container *x);
/* its exported CPU, peak memory and OOM kills from its stats, never stepping back */
void containers_apply(struct container *x);
void containers_drop(struct containers *c, struct container *x);
/* its paths in each hierarchy, filled where path is a directory there; 1 when one was new */
int containers_fill_paths(struct containers *c, struct container *x, const char *path);

/* container_walk.c: the hierarchies' ids from /proc/cgroups into the layout */
void containers_hier_ids(struct containers *c);

/* container_life.c: counted as created (if it is not yet), or as removed */
void containers_count_created(struct containers *c, struct container *x);
void containers_count_removed(struct containers *c, struct container *x);
void containers_counts_free(struct containers *c);

#define CONFIG_MAX (4 << 20) /* config.v2.json of a container with a huge environment */

/*
 * kubelet's link for container id in dir: 0 and out, -ENOENT when it has none yet, another
 * -errno when there is no such directory (no kubelet here)
 */
int containers_kubelet_names(const char *dir, const char *id, struct container_names *out);

#endif
