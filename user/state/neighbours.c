// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A job's CPU neighbours from each pass's CPU figures: see neighbours.h. */
#include <stdio.h>
#include <string.h>
#include "state/neighbours.h"

static uint64_t all_cpus(int ncpus)
{
	return ncpus <= 0 || ncpus >= 64 ? ~0ULL : (1ULL << ncpus) - 1;
}

/* a mask as the host has it: 0 (not known), one of no CPU the host has, and every mask past
 * 64 CPUs are every CPU */
static uint64_t effective(uint64_t mask, int ncpus)
{
	if (ncpus > 64 || !(mask & all_cpus(ncpus)))
		return all_cpus(ncpus);
	return mask & all_cpus(ncpus);
}

int nb_cpus(uint64_t mask, int ncpus)
{
	if (ncpus > 64)
		return ncpus;
	return __builtin_popcountll(effective(mask, ncpus));
}

static int key_eq(const struct rs_key *a, const struct rs_key *b)
{
	return a->tgid == b->tgid && a->start_ns == b->start_ns;
}

static int same(const struct nb_entry *e, const struct nb_source *s)
{
	if (e->type != s->type)
		return 0;
	if (s->type == NB_JOB)
		return key_eq(&e->key, &s->key);
	return !strcmp(e->id, s->id);
}

static void add(struct nb_acc *acc, const struct nb_source *s, uint64_t ns)
{
	struct nb_entry *e = NULL, *least = &acc->e[0];

	for (int i = 0; i < NB_KEEP && !e; i++) {
		if (acc->e[i].type == NB_NONE || same(&acc->e[i], s))
			e = &acc->e[i];
		else if (acc->e[i].cpu_ns < least->cpu_ns)
			least = &acc->e[i];
	}
	if (!e) {
		/* full: the smallest gives way to one that used more in this interval alone */
		if (least->cpu_ns >= ns)
			return;
		e = least;
		e->type = NB_NONE;
	}
	if (e->type == NB_NONE) {
		memset(e, 0, sizeof(*e));
		e->type = s->type;
		e->key = s->key;
		if (s->id)
			snprintf(e->id, sizeof(e->id), "%s", s->id);
	}
	e->cpu_ns += ns;
}

void nb_account(struct nb_acc *acc, const struct rs_key *self, uint64_t cpus, int ncpus,
		double share, uint64_t own, uint64_t busy, const struct nb_source *src, int n)
{
	uint64_t mine = effective(cpus, ncpus), others = 0;
	double rest;

	if (share <= 0)
		return;
	if (share > 1)
		share = 1;
	for (int i = 0; i < n; i++) {
		const struct nb_source *s = &src[i];
		uint64_t theirs = effective(s->cpus, ncpus), ns;
		int on = ncpus > 64 ? ncpus : __builtin_popcountll(theirs & mine);

		if (!s->delta_ns || !on || (s->type == NB_JOB && key_eq(&s->key, self)))
			continue;
		ns = (uint64_t)((double)s->delta_ns * on / nb_cpus(s->cpus, ncpus) * share);
		if (!ns)
			continue;
		add(acc, s, ns);
		others += ns;
	}
	/* the rest of what kept its CPUs busy: neither it nor a neighbour named above */
	rest = (double)busy * share - (double)own - (double)others;
	if (rest > 0)
		acc->host_ns += (uint64_t)rest;
}

int nb_top(const struct nb_acc *acc, int *idx, int max)
{
	int n = 0, used[NB_KEEP + 1] = { 0 };

	while (n < max) {
		int best = -1;
		uint64_t top = 0;

		for (int i = 0; i <= NB_KEEP; i++) {
			uint64_t ns = i < NB_KEEP ? (acc->e[i].type ? acc->e[i].cpu_ns : 0) :
						   acc->host_ns;

			if (!used[i] && ns > top) {
				top = ns;
				best = i;
			}
		}
		if (best < 0)
			break;
		used[best] = 1;
		idx[n++] = best;
	}
	return n;
}
