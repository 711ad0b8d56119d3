// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expo/timeline.h"
#include "state/job_record.h"

struct timeline {
	pthread_mutex_t lock;
	struct timeline_opts o;
	struct timeline_job **ring; /* o.max_jobs slots; the oldest at head */
	unsigned int head, n;
	size_t bytes; /* of the jobs kept */
	uint64_t dropped_end_ns;
	uint64_t dropped;
};

const char *timeline_group(char *out, size_t sz, const char *pod, const char *ns,
			   const char *name, const char *id)
{
	if (pod && pod[0])
		snprintf(out, sz, "%s/%s", ns ? ns : "", pod);
	else if (name && name[0])
		snprintf(out, sz, "%s", name);
	else if (id && id[0])
		snprintf(out, sz, "%.12s", id);
	else
		snprintf(out, sz, "(host)");
	return out;
}

size_t timeline_job_size(const struct timeline_job *j)
{
	return sizeof(*j) + j->len;
}

struct timeline_job *timeline_job_new(const struct timeline_src *src)
{
	const struct job_context *c = src->ctx;
	const char *parts[5] = { src->runner ? src->runner : "", src->group ? src->group : "",
				 c ? c->repository : "", c ? c->workflow : "", c ? c->job : "" };
	/* each name is at most a label value or a container label: the offsets fit 16 bits */
	size_t lens[5], off[5], total = 0;
	struct timeline_job *j;

	for (int i = 0; i < 5; i++) {
		lens[i] = strnlen(parts[i], 2 * NAME_LEN + 1);
		off[i] = total;
		total += lens[i] + 1;
	}
	j = calloc(1, sizeof(*j) + total);
	if (!j)
		return NULL;
	for (int i = 0; i < 5; i++)
		memcpy(j->s + off[i], parts[i], lens[i]);
	j->o_group = (uint16_t)off[1];
	j->o_repository = (uint16_t)off[2];
	j->o_workflow = (uint16_t)off[3];
	j->o_job = (uint16_t)off[4];
	j->len = (uint16_t)total;
	j->start_ns = src->start_ns;
	j->end_ns = src->end_ns > src->start_ns ? src->end_ns : src->start_ns;
	j->cpu_ns = src->cpu_ns;
	j->max_rss = src->max_rss;
	j->oom_kills = src->oom_kills > UINT32_MAX ? UINT32_MAX : (uint32_t)src->oom_kills;
	j->pid = src->pid;
	j->exit_code = src->exit_code;
	j->result = (int16_t)src->result;
	j->kind = (uint8_t)src->kind;
	j->have_ctx = c && (c->repository[0] || c->workflow[0] || c->job[0]);
	return j;
}

struct timeline *timeline__new(const struct timeline_opts *opts)
{
	struct timeline *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	if (opts)
		t->o = *opts;
	if (!t->o.max_jobs)
		t->o.max_jobs = TIMELINE_JOBS;
	if (!t->o.keep_ns)
		t->o.keep_ns = TIMELINE_KEEP_NS;
	if (!t->o.max_bytes)
		t->o.max_bytes = TIMELINE_BYTES;
	t->ring = calloc(t->o.max_jobs, sizeof(*t->ring));
	if (!t->ring) {
		free(t);
		return NULL;
	}
	pthread_mutex_init(&t->lock, NULL);
	return t;
}

void timeline__free(struct timeline *t)
{
	if (!t)
		return;
	for (unsigned int i = 0; i < t->n; i++)
		free(t->ring[(t->head + i) % t->o.max_jobs]);
	free(t->ring);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static void drop_oldest(struct timeline *t, int for_age)
{
	struct timeline_job *j = t->ring[t->head];

	if (!for_age && j->end_ns > t->dropped_end_ns)
		t->dropped_end_ns = j->end_ns;
	t->bytes -= timeline_job_size(j);
	free(j);
	t->ring[t->head] = NULL;
	t->head = (t->head + 1) % t->o.max_jobs;
	t->n--;
	t->dropped++;
}

/*
 * The same job kept already: one read back from the event log, published again by a daemon
 * killed before its commit, or a line the log holds twice. Jobs come in about the order they
 * end, so only the newest few, those that ended about when it did, are looked at.
 */
static int kept_already(const struct timeline *t, const struct timeline_job *j)
{
	for (unsigned int i = t->n; i-- > 0;) {
		const struct timeline_job *k = t->ring[(t->head + i) % t->o.max_jobs];

		if (k->end_ns + JOB_SAME_START_NS < j->end_ns)
			break;
		if (k->kind == j->kind && k->pid == j->pid &&
		    job_same_start(k->start_ns, j->start_ns) &&
		    !strcmp(timeline_job_runner(k), timeline_job_runner(j)))
			return 1;
	}
	return 0;
}

void timeline_add(struct timeline *t, const struct job_record *r)
{
	char group[2 * NAME_LEN + 2];
	struct timeline_src src = {
		.kind = r->kind,
		.runner = r->has_runner ? r->runner : "",
		.group = timeline_group(group, sizeof(group), r->pod, r->ns, r->container,
					r->container_id),
		.ctx = r->have_ctx ? &r->ctx : NULL,
		.pid = r->pid,
		.start_ns = r->start_ns,
		.end_ns = r->end_ns,
		.cpu_ns = r->cpu_user_ns + r->cpu_system_ns,
		.max_rss = r->max_rss,
		.oom_kills = r->oom_kills,
		.exit_code = r->exit_code,
		.result = r->result,
	};
	struct timeline_job *j;
	size_t sz;

	/* a job without a runner has no row to be drawn in */
	if (!r->finished || !r->has_runner)
		return;
	j = timeline_job_new(&src);
	if (!j)
		return;
	sz = timeline_job_size(j);
	pthread_mutex_lock(&t->lock);
	if (kept_already(t, j)) {
		pthread_mutex_unlock(&t->lock);
		free(j);
		return;
	}
	/* the newest end is the timeline's now: what ended a day before goes */
	while (t->n && t->ring[t->head]->end_ns + t->o.keep_ns < j->end_ns)
		drop_oldest(t, 1);
	while (t->n && (t->n >= t->o.max_jobs || t->bytes + sz > t->o.max_bytes))
		drop_oldest(t, 0);
	if (sz <= t->o.max_bytes) {
		t->ring[(t->head + t->n) % t->o.max_jobs] = j;
		t->n++;
		t->bytes += sz;
		j = NULL;
	}
	pthread_mutex_unlock(&t->lock);
	free(j);
}

void timeline__on_job(void *ctx, const struct job_record *r)
{
	timeline_add(ctx, r);
}

void timeline_lock(struct timeline *t)
{
	pthread_mutex_lock(&t->lock);
}

void timeline_unlock(struct timeline *t)
{
	pthread_mutex_unlock(&t->lock);
}

const struct timeline_job *timeline_job_at(const struct timeline *t, unsigned int i)
{
	return i < t->n ? t->ring[(t->head + i) % t->o.max_jobs] : NULL;
}

void timeline_stats(struct timeline *t, struct timeline_stats *out)
{
	pthread_mutex_lock(&t->lock);
	out->jobs = t->n;
	out->bytes = t->bytes + sizeof(*t) + t->o.max_jobs * sizeof(*t->ring);
	out->dropped_end_ns = t->dropped_end_ns;
	out->dropped = t->dropped;
	pthread_mutex_unlock(&t->lock);
}

/* ---- the view ---- */

int timeline_clip(uint64_t start, uint64_t end, uint64_t w0, uint64_t w1, uint64_t *a, uint64_t *b)
{
	if (end < w0 || start > w1 || end < start)
		return -1;
	*a = start > w0 ? start : w0;
	*b = end < w1 ? end : w1;
	return 0;
}

uint64_t timeline_busy_ns(const uint64_t (*spans)[2], int n, uint64_t w0, uint64_t w1)
{
	uint64_t busy = 0, cur_a = 0, cur_b = 0, a, b;
	int open = 0;

	for (int i = 0; i < n; i++) {
		if (timeline_clip(spans[i][0], spans[i][1], w0, w1, &a, &b))
			continue;
		if (open && a <= cur_b) {
			if (b > cur_b)
				cur_b = b;
			continue;
		}
		if (open)
			busy += cur_b - cur_a;
		cur_a = a, cur_b = b, open = 1;
	}
	if (open)
		busy += cur_b - cur_a;
	return busy;
}

void timeline_view_init(struct timeline_view *v, const struct timeline_view_opts *o)
{
	memset(v, 0, sizeof(*v));
	v->o = *o;
}

void timeline_view_free(struct timeline_view *v)
{
	struct timeline_row *r, *tmp;

	HASH_ITER(hh, v->hash, r, tmp) {
		HASH_DEL(v->hash, r);
		free(r);
	}
	for (int i = 0; i < v->nowned; i++)
		free(v->owned[i]);
	free(v->owned);
	free(v->rows);
	free(v->items);
	memset(v, 0, sizeof(*v));
}

/* grows *p (of *cap elements of size sz) to hold one more: 0 or -ENOMEM */
static int grow(void *p, int *cap, int n, size_t sz)
{
	void **pp = p, *np;
	int ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 16;
	np = realloc(*pp, (size_t)ncap * sz);
	if (!np)
		return -ENOMEM;
	*pp = np;
	*cap = ncap;
	return 0;
}

static struct timeline_row *row_get(struct timeline_view *v, int kind, const char *runner,
				     const char *group)
{
	char key[sizeof(((struct timeline_row *)0)->key)];
	struct timeline_row *r;

	snprintf(key, sizeof(key), "%d/%s", kind, runner);
	HASH_FIND_STR(v->hash, key, r);
	if (r)
		return r;
	if (grow(&v->rows, &v->rows_cap, v->nrows, sizeof(*v->rows)) ||
	    !(r = calloc(1, sizeof(*r)))) {
		v->oom = 1;
		return NULL;
	}
	memcpy(r->key, key, sizeof(r->key));
	r->kind = kind;
	snprintf(r->runner, sizeof(r->runner), "%s", runner);
	snprintf(r->group, sizeof(r->group), "%s", group);
	r->id = v->nrows;
	v->rows[v->nrows++] = r;
	HASH_ADD_STR(v->hash, key, r);
	return r;
}

void timeline_view_runner(struct timeline_view *v, int kind, const char *runner, const char *group,
			  int running)
{
	struct timeline_row *r = row_get(v, kind, runner, group);

	if (r) {
		/* what the state says of its container now beats what its old jobs said */
		snprintf(r->group, sizeof(r->group), "%s", group);
		r->running += running;
	}
}

void timeline_view_job(struct timeline_view *v, const struct timeline_job *j)
{
	uint64_t a, b;
	struct timeline_row *r;

	if (timeline_clip(j->start_ns, j->end_ns, v->o.w0, v->o.w1, &a, &b))
		return;
	r = row_get(v, j->kind, timeline_job_runner(j), timeline_job_group(j));
	if (!r || grow(&v->items, &v->items_cap, v->nitems, sizeof(*v->items))) {
		v->oom = 1;
		return;
	}
	v->items[v->nitems++] = (struct timeline_item){ .job = j, .row = r, .drawn = 1 };
}

void timeline_view_job_owned(struct timeline_view *v, struct timeline_job *j)
{
	if (grow(&v->owned, &v->owned_cap, v->nowned, sizeof(*v->owned))) {
		v->oom = 1;
		free(j);
		return;
	}
	v->owned[v->nowned++] = j;
	timeline_view_job(v, j);
}

void timeline_view_timeline(struct timeline_view *v, const struct timeline *t)
{
	const struct timeline_job *j;

	for (unsigned int i = 0; (j = timeline_job_at(t, i)); i++)
		timeline_view_job(v, j);
}

static int cmp_items_by_id(const void *pa, const void *pb)
{
	const struct timeline_item *a = pa, *b = pb;

	if (a->row->id != b->row->id)
		return a->row->id < b->row->id ? -1 : 1;
	if (a->job->start_ns != b->job->start_ns)
		return a->job->start_ns < b->job->start_ns ? -1 : 1;
	return a->job->end_ns < b->job->end_ns ? -1 : a->job->end_ns > b->job->end_ns;
}

/* the row's place: running, active, idle; within a class, groups by their busiest runner,
 * then the runners of a group by how busy they were, then by name */
static int cmp_rows(const void *pa, const void *pb)
{
	const struct timeline_row *a = *(struct timeline_row *const *)pa;
	const struct timeline_row *b = *(struct timeline_row *const *)pb;
	int c;

	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	if (a->gbusy != b->gbusy)
		return a->gbusy > b->gbusy ? -1 : 1;
	c = strcmp(a->group, b->group);
	if (c)
		return c;
	if (a->busy_ns != b->busy_ns)
		return a->busy_ns > b->busy_ns ? -1 : 1;
	c = strcmp(a->runner, b->runner);
	return c ? c : a->kind - b->kind;
}

static int cmp_rows_by_group(const void *pa, const void *pb)
{
	const struct timeline_row *a = *(struct timeline_row *const *)pa;
	const struct timeline_row *b = *(struct timeline_row *const *)pb;

	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	return strcmp(a->group, b->group);
}

static int cmp_u64_desc(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

	return a > b ? -1 : a < b;
}

/* the newest max_bars jobs of the drawn rows are drawn; the others are counted */
static void cap_bars(struct timeline_view *v)
{
	int n = 0, quota;
	uint64_t *ends, cut;

	for (int i = 0; i < v->nitems; i++)
		n += v->items[i].row->id < v->shown;
	if (v->o.max_bars <= 0 || n <= v->o.max_bars)
		return;
	ends = malloc((size_t)n * sizeof(*ends));
	if (!ends) {
		v->oom = 1;
		return;
	}
	n = 0;
	for (int i = 0; i < v->nitems; i++)
		if (v->items[i].row->id < v->shown)
			ends[n++] = v->items[i].job->end_ns;
	qsort(ends, (size_t)n, sizeof(*ends), cmp_u64_desc);
	cut = ends[v->o.max_bars - 1];
	quota = 0;
	for (int i = 0; i < v->o.max_bars; i++)
		quota += ends[i] == cut;
	free(ends);
	for (int i = 0; i < v->nitems; i++) {
		struct timeline_item *it = &v->items[i];

		if (it->row->id >= v->shown)
			continue;
		if (it->job->end_ns < cut || (it->job->end_ns == cut && quota-- <= 0)) {
			it->drawn = 0;
			v->undrawn++;
		}
	}
}

void timeline_view_finish(struct timeline_view *v)
{
	uint64_t(*spans)[2] = NULL;
	uint64_t len = v->o.w1 > v->o.w0 ? v->o.w1 - v->o.w0 : 1;

	if (v->nitems)
		qsort(v->items, (size_t)v->nitems, sizeof(*v->items), cmp_items_by_id);
	spans = malloc(((size_t)v->nitems + 1) * sizeof(*spans));
	if (!spans)
		v->oom = 1;
	for (int i = 0, k; i < v->nitems; i = k) {
		struct timeline_row *r = v->items[i].row;

		for (k = i; k < v->nitems && v->items[k].row == r; k++)
			if (spans) {
				spans[k - i][0] = v->items[k].job->start_ns;
				spans[k - i][1] = v->items[k].job->end_ns;
			}
		r->first = i;
		r->n = k - i;
		r->busy_ns = spans ? timeline_busy_ns((const uint64_t(*)[2])spans, k - i,
						      v->o.w0, v->o.w1) : 0;
	}
	free(spans);
	for (int i = 0; i < v->nrows; i++) {
		struct timeline_row *r = v->rows[i];

		r->cls = r->running ? TIMELINE_CLASS_RUNNING :
			 r->n ? TIMELINE_CLASS_ACTIVE : TIMELINE_CLASS_IDLE;
	}
	/* each group's busiest runner, within its class */
	if (v->nrows)
		qsort(v->rows, (size_t)v->nrows, sizeof(*v->rows), cmp_rows_by_group);
	for (int i = 0, k; i < v->nrows; i = k) {
		double max = 0;

		for (k = i; k < v->nrows && !cmp_rows_by_group(&v->rows[i], &v->rows[k]); k++)
			if ((double)v->rows[k]->busy_ns / (double)len > max)
				max = (double)v->rows[k]->busy_ns / (double)len;
		for (int m = i; m < k; m++)
			v->rows[m]->gbusy = max;
	}
	if (v->nrows)
		qsort(v->rows, (size_t)v->nrows, sizeof(*v->rows), cmp_rows);
	v->active = 0;
	for (int i = 0; i < v->nrows; i++) {
		v->rows[i]->id = i;
		v->active += v->rows[i]->cls != TIMELINE_CLASS_IDLE;
	}
	v->shown = v->o.max_rows > 0 && v->active > v->o.max_rows ? v->o.max_rows : v->active;
	/* the jobs again, now by the rows' order, each row's by start */
	if (v->nitems)
		qsort(v->items, (size_t)v->nitems, sizeof(*v->items), cmp_items_by_id);
	for (int i = 0, k; i < v->nitems; i = k) {
		struct timeline_row *r = v->items[i].row;

		for (k = i; k < v->nitems && v->items[k].row == r; k++)
			;
		r->first = i;
	}
	cap_bars(v);
}
