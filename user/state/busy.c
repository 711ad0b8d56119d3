// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A runner's busy time: from the start of a job while none ran to the end of its last running
 * job, so that overlapping jobs count once, from the kernel's timestamps. st.busy_ns holds
 * what has been counted, up to st.busy_until; both are pinned with the runner's counters.
 * A running period is counted at each pass (state__busy_checkpoint()), and its rest when its
 * last job ends. A job seen late (its start before what has been counted, taken over from an
 * earlier daemon) adds only what lies after busy_until.
 */
#include "state/state_priv.h"

void busy_start(struct runner *r, uint64_t start)
{
	if (start < r->st.busy_until)
		start = r->st.busy_until;
	if (!r->jobs_running) {
		r->busy_since = start;
		r->busy_end = 0;
	} else if (start < r->busy_since) {
		r->busy_since = start;
	}
}

/* counts the running period up to t */
static int busy_count(struct runner *r, uint64_t t)
{
	if (t <= r->busy_since)
		return 0;
	r->st.busy_ns += t - r->busy_since;
	r->busy_since = t;
	if (t > r->st.busy_until)
		r->st.busy_until = t;
	return 1;
}

void busy_end(struct runner *r, uint64_t end)
{
	if (end > r->busy_end)
		r->busy_end = end;
	if (r->jobs_running)
		return;
	busy_count(r, r->busy_end);
	r->busy_since = r->busy_end = 0;
}

void state__busy_checkpoint(struct state *s, uint64_t now_boot)
{
	struct runner *r;
	struct job *j;

	state__lock(s);
	for (r = s->runners; r; r = r->hh.next)
		r->busy_to = 0;
	/* each busy runner up to the latest moment one of its jobs is known to have run */
	for (j = s->jobs; j; j = j->hh.next) {
		uint64_t t = j->idle_since ? j->idle_since : now_boot;

		if (!j->finished && j->runner && t > j->runner->busy_to)
			j->runner->busy_to = t;
	}
	for (r = s->runners; r; r = r->hh.next)
		if (r->jobs_running && busy_count(r, r->busy_to))
			state_store_put(s, STATE_RUNNER_STATS, &r->rkey, &r->st);
	state__unlock(s);
}
