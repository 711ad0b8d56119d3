// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A container's life as the kernel tells it: its cgroups made and removed, the figures their
 * own counters had at the removal, a container made again under its id (a restart), and the
 * lifecycle counters: each container counted once as created and once as removed, under the
 * labels it had when first counted, across restarts of the daemon (the store keeps the counts
 * and which containers are counted: the pinned maps ctr_counts and ctr_acct)
 */
#include <errno.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "enrich/containers_priv.h"

static int cg_index(const struct container *x, const struct rs_cg_key *key)
{
	for (int i = 0; i < x->ncgs; i++)
		if (x->cgs[i].key.id == key->id && x->cgs[i].key.hier == key->hier)
			return i;
	return -1;
}

/* it has another cgroup in that hierarchy, there still: this one replaces it */
static int hier_taken(const struct container *x, __u32 hier)
{
	for (int i = 0; i < x->ncgs; i++)
		if (x->cgs[i].key.hier == hier)
			return 1;
	return 0;
}

static void labels_of(const struct container *x, struct rs_ctr_labels *out)
{
	memset(out, 0, sizeof(*out));
	out->runtime = (__u32)x->runtime;
	out->kind = (__u32)x->kind;
	snprintf(out->role, sizeof(out->role), "%s", x->role);
	snprintf(out->runner, sizeof(out->runner), "%s", x->runner);
}

static void id_of(const struct container *x, struct rs_ctr_id *out)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->id, x->id, sizeof(out->id));
}

static struct container_count *count_of(struct containers *c, const struct rs_ctr_labels *l)
{
	struct container_count *k;

	HASH_FIND(hh, c->counts, l, sizeof(*l), k);
	if (k)
		return k;
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->labels = *l;
	HASH_ADD(hh, c->counts, labels, sizeof(k->labels), k);
	return k;
}

static void bump(struct containers *c, const struct rs_ctr_labels *l, int created, int removed)
{
	struct container_count *k = count_of(c, l);

	if (!k)
		return;
	k->n.created += (__u64)created;
	k->n.removed += (__u64)removed;
	if (c->store && c->store->count_put(c->store_ctx, &k->labels, &k->n))
		pr_debug("failed to keep the container counts of runner=%s: %s", l->runner,
			 strerror(errno));
}

/* the earlier daemon counted it for this cgroup (or for it without one) */
static int counted_for(const struct container *x, const struct rs_cg_key *cg)
{
	return (!cg->id && !cg->hier) || cg_index(x, cg) >= 0;
}

void containers_count_created(struct containers *c, struct container *x)
{
	struct rs_ctr_acct a;
	struct rs_ctr_id k;

	if (x->counted != CONTAINER_UNCOUNTED)
		return;
	id_of(x, &k);
	if (c->store && !c->store->acct_get(c->store_ctx, &k, &a)) {
		if (counted_for(x, &a.cg)) {
			x->counted = CONTAINER_CREATED;
			x->as = a.as;
			return;
		}
		/* an earlier instance under its id, gone while no daemon ran */
		bump(c, &a.as, 0, 1);
	}
	labels_of(x, &x->as);
	memset(&a, 0, sizeof(a));
	a.as = x->as;
	if (x->ncgs)
		a.cg = x->cgs[0].key;
	/* which it is first, then the count: a daemon killed in between counts it once less,
	 * never twice */
	if (c->store)
		c->store->acct_put(c->store_ctx, &k, &a);
	bump(c, &x->as, 1, 0);
	x->counted = CONTAINER_CREATED;
}

void containers_count_removed(struct containers *c, struct container *x)
{
	struct rs_ctr_id k;

	if (x->counted == CONTAINER_REMOVED)
		return;
	containers_count_created(c, x);
	id_of(x, &k);
	if (c->store)
		c->store->acct_del(c->store_ctx, &k);
	bump(c, &x->as, 0, 1);
	x->counted = CONTAINER_REMOVED;
}

void containers_counts_free(struct containers *c)
{
	struct container_count *k, *t;

	HASH_ITER(hh, c->counts, k, t) {
		HASH_DEL(c->counts, k);
		free(k);
	}
}

void containers__set_store(struct containers *c, const struct containers_store_ops *ops,
			   void *ctx)
{
	struct rs_ctr_labels key, next;
	int n = 0;

	containers__lock(c);
	c->store = ops;
	c->store_ctx = ctx;
	for (int more = !ops->count_next(ctx, NULL, &next); more;
	     more = !ops->count_next(ctx, &key, &next)) {
		struct container_count *k;
		struct rs_ctr_count v;

		key = next;
		if (ops->count_get(ctx, &key, &v))
			continue;
		/* an earlier daemon's keys, ended as this one ends its own */
		key.role[sizeof(key.role) - 1] = '\0';
		key.runner[sizeof(key.runner) - 1] = '\0';
		if (!(k = count_of(c, &key)))
			continue;
		k->n = v;
		n++;
	}
	containers__unlock(c);
	if (n)
		pr_debug("container counts of %d label sets carried over", n);
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
	if (x && !cg->removed && cg_index(x, &cg->key) < 0 &&
	    (x->gone_ns || hier_taken(x, cg->key.hier))) {
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
	i = cg_index(x, &cg->key);
	if (i < 0 && x->ncgs < CONTAINER_CGROUPS) {
		i = x->ncgs++;
		x->cgs[i].key = cg->key;
		/* its paths where they are there now: a cgroup already known has its own */
		if (!cg->removed && cg->path)
			containers_fill_paths(c, x, cg->path);
	}
	if (!cg->removed) {
		if (cg->tasks >= 0)
			x->tasks = cg->tasks;
		containers__unlock(c);
		return ret;
	}
	if (i >= 0)
		x->cgs[i].removed = 1;
	if (cg->emptied_ns)
		x->emptied_ns = cg->emptied_ns;
	if (cg->fin)
		final(x, cg->fin);
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
