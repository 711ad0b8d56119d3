// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The containers' lifecycle counters: each container counted once as created and once as
 * removed, under the labels it had when first counted, across restarts of the daemon (the
 * store keeps the counts and which containers are counted: the pinned maps ctr_counts and
 * ctr_acct). The table (containers.c), the cgroup events (container_life.c) and the walk
 * (container_walk.c) count through these; they call none of them.
 */
#include <errno.h>
#include "lib/log.h"
#include "enrich/containers_priv.h"

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
	return (!cg->id && !cg->hier) || containers_cg_index(x, cg) >= 0;
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

	pthread_mutex_lock(&c->lock);
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
	pthread_mutex_unlock(&c->lock);
	if (n)
		pr_debug("container counts of %d label sets carried over", n);
}
