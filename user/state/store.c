// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The counters' store, below the model: each job's accounting in two writes that a crash
 * between cannot make count twice or lose (state.c takes over what an earlier daemon left)
 */
#include <errno.h>
#include "lib/log.h"
#include "state/state_priv.h"

/*
 * The counters are updated one job at a time, in two map writes: the runner's counters with
 * the job's new state as their last_job/last_seen, then the job's job_acct. A daemon killed
 * between the two leaves a job_acct behind its runner's last_seen, which state__set_store()
 * repairs: nothing is counted twice or lost, whenever the daemon dies.
 */
int state_store_get(struct state *s, enum state_table t, const void *key, void *val)
{
	return s->store ? s->store->lookup(s->store_ctx, t, key, val) : -EBADF;
}

void state_store_put(struct state *s, enum state_table t, const void *key, const void *val)
{
	int err = s->store ? s->store->update(s->store_ctx, t, key, val) : -EBADF;

	if (!err || err == -EBADF)
		return;
	if (!s->store_failed)
		pr_warn("cannot update a pinned map (%s): counters are kept in memory only until "
			"there is room",
			strerror(-err));
	s->store_failed = 1;
}

void state_store_del(struct state *s, enum state_table t, const void *key)
{
	if (s->store)
		s->store->remove(s->store_ctx, t, key);
}

void state_commit(struct state *s, struct job *j)
{
	struct runner *r = j->runner;

	if (r) {
		r->st.last_job = j->key;
		r->st.last_seen = j->acct.seen;
		state_store_put(s, STATE_RUNNER_STATS, &r->rkey, &r->st);
	}
	state_store_put(s, STATE_JOB_ACCT, &j->key, &j->acct);
}
