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

_Static_assert(RESULT_MAX == RS_RESULTS, "results in the pinned counters");

/* job_duration_seconds: 1 s … 6 h */
const double state_duration_bounds[RS_DURATION_BUCKETS - 1] = { 1,   5,    10,   30,	60,    120,   300,
					  600, 1200, 1800, 3600, 7200, 10800, 21600 };

/* job_max_rss_bytes: 16 MiB … 64 GiB */
const double state_rss_bounds[RS_RSS_BUCKETS - 1] = { 16.0 * (1 << 20), 64.0 * (1 << 20), 256.0 * (1 << 20),
				     1.0 * (1 << 30),  4.0 * (1 << 30),	 16.0 * (1 << 30),
				     64.0 * (1 << 30) };

struct state *state__new(const struct state_opts *opts)
{
	struct state *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->opts = *opts;
	return s;
}

struct joblabels *state__labels(struct state *s)
{
	return s->opts.labels;
}

void state_runner_free(struct runner *r)
{
	free(r);
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
	state__name_job(s, NULL, 0, NULL);
	state_pending_expire(s, 0, 1);
	pthread_mutex_destroy(&s->lock);
	free(s);
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


struct runner *state_runner_get(struct state *s, int kind, const struct identity *ident)
{
	char hkey[sizeof(((struct runner *)0)->hkey)];
	struct container_names names;
	struct identity copy = *ident, *id = &copy;
	struct runner *r;

	containers__names(s->opts.containers, &id->ctr, &id->cg, &names);
	/* DESIGN's order: .runner, RUNNER_NAME, the pod, the container, then the hostname */
	if (!strcmp(id->name_source, "hostname") || !strcmp(id->name_source, "unknown")) {
		if (names.pod[0]) {
			memcpy(id->name, names.pod, sizeof(id->name));
			id->name_source = "pod";
		} else if (names.name[0]) {
			memcpy(id->name, names.name, sizeof(id->name));
			id->name_source = "container";
		}
	}

	snprintf(hkey, sizeof(hkey), "%d/%s", kind, id->name);
	HASH_FIND_STR(s->runners, hkey, r);
	if (r)
		goto update;
	r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	memcpy(r->hkey, hkey, sizeof(hkey));
	r->kind = kind;
	snprintf(r->name, sizeof(r->name), "%s", id->name);
	r->rkey.kind = (__u32)kind;
	memcpy(r->rkey.name, r->name, sizeof(r->rkey.name));
	/* counters an earlier daemon left for it */
	state_store_get(s, STATE_RUNNER_STATS, &r->rkey, &r->st);
	r->down_since = clock_ns(CLOCK_MONOTONIC);
	/* with job labels: what the counters held before this daemon has no labels */
	if (s->opts.labels) {
		static const char *const none[JL_MAX] = { "", "", "" };
		struct jl_series *b = joblabels_series(s->opts.labels, r, none);

		if (b) {
			b->started = r->st.jobs_started;
			memcpy(b->finished, r->st.jobs_finished, sizeof(b->finished));
		}
	}
	HASH_ADD_STR(s->runners, hkey, r);
	pr_info("new runner kind=%s runner=%s source=%s container=%s", detect_kind_name(kind),
		r->name, id->name_source, id->ctr.id[0] ? id->ctr.id : "none");
update:
	/* the newest agent's view wins: a runner can move to another container */
	if (id->ctr.id[0]) {
		r->ctr = id->ctr;
		r->names = names;
		containers__set_runner(s->opts.containers, id->ctr.id, kind, r->name);
	}
	if (id->version[0])
		memcpy(r->version, id->version, sizeof(r->version));
	if (id->token[0])
		memcpy(r->token, id->token, sizeof(r->token));
	if (id->docker_label[0])
		memcpy(r->docker_label, id->docker_label, sizeof(r->docker_label));
	if (id->capacity > 0)
		r->capacity = id->capacity;
	return r;
}

/* a runner by the key an earlier daemon recorded; id, when given, is its live process's */
struct runner *state_runner_by_key(struct state *s, const struct rs_runner_key *k,
				    const struct identity *live)
{
	struct identity id = {};

	if (live)
		id = *live;
	memcpy(id.name, k->name, sizeof(id.name));
	id.name[sizeof(id.name) - 1] = '\0';
	id.name_source = "pinned";
	return state_runner_get(s, (int)k->kind, &id);
}

int state__agent(struct state *s, const struct rs_key *key, const struct rs_agent *rec)
{
	struct rs_runner_key bound;
	struct agent *a;
	struct identity id;

	state__lock(s);
	HASH_FIND(hh, s->agents, key, sizeof(*key), a);
	if (!a && rec->state == RS_STATE_RUNNING) {
		/*
		 * name it while the process is there to read. The lock is dropped for that: reading
		 * /proc and the runner's files may block, and a scrape must not wait on it. The
		 * intake calls this under its own lock, one record at a time, so nobody else adds
		 * this agent meanwhile; it is looked up again all the same, and no pointer taken
		 * before the drop is used after it.
		 */
		state__unlock(s);
		identity_resolve((pid_t)key->tgid, rec->kind, &id);
		state__lock(s);
		HASH_FIND(hh, s->agents, key, sizeof(*key), a);
		if (!a) {
			a = calloc(1, sizeof(*a));
			if (!a) {
				state__unlock(s);
				return 0;
			}
			a->key = *key;
			/* the name an earlier daemon gave it stays, so its counters stay too */
			if (!state_store_get(s, STATE_AGENT_ACCT, key, &bound) && bound.kind)
				a->runner = state_runner_by_key(s, &bound, &id);
			else
				a->runner = state_runner_get(s, rec->kind, &id);
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
			pr_debug("agent started pid=%u runner=%s", key->tgid, a->runner->name);
		}
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

/* GitLab short tokens, as labels keep them or as container names do: lowercased, no '_' */
static int token_eq(const char *a, const char *b)
{
	for (;;) {
		while (*a == '_')
			a++;
		while (*b == '_')
			b++;
		if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
			return 0;
		if (!*a)
			return 1;
		a++;
		b++;
	}
}

int state__pick_agent(struct state *s, int kind, const char *name, const char *token,
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
		    (token && token[0] && r->token[0] && token_eq(r->token, token)))
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

/* the runner of a Gitea or GitLab job no agent is known for: the one it names, or "unknown" */
struct runner *state_job_runner(struct state *s, int kind, const char *name)
{
	struct identity id = {};

	snprintf(id.name, sizeof(id.name), "%s", name && name[0] ? name : "unknown");
	id.name_source = "job";
	return state_runner_get(s, kind, &id);
}

void state__job_container(struct state *s, const struct rs_key *agent, int kind,
			  const char *name, const struct container_ref *ref,
			  const struct cgroup_paths *paths, const struct rs_key *job,
			  const char *role)
{
	struct container_names names;
	char runner[NAME_LEN] = "";
	struct runner *r;
	struct agent *a;

	state__lock(s);
	HASH_FIND(hh, s->agents, agent, sizeof(*agent), a);
	r = a ? a->runner : state_job_runner(s, kind, name);
	/* its name, not the runner: that may expire once the lock is let go */
	if (r)
		memcpy(runner, r->name, sizeof(runner));
	state__unlock(s);
	if (!runner[0])
		return;
	containers__names(s->opts.containers, ref, paths, &names);
	containers__set_job(s->opts.containers, ref->id, kind, runner, role);
	state_job_add_container(s, job, ref->id, role);
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
		pr_info("runner gone kind=%s runner=%s", detect_kind_name(r->kind), r->name);
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
