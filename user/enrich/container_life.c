// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A container's life as the kernel tells it: its cgroups made and removed, the figures their
 * own counters had at the removal, a container made again under its id (a restart); counted
 * created and removed as it goes (container_counts.c)
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "enrich/containers_priv.h"

/* it has another cgroup in that hierarchy, there still: this one replaces it */
static int hier_taken(const struct container *x, __u32 hier)
{
	for (int i = 0; i < x->ncgs; i++)
		if (x->cgs[i].key.hier == hier)
			return 1;
	return 0;
}

/*
 * A cgroup unknown to container x, which is gone, in hierarchy hier: a new instance (a
 * restart) when it has had a cgroup in that hierarchy, or when a hierarchy whose cgroup was
 * removed has its directory there again (a runtime makes them all). Else it is the gone
 * instance's own, whose mkdir went untold (lost events, found by the walk), and whose rmdir is
 * still to come: not a second instance, counted created and removed again.
 */
static int made_again(struct containers *c, struct container *x, __u32 hier)
{
	struct slot slots[] = SLOTS(c, &x->paths);
	char dir[PATH_MAX];
	struct stat st;

	if (hier_taken(x, hier))
		return 1;
	for (size_t s = 0; s < sizeof(slots) / sizeof(slots[0]); s++) {
		if (!slots[s].mount[0] || !slots[s].path[0] || slots[s].hier < 0)
			continue;
		for (int i = 0; i < x->ncgs; i++) {
			if (x->cgs[i].key.hier != (__u32)slots[s].hier || !x->cgs[i].removed)
				continue;
			snprintf(dir, sizeof(dir), "%s%s", slots[s].mount, slots[s].path);
			if (!stat(dir, &st))
				return 1;
		}
	}
	return 0;
}

/* made again under its id: its earlier instance is gone (counted so), its counters go on */
static void remade(struct containers *c, struct container *x)
{
	containers_count_removed(c, x);
	x->base_user_ns = x->cpu_user_ns;
	x->base_system_ns = x->cpu_system_ns;
	x->base_oom = x->oom_kills;
	memset(&x->stats, 0, sizeof(x->stats));
	memset(&x->paths, 0, sizeof(x->paths));
	memset(x->cgs, 0, sizeof(x->cgs));
	cgroupfs_files_close(&x->files);
	x->ncgs = 0;
	x->gone_ns = 0;
	x->missing_ns = 0;
	x->emptied_ns = 0;
	x->counted = CONTAINER_UNCOUNTED;
	x->made_ns = clock_ns(CLOCK_MONOTONIC);
	pr_debug("container made again id=%s", x->id);
}

/* what its cgroup's own counters said at its removal: its final figures */
static void final(struct container *x, const struct rs_cg_final *f)
{
	struct container_stats *st = &x->stats;

	if (f->have & (RS_CGF_CPU | RS_CGF_RSTAT)) {
		st->cpu_usage_ns = f->cpu_usage_ns;
		st->cpu_user_ns = f->cpu_user_ns;
		st->cpu_system_ns = f->cpu_system_ns;
		st->have |= CG_CPU;
	}
	if (f->have & RS_CGF_MEMORY) {
		st->mem_peak = f->mem_peak;
		st->oom_kills = f->oom_kills;
		st->have |= CG_PEAK | CG_OOM;
	}
	containers_apply(x);
}

int containers__cgroup(struct containers *c, const struct container_ref *ref,
		       const struct container_cgroup *cg)
{
	struct container *x;
	int ret = 0, i;

	if (!c || !ref->id[0])
		return -EINVAL;
	containers__lock(c);
	HASH_FIND_STR(c->list, ref->id, x);
	if (x && !cg->removed && containers_cg_index(x, &cg->key) < 0 &&
	    (x->gone_ns ? made_again(c, x, cg->key.hier) : hier_taken(x, cg->key.hier))) {
		remade(c, x);
		ret |= CONTAINER_MADE;
	} else if (!x) {
		x = containers_get(c, ref, NULL);
		if (!x) {
			containers__unlock(c);
			return -ENOMEM;
		}
		ret |= CONTAINER_MADE;
	}
	i = containers_cg_index(x, &cg->key);
	if (i < 0 && x->ncgs < CONTAINER_CGROUPS) {
		i = x->ncgs++;
		x->cgs[i].key = cg->key;
		/* its paths where they are there now: a cgroup already known has its own */
		if (!cg->removed && cg->path)
			containers_fill_paths(c, x, cg->path);
	}
	/* a new one's names, with its paths: through a process of it, if it has one yet */
	if (ret & CONTAINER_MADE && !x->names_retry_ns && !x->names_tries)
		containers_first_names(c, x);
	if (!cg->removed) {
		if (cg->tasks >= 0)
			x->tasks = cg->tasks;
		containers__unlock(c);
		return ret;
	}
	if (i >= 0 && !x->cgs[i].removed) {
		/* its threads' waits, once (a removal may be told twice: event and walk) */
		x->cgs[i].removed = 1;
		x->wait_final += cg->wait_ns;
	}
	if (cg->emptied_ns)
		x->emptied_ns = cg->emptied_ns;
	if (cg->fin)
		final(x, cg->fin);
	if (i >= 0)
		containers_wait(c, x, 0);
	if (!x->gone_ns) {
		pr_debug("container gone id=%s name=%s", x->id, x->names.name);
		x->gone_ns = clock_ns(CLOCK_MONOTONIC);
		cgroupfs_files_close(&x->files);
		containers_count_removed(c, x);
		ret |= CONTAINER_GONE;
	}
	containers__unlock(c);
	return ret;
}
