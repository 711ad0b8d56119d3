// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The counters' store: each job's accounting in two writes that a crash between cannot make
 * count twice or lose, and at start-up the counters an earlier daemon left
 */
#include <errno.h>
#include "lib/log.h"
#include "state/state_priv.h"

/*
 * The counters are updated one job at a time, in two map writes: the runner's counters with
 * the job's new state as their last_job/last_seen, then the job's job_acct. A daemon killed
 * between the two leaves a job_acct behind its runner's last_seen, which set_store repairs:
 * nothing is counted twice or lost, whenever the daemon dies.
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

static int rs_key_is_zero_user(const struct rs_key *k)
{
	return !k->tgid && !k->start_ns;
}

/* walks a table's keys, deleting as it goes when drop() says so */
static void sweep(struct state *s, enum state_table t, size_t ksize,
		  int (*drop)(struct state *, const void *))
{
	char key[sizeof(struct rs_runner_key)], next[sizeof(key)];
	int more;

	if (!s->store || ksize > sizeof(key))
		return;
	more = !s->store->next_key(s->store_ctx, t, NULL, next);
	while (more) {
		memcpy(key, next, ksize);
		more = !s->store->next_key(s->store_ctx, t, key, next);
		if (drop(s, key))
			state_store_del(s, t, key);
	}
}

/* surely not in the table: a store without it says nothing */
static int absent(struct state *s, enum state_table t, const void *key)
{
	char val[sizeof(struct rs_job)];

	return state_store_get(s, t, key, val) == -ENOENT;
}

static int stale_job_acct(struct state *s, const void *key)
{
	return absent(s, STATE_JOBS, key);
}

static int stale_agent_acct(struct state *s, const void *key)
{
	return absent(s, STATE_AGENTS, key);
}

/* an earlier daemon's runner, with its counters; its last update completed if cut short */
static int adopt_runner(struct state *s, const void *key)
{
	const struct rs_runner_key *k = key;
	struct rs_job_acct acct;
	struct runner *r;

	if (!k->kind || k->kind >= RS_KIND_MAX || !memchr(k->name, 0, sizeof(k->name)))
		return 1; /* not one we could have written */
	r = state_runner_by_key(s, k, NULL);
	if (!r || rs_key_is_zero_user(&r->st.last_job))
		return 0;
	if (!state_store_get(s, STATE_JOB_ACCT, &r->st.last_job, &acct)) {
		if (!memcmp(&acct.seen, &r->st.last_seen, sizeof(acct.seen)))
			return 0;
		acct.seen.flags |= r->st.last_seen.flags;
	} else if (absent(s, STATE_JOBS, &r->st.last_job)) {
		return 0; /* the job is over and forgotten */
	} else {
		memset(&acct, 0, sizeof(acct));
		acct.runner = r->rkey;
	}
	pr_info("completing the last update of runner=%s for job pid=%u", r->name,
		r->st.last_job.tgid);
	acct.seen.cpu_user_ns = r->st.last_seen.cpu_user_ns;
	acct.seen.cpu_system_ns = r->st.last_seen.cpu_system_ns;
	acct.seen.oom_kills = r->st.last_seen.oom_kills;
	acct.seen.flags |= r->st.last_seen.flags;
	state_store_put(s, STATE_JOB_ACCT, &r->st.last_job, &acct);
	return 0;
}

void state__set_store(struct state *s, const struct state_store_ops *ops, void *ctx)
{
	int n;

	state__lock(s);
	s->store = ops;
	s->store_ctx = ctx;
	sweep(s, STATE_RUNNER_STATS, sizeof(struct rs_runner_key), adopt_runner);
	sweep(s, STATE_JOB_ACCT, sizeof(struct rs_key), stale_job_acct);
	sweep(s, STATE_AGENT_ACCT, sizeof(struct rs_key), stale_agent_acct);
	n = HASH_COUNT(s->runners);
	state__unlock(s);
	if (n)
		pr_info("took over the counters of %d runners from the pinned maps", n);
}
