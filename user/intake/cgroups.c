// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel's cgroup records (bpf/cgroups.bpf.c, include/cgroups.h) into the containers: a
 * cgroups_map entry is read when an event names it, or when a pass finds cgroup events were
 * lost, and deleted once its removal is taken or it is found to be no container's own. The
 * hierarchies are walked at start-up, and after losses, for cgroups no entry tells of. The
 * lifecycle counters are kept in the pinned maps ctr_counts and ctr_acct.
 */
#include <errno.h>
#include <bpf/bpf.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "kernel/probes_priv.h"
#include "intake/intake_priv.h"

/*
 * An entry, read until two reads agree: the programs write a removal's figures before its
 * state, and a CPU that does not keep the order of stores could show a reader the state first
 */
static int read_entry(struct probes *p, const struct rs_cg_key *key, struct rs_cgroup *v)
{
	int fd = bpf_map__fd(p->skel->maps.cgroups_map);
	struct rs_cgroup again;

	for (int i = 0; i < 4; i++) {
		if (bpf_map_lookup_elem(fd, key, v))
			return -errno;
		if (v->state != RS_CG_REMOVED)
			return 0;
		if (bpf_map_lookup_elem(fd, key, &again))
			return -errno;
		if (!memcmp(v, &again, offsetof(struct rs_cgroup, path)))
			return 0;
	}
	return 0;
}

static void forget(struct probes *p, const struct rs_cg_key *key)
{
	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.cgroups_map), key);
	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.cg_jobs), key);
}

/* the container whose own cgroup this is (its name holds the id), as its path tells: 1 */
static int container_of(const struct rs_cgroup *v, struct container_ref *ref)
{
	const char *leaf;

	if ((v->flags & RS_CG_CUT) || !memchr(v->path, '\0', sizeof(v->path)) ||
	    !cgroup_path__container(v->path, ref))
		return 0;
	leaf = strrchr(v->path, '/');
	return leaf && strstr(leaf, ref->id) != NULL;
}

/* one entry as it is now, after an event of type type (RS_EV_MAX: found by a scan) */
static void take(struct probes *p, const struct rs_cg_key *key, const struct rs_cgroup *v,
		 int type)
{
	int removed = v->state == RS_CG_REMOVED;
	struct container_cgroup cg = {
		.key = *key,
		.path = v->path,
		.removed = removed,
		/* one found by a walk: not known until the programs see it change */
		.tasks = v->flags & RS_CG_TASKS ? 1 : v->flags & RS_CG_FOUND ? -1 : 0,
		.emptied_ns = v->emptied_ns,
		.fin = removed ? &v->fin : NULL,
		.wait_ns = removed ? v->wait_ns : 0,
	};
	struct container_ref ref;
	int r;

	if (!container_of(v, &ref)) {
		/* a slice, a session, a cgroup below a container's, a container id planted in some
		 * other path: nothing is kept of it */
		pr_debug("cgroup %s (hierarchy %u) is no container's own", v->path, key->hier);
		forget(p, key);
		return;
	}
	r = containers__cgroup(p->containers, &ref, &cg);
	if (r < 0)
		return;
	if (removed) {
		groups_container_removed(p, ref.id, r & CONTAINER_GONE, v->emptied_ns);
		forget(p, key);
		return;
	}
	if (r & CONTAINER_MADE)
		groups_container_made(p, &ref);
	/* a cgroup of a placed container that came after it was placed (another hierarchy) */
	groups_container_cgroup(p, ref.id, key, type == RS_EV_CG_POPULATED);
	if (type == RS_EV_CG_EMPTIED || type == RS_EV_CG_POPULATED)
		containers__tasks(p->containers, ref.id, !!(v->flags & RS_CG_TASKS), v->emptied_ns);
}

void cgroups_take_event(struct probes *p, const struct rs_cg_event *e)
{
	struct rs_cg_key key = { .id = e->id, .hier = e->hier };
	struct rs_cgroup v;

	/* gone already: a scan took it, or it was no container's */
	if (read_entry(p, &key, &v))
		return;
	take(p, &key, &v, (int)e->type);
}

/* every entry: the removed ones first (a container made again under its id is taken after
 * its earlier instance's removal) */
static int scan(struct probes *p)
{
	int fd = bpf_map__fd(p->skel->maps.cgroups_map), n = 0;
	struct rs_cg_key key, next;
	struct rs_cgroup v;

	for (int pass = 0; pass < 2; pass++) {
		int more = !bpf_map_get_next_key(fd, NULL, &next);

		while (more) {
			key = next;
			/* the next key before this one may be deleted */
			more = !bpf_map_get_next_key(fd, &key, &next);
			if (read_entry(p, &key, &v) || (v.state == RS_CG_REMOVED) != !pass)
				continue;
			take(p, &key, &v, RS_EV_MAX);
			n++;
		}
	}
	return n;
}

/* a container's cgroup found by the walk: an entry for it, unless the programs made one */
static void found(void *ctx, const struct rs_cg_key *key, const char *path)
{
	struct probes *p = ctx;
	struct rs_cgroup *v = calloc(1, sizeof(*v));

	if (!v)
		return;
	v->state = RS_CG_LIVE;
	v->flags = RS_CG_FOUND;
	v->made_ns = clock_ns(CLOCK_BOOTTIME);
	snprintf(v->path, sizeof(v->path), "%s", path);
	bpf_map_update_elem(bpf_map__fd(p->skel->maps.cgroups_map), key, v, BPF_NOEXIST);
	free(v);
}

/* cgroup events lost so far: a full ring buffer, a full map (once a pass: the cgroup event
 * types' per-CPU counts only) */
static uint64_t lost_events(struct probes *p)
{
	int ncpu = libbpf_num_possible_cpus(), fd = bpf_map__fd(p->skel->maps.events_total);
	struct rs_event_count *per;
	uint64_t lost = 0;

	if (ncpu <= 0 || !(per = calloc((size_t)ncpu, sizeof(*per))))
		return p->cg_lost_seen;
	for (__u32 t = RS_EV_CG_MKDIR; t <= RS_EV_CG_POPULATED; t++) {
		if (bpf_map_lookup_elem(fd, &t, per))
			continue;
		for (int c = 0; c < ncpu; c++)
			lost += per[c].lost;
	}
	free(per);
	return lost;
}

void cgroups_walk(struct probes *p, enum cgroups_walk why)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	int walked, taken;

	/* losses from here on call for another */
	p->cg_lost_seen = lost_events(p);
	walked = containers__walk(p->containers, found, p);
	taken = scan(p);
	/* what no event and no entry told of: containers whose cgroups are gone */
	containers__check_gone(p->containers);
	/* those there before the daemon: counted now, before the first scrape; what a walk for
	 * lost events finds is new and settles as those made are */
	if (why == CGROUPS_WALK_STARTUP)
		containers__count_known(p->containers);
	p->cg_walks[why]++;
	pr_info("walked the cgroup hierarchies (%s): %d container cgroups there, %d records "
		"taken, in %.1f ms",
		why == CGROUPS_WALK_STARTUP ? "start-up" : "cgroup events were lost", walked, taken,
		(double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e6);
}

/* cgroup events lost since the last walk: another repairs what they told */
void cgroups_reconcile(struct probes *p)
{
	if (lost_events(p) != p->cg_lost_seen)
		cgroups_walk(p, CGROUPS_WALK_LOST);
}

void intake_found_cgroups(struct probes *p)
{
	pthread_mutex_lock(&p->lock);
	cgroups_walk(p, CGROUPS_WALK_STARTUP);
	pthread_mutex_unlock(&p->lock);
}

void intake__cgroup_walks(struct probes *p, uint64_t *startup, uint64_t *lost)
{
	*startup = atomic_load(&p->cg_walks[CGROUPS_WALK_STARTUP]);
	*lost = atomic_load(&p->cg_walks[CGROUPS_WALK_LOST]);
}

/* the lifecycle counters' store: the pinned maps */
static int count_get(void *ctx, const struct rs_ctr_labels *k, struct rs_ctr_count *v)
{
	struct probes *p = ctx;

	return bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.ctr_counts), k, v) ? -errno : 0;
}

static int count_put(void *ctx, const struct rs_ctr_labels *k, const struct rs_ctr_count *v)
{
	struct probes *p = ctx;

	return bpf_map_update_elem(bpf_map__fd(p->skel->maps.ctr_counts), k, v, BPF_ANY) ? -errno :
											      0;
}

static int count_next(void *ctx, const struct rs_ctr_labels *k, struct rs_ctr_labels *next)
{
	struct probes *p = ctx;

	return bpf_map_get_next_key(bpf_map__fd(p->skel->maps.ctr_counts), k, next) ? -errno : 0;
}

static int acct_get(void *ctx, const struct rs_ctr_id *id, struct rs_ctr_acct *v)
{
	struct probes *p = ctx;

	return bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.ctr_acct), id, v) ? -errno : 0;
}

static int acct_put(void *ctx, const struct rs_ctr_id *id, const struct rs_ctr_acct *v)
{
	struct probes *p = ctx;

	return bpf_map_update_elem(bpf_map__fd(p->skel->maps.ctr_acct), id, v, BPF_ANY) ? -errno : 0;
}

static int acct_del(void *ctx, const struct rs_ctr_id *id)
{
	struct probes *p = ctx;

	return bpf_map_delete_elem(bpf_map__fd(p->skel->maps.ctr_acct), id) ? -errno : 0;
}

/*
 * live: from the last task walk (intake/reconcile.c), which the containers' pass follows and
 * never runs beside, so live_cg is not changed meanwhile; else the record as it is now
 */
static int cg_wait(void *ctx, const struct rs_cg_key *key, int live, uint64_t *wait_ns)
{
	struct probes *p = ctx;
	struct live_cg *l;
	struct rs_cgroup v;

	if (live) {
		HASH_FIND(hh, p->live_cg, key, sizeof(*key), l);
		*wait_ns = l ? l->exited_ns + l->wait_ns : 0;
		return 0;
	}
	if (bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.cgroups_map), key, &v))
		return -errno;
	*wait_ns = v.wait_ns;
	return 0;
}

const struct containers_store_ops cgroups_store = {
	.count_get = count_get,
	.count_put = count_put,
	.count_next = count_next,
	.acct_get = acct_get,
	.acct_put = acct_put,
	.acct_del = acct_del,
	.cg_wait = cg_wait,
};
