/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the containers' files share: containers.c (the table, names, stats, grace),
 * container_life.c (cgroups made and removed, final figures), container_walk.c (the walk of
 * the hierarchies), container_hiers.c (which hierarchies are followed), container_counts.c
 * (the lifecycle counters), container_names.c (names, read through runtime_files.c and
 * runtime_bundle.c). container_life.c and container_walk.c call containers.c; all three call
 * container_hiers.c, container_counts.c and container_names.c, which call none of them.
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
	uint64_t deltas_ns; /* CLOCK_MONOTONIC of the last containers__cpu_deltas() */
	uint64_t names_missing[RUNTIME_MAX]; /* by runtime: containers__names_missing() */
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

/* the index of its cgroup key in x->cgs; -1 when it has none such */
static inline int containers_cg_index(const struct container *x, const struct rs_cg_key *key)
{
	for (int i = 0; i < x->ncgs; i++)
		if (x->cgs[i].key.id == key->id && x->cgs[i].key.hier == key->hier)
			return i;
	return -1;
}

/* its wait for a CPU from its cgroups' records and live threads (live: it may have tasks),
 * under the lock */
void containers_wait(struct containers *c, struct container *x, int live);

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

/* container_names.c: its names read (again). read: 1 when they may come later (kubelet runs
 * here and has no link for it yet, or the runtime's files named nothing); first: as it is
 * made, with a retry set where they may; retry: once more, further apart each time */
int containers_read_names(struct containers *c, struct container *x);
void containers_first_names(struct containers *c, struct container *x);
void containers_retry_names(struct containers *c, struct container *x, uint64_t now);

/* runtime_bundle.c: the value of the first of names (NULL-ended) in a command line of len
 * bytes (NUL-separated arguments): "-x value", "--name value" or "--name=value"; NULL when
 * absent */
const char *containers_cmdline_arg(const char *args, size_t len, const char *const *names);

/* runtime_files.c: a regular file of at most max bytes, read whole and NUL-terminated, never
 * through a symlink at its end; NULL with errno set */
char *containers_read_small(const char *path, size_t max, size_t *len);
/* runtime_files.c: path inside process pid's root (procfs__read_in_root()), at most max
 * bytes, read whole into memory the caller frees; NULL and *err (-errno) when it cannot be */
char *containers_read_in_root(pid_t pid, const char *path, size_t max, size_t *len, int *err);

/* container_hiers.c: the hierarchies' ids from /proc/cgroups into the layout */
void containers_hier_ids(struct containers *c);

/* container_counts.c: counted as created (if it is not yet), or as removed */
void containers_count_created(struct containers *c, struct container *x);
void containers_count_removed(struct containers *c, struct container *x);
void containers_counts_free(struct containers *c);

#define CONFIG_MAX (4 << 20) /* config.v2.json of a container with a huge environment */


#endif
