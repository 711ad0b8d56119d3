// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What every part of the state shares, below them all: its lock, its options, the last
 * finished jobs, the histograms' bounds
 */
#include "state/state_priv.h"

/* job_duration_seconds: 1 s … 6 h */
const double state_duration_bounds[RS_DURATION_BUCKETS - 1] = { 1,   5,    10,   30,	60,    120,   300,
					  600, 1200, 1800, 3600, 7200, 10800, 21600 };

/* job_max_rss_bytes: 16 MiB … 64 GiB */
const double state_rss_bounds[RS_RSS_BUCKETS - 1] = { 16.0 * (1 << 20), 64.0 * (1 << 20), 256.0 * (1 << 20),
				     1.0 * (1 << 30),  4.0 * (1 << 30),	 16.0 * (1 << 30),
				     64.0 * (1 << 30) };

struct joblabels *state__labels(struct state *s)
{
	return s->opts.labels;
}

int state__cpu_wait(const struct state *s)
{
	return s->opts.cpu_wait;
}

void state__lock(struct state *s)
{
	pthread_mutex_lock(&s->lock);
}

void state__unlock(struct state *s)
{
	pthread_mutex_unlock(&s->lock);
}

struct runner *state__runners(struct state *s)
{
	return s->runners;
}

struct job *state__jobs(struct state *s)
{
	return s->jobs;
}

const struct job_record *state__recent(struct state *s, int i)
{
	if (i < 0 || (unsigned int)i >= s->recent_n || i >= STATE_RECENT_JOBS)
		return NULL;
	return &s->recent[(s->recent_n - 1 - (unsigned int)i) % STATE_RECENT_JOBS];
}

void state_keep_recent(struct state *s, const struct job_record *r)
{
	const struct job_record *k;

	/* one read back from the event log, published again by a daemon killed before its
	 * commit: the same job */
	for (int i = 0; (k = state__recent(s, i)); i++)
		if (k->kind == r->kind && k->pid == r->pid && !strcmp(k->runner, r->runner) &&
		    job_same_start(k->start_ns, r->start_ns))
			return;
	s->recent[s->recent_n++ % STATE_RECENT_JOBS] = *r;
}

void state__add_recent(struct state *s, const struct job_record *r)
{
	if (!r->finished)
		return;
	state__lock(s);
	state_keep_recent(s, r);
	state__unlock(s);
}
