// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Each pass's share-out of the CPU among the running jobs' neighbours (neighbours.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "state/state_priv.h"

static uint64_t job_cpu_total(const struct job *j)
{
	return j->acct.seen.cpu_user_ns + j->acct.seen.cpu_system_ns;
}

/* what the job used since the last pass; one seen for the first time counts from its start
 * when that was within the interval, else from now */
static uint64_t job_delta(struct job *j, uint64_t prev)
{
	uint64_t cur = job_cpu_total(j), d;

	if (j->nb.seen)
		d = cur > j->nb.cpu_last ? cur - j->nb.cpu_last : 0;
	else
		d = prev && j->start_ns >= prev ? cur : 0;
	j->nb.seen = 1;
	j->nb.cpu_last = cur;
	return d;
}

/* how long the CPUs of mask were busy in the interval */
static uint64_t busy_in(const uint64_t *now, const uint64_t *prev, int ncpus, uint64_t mask)
{
	uint64_t sum = 0;

	for (int i = 0; i < ncpus; i++)
		if ((ncpus > 64 || !mask || (mask >> i) & 1) && now[i] > prev[i])
			sum += now[i] - prev[i];
	return sum;
}

/* a job's names for its neighbours' records, kept once it has finished (its record goes) */
void state_nb_name_keep(struct state *s, const struct job *j)
{
	struct nb_name *x = &s->nb_names[s->nb_names_n++ % STATE_NB_NAMES];

	x->key = j->key;
	snprintf(x->runner, sizeof(x->runner), "%s", j->runner ? j->runner->name : "");
	snprintf(x->job, sizeof(x->job), "%s", j->have_ctx ? j->ctx.job : "");
}

/* one of a job's neighbours as its record names it */
static void nb_named(struct state *s, const struct nb_entry *e, struct job_record_neighbour *out)
{
	const struct job *j;

	out->type = e->type;
	out->cpu_ns = e->cpu_ns;
	if (e->type == NB_CONTAINER) {
		struct container_names names;

		if (containers__names_of(s->opts.containers, e->id, &names) || !names.name[0])
			snprintf(out->name, sizeof(out->name), "%s", e->id);
		else
			memcpy(out->name, names.name, sizeof(out->name));
		return;
	}
	out->pid = e->key.tgid;
	HASH_FIND(hh, s->jobs, &e->key, sizeof(e->key), j);
	if (j) {
		snprintf(out->name, sizeof(out->name), "%s", j->runner ? j->runner->name : "");
		snprintf(out->job, sizeof(out->job), "%s", j->have_ctx ? j->ctx.job : "");
		return;
	}
	for (unsigned int i = 0; i < STATE_NB_NAMES && i < s->nb_names_n; i++) {
		const struct nb_name *x = &s->nb_names[i];

		if (x->key.tgid == e->key.tgid && x->key.start_ns == e->key.start_ns) {
			memcpy(out->name, x->runner, sizeof(out->name));
			memcpy(out->job, x->job, sizeof(out->job));
			return;
		}
	}
}

int state_nb_record(struct state *s, const struct job *j, struct job_record_neighbour *out,
		    int max)
{
	int idx[JOB_NEIGHBOURS_MAX], n = nb_top(&j->nb, idx, max < JOB_NEIGHBOURS_MAX ? max :
							  JOB_NEIGHBOURS_MAX);

	for (int i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		if (idx[i] == NB_KEEP) {
			out[i].type = NB_HOST;
			out[i].cpu_ns = j->nb.host_ns;
		} else {
			nb_named(s, &j->nb.e[idx[i]], &out[i]);
		}
	}
	return n;
}

void state__neighbours(struct state *s, uint64_t now_boot, const uint64_t *busy_ns, int ncpus,
		       const struct container_delta *ctrs, int nctrs)
{
	struct nb_source *src = NULL;
	uint64_t *own = NULL, prev;
	struct job *j;
	int n = 0, k;

	if (ncpus <= 0)
		return;
	state__lock(s);
	prev = s->nb_prev_ns;
	if (s->nb_ncpus != ncpus) {
		/* the first pass, or the CPUs changed: only starting points */
		free(s->nb_busy);
		s->nb_busy = calloc((size_t)ncpus, sizeof(*s->nb_busy));
		s->nb_ncpus = s->nb_busy ? ncpus : 0;
		prev = 0;
	}
	src = calloc((size_t)HASH_COUNT(s->jobs) + (size_t)nctrs + 1, sizeof(*src));
	own = calloc((size_t)HASH_COUNT(s->jobs) + 1, sizeof(*own));
	if (!src || !own || !s->nb_busy)
		goto out;
	for (j = s->jobs; j; j = j->hh.next) {
		struct nb_source *x = &src[n];

		own[n] = job_delta(j, prev);
		x->type = NB_JOB;
		x->key = j->key;
		x->delta_ns = own[n++];
		x->cpus = j->cpus;
	}
	for (int i = 0; i < nctrs; i++, n++) {
		src[n].type = NB_CONTAINER;
		src[n].id = ctrs[i].id;
		src[n].delta_ns = ctrs[i].cpu_ns;
	}
	if (prev && now_boot > prev) {
		double span = (double)(now_boot - prev);

		for (j = s->jobs, k = 0; j; j = j->hh.next, k++) {
			double share = j->start_ns > prev ? (double)(now_boot - j->start_ns) / span : 1;

			if (j->finished || !j->runner)
				continue;
			nb_account(&j->nb, &j->key, j->cpus, ncpus, share, own[k],
				   busy_in(busy_ns, s->nb_busy, ncpus, j->cpus), src, n);
		}
	}
	memcpy(s->nb_busy, busy_ns, (size_t)ncpus * sizeof(*busy_ns));
	s->nb_prev_ns = now_boot;
out:
	free(src);
	free(own);
	state__unlock(s);
}
