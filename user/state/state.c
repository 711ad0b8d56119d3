// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "lib/bucket.h"
#include "lib/clock.h"
#include "state/state.h"
#include "enrich/containers.h"
#include "lib/cputime.h"
#include "expo/eventlog.h"
#include "lib/log.h"
#include "lib/utf8.h"
#include "enrich/procfs.h"

/* a job whose steps never show their context is logged as started after this long */
#define CTX_WAIT_NS (5 * 1000000000ULL)

_Static_assert(RESULT_MAX == RS_RESULTS, "results in the pinned counters");

/* job_duration_seconds: 1 s … 6 h */
const double state_duration_bounds[RS_DURATION_BUCKETS - 1] = { 1,   5,    10,   30,	60,    120,   300,
					  600, 1200, 1800, 3600, 7200, 10800, 21600 };

/* job_max_rss_bytes: 16 MiB … 64 GiB */
const double state_rss_bounds[RS_RSS_BUCKETS - 1] = { 16.0 * (1 << 20), 64.0 * (1 << 20), 256.0 * (1 << 20),
				     1.0 * (1 << 30),  4.0 * (1 << 30),	 16.0 * (1 << 30),
				     64.0 * (1 << 30) };

struct agent {
	UT_hash_handle hh;
	struct rs_key key;
	struct runner *runner;
};

/* the runner a job of several processes names, for when no agent of its runner is known */
struct job_name {
	UT_hash_handle hh;
	struct rs_key key;
	int kind;
	char name[NAME_LEN];
};

struct state {
	pthread_mutex_t lock;
	struct job_name *job_names;
	struct state_opts opts;
	struct runner *runners;
	struct agent *agents;
	struct job *jobs;
	const struct state_store_ops *store; /* NULL: counters kept in memory only */
	void *store_ctx;
	int store_failed; /* a write to the pinned maps failed: said once */
	struct job_record recent[STATE_RECENT_JOBS]; /* a ring: recent_n in all, newest last */
	unsigned int recent_n;
};

/*
 * The counters are updated one job at a time, in two map writes: the runner's counters with
 * the job's new state as their last_job/last_seen, then the job's job_acct. A daemon killed
 * between the two leaves a job_acct behind its runner's last_seen, which set_store repairs:
 * nothing is counted twice or lost, whenever the daemon dies.
 */
static int store_get(struct state *s, enum state_table t, const void *key, void *val)
{
	return s->store ? s->store->lookup(s->store_ctx, t, key, val) : -EBADF;
}

static void store_put(struct state *s, enum state_table t, const void *key, const void *val)
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

static void store_del(struct state *s, enum state_table t, const void *key)
{
	if (s->store)
		s->store->remove(s->store_ctx, t, key);
}

static void commit(struct state *s, struct job *j)
{
	struct runner *r = j->runner;

	if (r) {
		r->st.last_job = j->key;
		r->st.last_seen = j->acct.seen;
		store_put(s, STATE_RUNNER_STATS, &r->rkey, &r->st);
	}
	store_put(s, STATE_JOB_ACCT, &j->key, &j->acct);
}

struct state *state__new(const struct state_opts *opts)
{
	struct state *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	pthread_mutex_init(&s->lock, NULL);
	s->opts = *opts;
	return s;
}

/* the job's counts by label value, with its context as it is now */
static struct jl_series *job_series(struct state *s, const struct job *j)
{
	struct joblabels *jl = s->opts.labels;
	const char *vals[JL_MAX];

	if (!jl || !j->runner)
		return NULL;
	vals[JL_REPOSITORY] = joblabels_value(jl, JL_REPOSITORY, j->ctx.repository);
	vals[JL_WORKFLOW] = joblabels_value(jl, JL_WORKFLOW, j->ctx.workflow);
	vals[JL_JOB] = joblabels_value(jl, JL_JOB, j->ctx.job);
	return joblabels_series(jl, j->runner, vals);
}

/* the job's start goes into its labelled count once its context is known (or given up on) */
/* the job as its readers are told it; rec: its kernel record, once it has finished */
static void job_record(const struct job *j, const struct rs_job *rec, struct job_record *out)
{
	const struct runner *r = j->runner;

	memset(out, 0, sizeof(*out));
	if (r) {
		out->has_runner = 1;
		out->kind = r->kind;
		memcpy(out->runner, r->name, sizeof(out->runner));
		memcpy(out->container_id, r->ctr.id, sizeof(out->container_id));
		memcpy(out->container, r->names.name, sizeof(out->container));
		memcpy(out->pod, r->names.pod, sizeof(out->pod));
		memcpy(out->ns, r->names.ns, sizeof(out->ns));
	}
	out->ctx = j->ctx;
	out->have_ctx = j->have_ctx;
	out->pid = j->key.tgid;
	out->start_ns = j->start_ns;
	if (!rec)
		return;
	out->finished = 1;
	out->end_ns = rec->end_ns > j->start_ns ? rec->end_ns : j->start_ns;
	out->result = (int)detect_job_result(rec->kind, rec->exit_code, &out->reason);
	out->exit_code = rec->exit_code;
	out->cpu_user_ns = j->acct.seen.cpu_user_ns;
	out->cpu_system_ns = j->acct.seen.cpu_system_ns;
	out->max_rss = rec->max_rss;
	out->oom_kills = rec->oom_kills;
	out->processes = rec->total_procs;
}

/* a job_started (rec NULL) or job_finished line in the event log; a finished job is kept
 * for the status page too */
static void publish_job(struct state *s, const struct job *j, const struct rs_job *rec)
{
	struct job_record r;

	if (!s->opts.events && !rec)
		return;
	job_record(j, rec, &r);
	eventlog__job(s->opts.events, &r);
	if (rec)
		s->recent[s->recent_n++ % STATE_RECENT_JOBS] = r;
}

static void started_logged(struct state *s, struct job *j)
{
	struct jl_series *x;

	j->started_logged = 1;
	j->acct.seen.flags |= RS_ACCT_LOGGED;
	if (j->counted_started && (x = job_series(s, j)))
		x->started++;
}

struct joblabels *state__labels(struct state *s)
{
	return s->opts.labels;
}

static void runner_free(struct runner *r)
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
		runner_free(r);
	}
	state__name_job(s, NULL, 0, NULL);
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


static struct runner *runner_get(struct state *s, int kind, const struct identity *ident)
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
	store_get(s, STATE_RUNNER_STATS, &r->rkey, &r->st);
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
	return r;
}

/* a runner by the key an earlier daemon recorded; id, when given, is its live process's */
static struct runner *runner_by_key(struct state *s, const struct rs_runner_key *k,
				    const struct identity *live)
{
	struct identity id = {};

	if (live)
		id = *live;
	memcpy(id.name, k->name, sizeof(id.name));
	id.name[sizeof(id.name) - 1] = '\0';
	id.name_source = "pinned";
	return runner_get(s, (int)k->kind, &id);
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
			store_del(s, t, key);
	}
}

/* surely not in the table: a store without it says nothing */
static int absent(struct state *s, enum state_table t, const void *key)
{
	char val[sizeof(struct rs_job)];

	return store_get(s, t, key, val) == -ENOENT;
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
	r = runner_by_key(s, k, NULL);
	if (!r || rs_key_is_zero_user(&r->st.last_job))
		return 0;
	if (!store_get(s, STATE_JOB_ACCT, &r->st.last_job, &acct)) {
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
	store_put(s, STATE_JOB_ACCT, &r->st.last_job, &acct);
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

int state__agent(struct state *s, const struct rs_key *key, const struct rs_agent *rec)
{
	struct rs_runner_key bound;
	struct agent *a;
	struct identity id;

	state__lock(s);
	HASH_FIND(hh, s->agents, key, sizeof(*key), a);
	if (!a && rec->state == RS_STATE_RUNNING) {
		/* name it while the process is there to read */
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
			if (!store_get(s, STATE_AGENT_ACCT, key, &bound) && bound.kind)
				a->runner = runner_by_key(s, &bound, &id);
			else
				a->runner = runner_get(s, rec->kind, &id);
			if (!a->runner) {
				free(a);
				state__unlock(s);
				return 0;
			}
			store_put(s, STATE_AGENT_ACCT, key, &a->runner->rkey);
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
	store_del(s, STATE_AGENT_ACCT, key);
}

int state__has_job(struct state *s, const struct rs_key *key)
{
	struct job *j;

	state__lock(s);
	HASH_FIND(hh, s->jobs, key, sizeof(*key), j);
	state__unlock(s);
	return j != NULL;
}

void state__forget_job(struct state *s, const struct rs_key *key)
{
	store_del(s, STATE_JOB_ACCT, key);
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
static struct runner *job_runner(struct state *s, int kind, const char *name)
{
	struct identity id = {};

	snprintf(id.name, sizeof(id.name), "%s", name && name[0] ? name : "unknown");
	id.name_source = "job";
	return runner_get(s, kind, &id);
}

void state__job_container(struct state *s, const struct rs_key *agent, int kind,
			  const char *name, pid_t pid)
{
	struct container_names names;
	struct identity id = {};
	struct runner *r = NULL;
	struct agent *a;
	char buf[4096];
	size_t len;

	if (procfs_read(pid, "cgroup", buf, sizeof(buf), &len) ||
	    !cgroup_file_container(buf, len, &id.ctr))
		return;
	cgroupfs_paths(buf, len, &id.cg);
	state__lock(s);
	HASH_FIND(hh, s->agents, agent, sizeof(*agent), a);
	r = a ? a->runner : job_runner(s, kind, name);
	state__unlock(s);
	if (!r)
		return;
	containers__names(s->opts.containers, &id.ctr, &id.cg, &names);
	containers__set_runner(s->opts.containers, id.ctr.id, kind, r->name);
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

static struct runner *runner_of_job(struct state *s, const struct rs_key *key,
				    const struct rs_job *rec)
{
	struct rs_runner_key bound;
	struct identity id;
	struct agent *a;

	HASH_FIND(hh, s->agents, &rec->runner, sizeof(rec->runner), a);
	if (a)
		return a->runner;
	/* a job of several processes with no agent: the runner it names, or "unknown" */
	if (key->tgid == 0) {
		struct job_name *n;
		struct runner *r;

		HASH_FIND(hh, s->job_names, key, sizeof(*key), n);
		r = job_runner(s, rec->kind, n ? n->name : NULL);
		if (n) {
			HASH_DEL(s->job_names, n);
			free(n);
		}
		return r;
	}
	/* an agent that ended while no daemon ran: named by what the last daemon recorded */
	if (!store_get(s, STATE_AGENT_ACCT, &rec->runner, &bound) && bound.kind)
		return runner_by_key(s, &bound, NULL);
	/* no agent known (it started before us and was not found, or it is gone): the job
	 * process names its runner the same way */
	state__unlock(s);
	identity_resolve((pid_t)key->tgid, rec->kind, &id);
	state__lock(s);
	return runner_get(s, rec->kind, &id);
}

/* adds what the job used since last time to its runner; counters only ever grow */
static int account(struct job *j, const struct rs_job *rec, const struct job_cpu *live)
{
	struct job_cpu t = { rec->run_ns, rec->utime_ns, rec->stime_ns };
	struct rs_job_seen *seen = &j->acct.seen;
	struct runner *r = j->runner;
	uint64_t user, sys;
	int changed = 0;

	if (live) {
		t.run_ns += live->run_ns;
		t.utime_ns += live->utime_ns;
		t.stime_ns += live->stime_ns;
	}
	cputime_split(t.run_ns, t.utime_ns, t.stime_ns, &user, &sys);
	if (user > seen->cpu_user_ns) {
		if (r)
			r->st.cpu_user_ns += user - seen->cpu_user_ns;
		seen->cpu_user_ns = user;
		changed = 1;
	}
	if (sys > seen->cpu_system_ns) {
		if (r)
			r->st.cpu_system_ns += sys - seen->cpu_system_ns;
		seen->cpu_system_ns = sys;
		changed = 1;
	}
	if (rec->oom_kills > seen->oom_kills) {
		if (r)
			r->st.oom_kills += rec->oom_kills - seen->oom_kills;
		seen->oom_kills = rec->oom_kills;
		changed = 1;
	}
	return changed;
}

/* under the lock: the job's context, once; its start is logged with it. 1 when that changed
 * the job's accounting, which the caller then stores */
static int set_context(struct state *s, struct job *j, const struct job_context *ctx)
{
	if (j->have_ctx)
		return 0;
	j->ctx = *ctx;
	j->have_ctx = 1;
	if (j->started_logged)
		return 0;
	publish_job(s, j, NULL);
	started_logged(s, j);
	return 1;
}

/* the runner's oldest running job, after one of its jobs finished */
static void oldest_job(struct state *s, struct runner *r)
{
	r->oldest_job_ns = 0;
	for (struct job *j = s->jobs; j; j = j->hh.next)
		if (j->runner == r && !j->finished &&
		    (!r->oldest_job_ns || j->start_ns < r->oldest_job_ns))
			r->oldest_job_ns = j->start_ns;
}

/* a job this daemon has not seen: its runner, and what an earlier daemon counted of it */
static struct job *job_new(struct state *s, const struct rs_key *key, const struct rs_job *rec)
{
	struct rs_job_acct acct;
	struct runner *r;
	struct job *j;
	int known = !store_get(s, STATE_JOB_ACCT, key, &acct);

	if (known)
		r = acct.runner.kind ? runner_by_key(s, &acct.runner, NULL) : NULL;
	else
		r = runner_of_job(s, key, rec);
	HASH_FIND(hh, s->jobs, key, sizeof(*key), j);
	if (j)
		return j;
	if (!r && !known)
		return NULL;
	j = calloc(1, sizeof(*j));
	if (!j)
		return NULL;
	j->key = *key;
	j->start_ns = key->start_ns;
	j->seen_mono_ns = clock_ns(CLOCK_MONOTONIC);
	j->runner = r;
	if (known) {
		j->acct = acct;
		j->started_logged = !!(acct.seen.flags & RS_ACCT_LOGGED);
		j->finished = !!(acct.seen.flags & RS_ACCT_FINISHED);
	} else if (r) {
		j->acct.runner = r->rkey;
	}
	HASH_ADD(hh, s->jobs, key, sizeof(j->key), j);
	if (r && !j->finished) {
		r->jobs_running++;
		if (!r->oldest_job_ns || j->start_ns < r->oldest_job_ns)
			r->oldest_job_ns = j->start_ns;
	}
	if (r && !(j->acct.seen.flags & RS_ACCT_STARTED)) {
		r->st.jobs_started++;
		j->counted_started = 1;
		j->acct.seen.flags |= RS_ACCT_STARTED;
	}
	/* its context is read again from its next step: arm the hints */
	if (!j->finished && known) {
		__u32 hints = RS_CTX_HINTS;

		if (s->store)
			s->store->update(s->store_ctx, STATE_CTX, key, &hints);
	}
	pr_debug("job %s pid=%u runner=%s", known ? "adopted" : "started", key->tgid,
		 r ? r->name : "none");
	return j;
}

int state__job(struct state *s, const struct rs_key *key, const struct rs_job *rec,
	       const struct job_cpu *live, const struct job_context *ctx)
{
	struct rs_job_seen before;
	struct job *j;
	int done = 0;

	state__lock(s);
	HASH_FIND(hh, s->jobs, key, sizeof(*key), j);
	if (!j) {
		j = job_new(s, key, rec);
		if (!j) {
			state__unlock(s);
			return 0;
		}
		before = (struct rs_job_seen){ .flags = j->acct.seen.flags ^ RS_ACCT_STARTED };
	} else {
		before = j->acct.seen;
	}
	if (j->runner) {
		j->runner->job_procs -= j->live_procs;
		j->runner->job_procs += rec->live_procs;
	}
	j->live_procs = rec->live_procs;
	account(j, rec, live);
	/* stored below with the rest of what changed (commit()) */
	if (ctx && !j->finished)
		set_context(s, j, ctx);
	if (!j->started_logged &&
	    (rec->state == RS_STATE_FINISHED ||
	     clock_ns(CLOCK_MONOTONIC) - j->seen_mono_ns >= CTX_WAIT_NS)) {
		publish_job(s, j, NULL);
		started_logged(s, j);
	}

	if (rec->state == RS_STATE_FINISHED && !j->finished) {
		const char *reason;
		enum job_result res = detect_job_result(rec->kind, rec->exit_code, &reason);
		uint64_t end = rec->end_ns > j->start_ns ? rec->end_ns : j->start_ns;

		j->finished = 1;
		j->acct.seen.flags |= RS_ACCT_FINISHED;
		if (j->runner) {
			struct runner *r = j->runner;
			struct rs_runner_stats *st = &r->st;
			struct jl_series *x;

			r->jobs_running--;
			oldest_job(s, r);
			st->jobs_finished[res]++;
			if ((x = job_series(s, j)))
				x->finished[res]++;
			st->duration_ns_sum[res] += end - j->start_ns;
			st->duration_buckets[res][bucket_index(
				state_duration_bounds, RS_DURATION_BUCKETS - 1,
				(double)(end - j->start_ns) / 1e9)]++;
			st->max_rss_sum += rec->max_rss;
			st->max_rss_buckets[bucket_index(state_rss_bounds, RS_RSS_BUCKETS - 1,
							    (double)rec->max_rss)]++;
			pr_debug("job finished pid=%u runner=%s result=%s%s%s status=%d", key->tgid,
				 r->name, detect_result_name(res), reason[0] ? " reason=" : "", reason,
				 rec->exit_code);
		}
		publish_job(s, j, rec);
	}
	/* one update of the runner's counters per job and pass, see commit() */
	if (memcmp(&before, &j->acct.seen, sizeof(before)))
		commit(s, j);
	/* the record goes once the job has ended and nothing of it is left alive */
	if (j->finished && rec->live_procs == 0) {
		if (j->runner)
			j->runner->job_procs -= j->live_procs;
		HASH_DEL(s->jobs, j);
		free(j);
		done = 1;
	}
	state__unlock(s);
	return done;
}

/*
 * A job's context from its steps' environment, six fields each from the first of its runner's
 * variables that is set: GitHub and Gitea (GITHUB_*), GitLab (CI_*), Buildkite (BUILDKITE_*).
 * The last field tells steps of one job from other processes.
 */
#define CTX_ALTS 3
static const char *const ctx_keys[6][CTX_ALTS] = {
	{ "GITHUB_REPOSITORY", "CI_PROJECT_PATH", "BUILDKITE_PIPELINE_SLUG" },
	{ "GITHUB_WORKFLOW", "CI_PIPELINE_NAME", "BUILDKITE_PIPELINE_NAME" },
	{ "GITHUB_JOB", "CI_JOB_NAME", "BUILDKITE_LABEL" },
	{ "GITHUB_RUN_ID", "CI_PIPELINE_ID", "BUILDKITE_BUILD_NUMBER" },
	{ "GITHUB_RUN_ATTEMPT", NULL, "BUILDKITE_RETRY_COUNT" },
	{ "RUNNER_TRACKING_ID", "CI_JOB_ID", "BUILDKITE_JOB_ID" },
};

/* a job's context from a process's environment, or from env[0..len) when env is set: 1 when it
 * names a job, 0 when not, -errno when the process could not be read */
int state_context_read(struct job_context *ctx, pid_t pid, const char *env, size_t len)
{
	char raw[6 * CTX_ALTS][NAME_LEN], *out[6 * CTX_ALTS], vals[6][NAME_LEN];
	const char *keys[6 * CTX_ALTS];
	int found, n = 0, slot[6 * CTX_ALTS];

	for (int f = 0; f < 6; f++) {
		vals[f][0] = '\0';
		for (int a = 0; a < CTX_ALTS; a++) {
			if (!ctx_keys[f][a])
				continue;
			keys[n] = ctx_keys[f][a];
			out[n] = raw[n];
			slot[n++] = f;
		}
	}
	found = env ? environ_getenv_many(env, len, keys, out, NAME_LEN, n)
		    : procfs_getenv_many(pid, keys, out, NAME_LEN, n);
	if (found < 0)
		return found;
	for (int i = n - 1; i >= 0; i--)
		if (found & (1 << i))
			memcpy(vals[slot[i]], raw[i], NAME_LEN);
	if (!vals[0][0] && !vals[5][0])
		return 0;
	memset(ctx, 0, sizeof(*ctx));
	utf8_sanitize(ctx->repository, sizeof(ctx->repository), vals[0], strlen(vals[0]));
	utf8_sanitize(ctx->workflow, sizeof(ctx->workflow), vals[1], strlen(vals[1]));
	utf8_sanitize(ctx->job, sizeof(ctx->job), vals[2], strlen(vals[2]));
	utf8_sanitize(ctx->run_id, sizeof(ctx->run_id), vals[3], strlen(vals[3]));
	utf8_sanitize(ctx->run_attempt, sizeof(ctx->run_attempt), vals[4], strlen(vals[4]));
	utf8_sanitize(ctx->tracking_id, sizeof(ctx->tracking_id), vals[5], strlen(vals[5]));
	return 1;
}

int state__job_context(struct state *s, const struct rs_key *key, pid_t pid)
{
	struct job_context ctx;
	struct job *j;
	int found;

	state__lock(s);
	HASH_FIND(hh, s->jobs, key, sizeof(*key), j);
	found = j ? j->have_ctx || j->finished : -1;
	state__unlock(s);
	/* a job not seen yet (its start event lost) is taken by the next pass: keep the hints */
	if (found)
		return found > 0;

	found = state_context_read(&ctx, pid, NULL, 0);
	if (found <= 0)
		return 0; /* gone already, or not a step: the next exec may say */
	state__lock(s);
	HASH_FIND(hh, s->jobs, key, sizeof(*key), j);
	if (j && set_context(s, j, &ctx))
		store_put(s, STATE_JOB_ACCT, &j->key, &j->acct);
	state__unlock(s);
	return 1;
}

void state__expire(struct state *s, uint64_t now)
{
	struct runner *r, *rt;
	struct job *j;

	state__lock(s);
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
			store_put(s, STATE_JOB_ACCT, &j->key, &j->acct);
		}
		pr_info("runner gone kind=%s runner=%s", detect_kind_name(r->kind), r->name);
		if (s->opts.labels)
			joblabels_drop(s->opts.labels, r);
		store_del(s, STATE_RUNNER_STATS, &r->rkey);
		HASH_DEL(s->runners, r);
		runner_free(r);
	}
	state__unlock(s);
}
