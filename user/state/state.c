// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The runners and their agents: found, named, and expired a grace period after the last agent
 * has gone
 */
#include <ctype.h>
#include <errno.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "state/state_priv.h"
#include "ci/kinds/kinds.h"

_Static_assert(RESULT_MAX == RS_RESULTS, "results in the pinned counters");

struct state *state__new(const struct state_opts *opts)
{
	struct state *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->opts = *opts;
	return s;
}

void state__free(struct state *s)
{
	struct runner *r, *rt;
	struct agent *a, *at;
	struct job *j, *jt;

	if (!s)
		return;
	HASH_ITER(hh, s->agents, a, at) {
		HASH_DEL(s->agents, a);
		free(a);
	}
	HASH_ITER(hh, s->jobs, j, jt) {
		HASH_DEL(s->jobs, j);
		free(j);
	}
	HASH_ITER(hh, s->runners, r, rt) {
		HASH_DEL(s->runners, r);
		state_runner_free(r);
	}
	free(s->nb_busy);
	state__name_job(s, NULL, 0, NULL);
	state_pending_expire(s, 0, 1);
	pthread_mutex_destroy(&s->lock);
	free(s);
}


int state__has_agent(struct state *s, const struct rs_key *key)
{
	struct agent *a;

	state__lock(s);
	HASH_FIND(hh, s->agents, key, sizeof(*key), a);
	state__unlock(s);
	return a != NULL;
}

int state__agent(struct state *s, const struct rs_key *key, const struct rs_agent *rec,
		 struct state_named *named)
{
	const struct identity *id = named ? named->id : NULL;
	struct rs_runner_key bound;
	struct agent *a;

	if (named)
		named->runner[0] = '\0';
	state__lock(s);
	HASH_FIND(hh, s->agents, key, sizeof(*key), a);
	/* a running agent new to the state is named by what its process said (id) */
	if (!a && rec->state == RS_STATE_RUNNING && id) {
		a = calloc(1, sizeof(*a));
		if (!a) {
			state__unlock(s);
			return 0;
		}
		a->key = *key;
		/* the name an earlier daemon gave it stays, so its counters stay too */
		if (!state_store_get(s, STATE_AGENT_ACCT, key, &bound) && bound.kind)
			a->runner = state_runner_by_key(s, &bound, id);
		else
			a->runner = state_runner_get(s, rec->kind, id);
		if (!a->runner) {
			free(a);
			state__unlock(s);
			return 0;
		}
		state_store_put(s, STATE_AGENT_ACCT, key, &a->runner->rkey);
		HASH_ADD(hh, s->agents, key, sizeof(a->key), a);
		a->runner->agents++;
		a->runner->down_since = 0;
		if (key->start_ns > a->runner->start_ns)
			a->runner->start_ns = key->start_ns;
		memcpy(named->runner, a->runner->name, NAME_LEN);
		pr_debug("agent started pid=%u runner=%s", key->tgid, a->runner->name);
	}
	if (rec->state != RS_STATE_FINISHED) {
		state__unlock(s);
		return 0;
	}
	/* finished: an agent we never saw running has nothing to undo */
	if (a) {
		struct runner *r = a->runner;

		if (--r->agents == 0)
			r->down_since = clock_ns(CLOCK_MONOTONIC);
		pr_debug("agent exited pid=%u runner=%s status=%d", key->tgid, r->name,
			 rec->exit_code);
		HASH_DEL(s->agents, a);
		free(a);
	}
	state__unlock(s);
	return 1;
}

void state__forget_agent(struct state *s, const struct rs_key *key)
{
	state_store_del(s, STATE_AGENT_ACCT, key);
}

int state__pick_agent(struct state *s, int kind, const char *name, const char *tag,
		       struct rs_key *out)
{
	struct runner *only = NULL;
	struct agent *a, *pick = NULL;
	int many = 0;

	state__lock(s);
	for (a = s->agents; a && !pick; a = a->hh.next) {
		struct runner *r = a->runner;

		if (r->kind != kind)
			continue;
		if ((name && name[0] && !strcmp(r->name, name)) ||
		    (tag && kinds__tag_eq(kind, r->tag, tag)))
			pick = a;
		else if (only && only != r)
			many = 1;
		else
			only = r;
	}
	if (!pick && only && !many)
		for (a = s->agents; a && !pick; a = a->hh.next)
			if (a->runner == only)
				pick = a;
	if (pick)
		*out = pick->key;
	state__unlock(s);
	return pick ? 0 : -ENOENT;
}

int state__job_container(struct state *s, const struct rs_key *agent, int kind,
			 const char *name, const char *id, const struct rs_key *job, const char *role,
			 char runner[NAME_LEN])
{
	struct runner *r;
	struct agent *a;

	runner[0] = '\0';
	state__lock(s);
	HASH_FIND(hh, s->agents, agent, sizeof(*agent), a);
	r = a ? a->runner : state_job_runner(s, kind, name);
	/* its name, not the runner: that may expire once the lock is let go */
	if (r)
		memcpy(runner, r->name, NAME_LEN);
	state__unlock(s);
	if (!runner[0])
		return -ENOENT;
	state_job_add_container(s, job, id, role);
	return 0;
}

void state__name_job(struct state *s, const struct rs_key *key, int kind, const char *name)
{
	struct job_name *n, *t;

	state__lock(s);
	if (!key) {
		HASH_ITER(hh, s->job_names, n, t) {
			HASH_DEL(s->job_names, n);
			free(n);
		}
	} else if ((n = calloc(1, sizeof(*n)))) {
		n->key = *key;
		n->kind = kind;
		snprintf(n->name, sizeof(n->name), "%s", name ? name : "");
		HASH_ADD(hh, s->job_names, key, sizeof(n->key), n);
	}
	state__unlock(s);
}

void state__expire(struct state *s, uint64_t now)
{
	struct runner *r, *rt;
	struct job *j;

	state__lock(s);
	state_pending_expire(s, now, 0);
	HASH_ITER(hh, s->runners, r, rt) {
		if (r->agents || r->jobs_running || !r->down_since || now < r->down_since ||
		    now - r->down_since < s->opts.grace_ns)
			continue;
		/* jobs that outlive their runner (leftover processes) stop pointing at it */
		for (j = s->jobs; j; j = j->hh.next) {
			if (j->runner != r)
				continue;
			j->runner = NULL;
			memset(&j->acct.runner, 0, sizeof(j->acct.runner));
			state_store_put(s, STATE_JOB_ACCT, &j->key, &j->acct);
		}
		pr_info("runner gone kind=%s runner=%s", kinds__name(r->kind), r->name);
		if (s->opts.labels)
			joblabels_drop(s->opts.labels, r);
		state_store_del(s, STATE_RUNNER_STATS, &r->rkey);
		HASH_DEL(s->runners, r);
		state_runner_free(r);
	}
	state__unlock(s);
}

void state__sync_names(struct state *s)
{
	state__lock(s);
	for (struct runner *r = s->runners; r; r = r->hh.next) {
		struct container_names n;

		if (r->ctr.id[0] && !containers__names_of(s->opts.containers, r->ctr.id, &n))
			r->names = n;
	}
	state__unlock(s);
}

static int rs_key_is_zero_user(const struct rs_key *k)
{
	return !k->tgid && !k->start_ns;
}

/* the store's tables at start-up: walks a table's keys, deleting as it goes when drop() says so */
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
	__u32 flags;

	if (!kinds__get((int)k->kind) || !memchr(k->name, 0, sizeof(k->name)))
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
	/* every counter as the runner's update left it, the flags of both */
	flags = acct.seen.flags | r->st.last_seen.flags;
	acct.seen = r->st.last_seen;
	acct.seen.flags = flags;
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
