// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "state.h"
#include "containers.h"
#include "cputime.h"
#include "eventlog.h"
#include "log.h"
#include "procfs.h"

/* a job whose steps never show their context is logged as started after this long */
#define CTX_WAIT_NS (5 * 1000000000ULL)

/* job_duration_seconds: 1 s … 6 h */
static const double duration_bounds[] = { 1,   5,    10,   30,	60,    120,   300,
					  600, 1200, 1800, 3600, 7200, 10800, 21600 };

/* job_max_rss_bytes: 16 MiB … 64 GiB */
static const double rss_bounds[] = { 16.0 * (1 << 20), 64.0 * (1 << 20), 256.0 * (1 << 20),
				     1.0 * (1 << 30),  4.0 * (1 << 30),	 16.0 * (1 << 30),
				     64.0 * (1 << 30) };

struct agent {
	UT_hash_handle hh;
	struct rs_key key;
	struct runner *runner;
};

struct state {
	pthread_mutex_t lock;
	struct state_opts opts;
	struct runner *runners;
	struct agent *agents;
	struct job *jobs;
	uint64_t generation; /* bumped by each reconcile pass, see state__expire */
};

uint64_t state_now_ns(int clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

double state_boot_to_wall(uint64_t boot_ns)
{
	int64_t off = (int64_t)state_now_ns(CLOCK_REALTIME) - (int64_t)state_now_ns(CLOCK_BOOTTIME);

	return (double)((int64_t)boot_ns + off) / 1e9;
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

static void runner_free(struct runner *r)
{
	for (int i = 0; i < RESULT_MAX; i++)
		histogram__free(r->duration[i]);
	histogram__free(r->max_rss);
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
	for (int i = 0; i < RESULT_MAX; i++) {
		r->duration[i] = histogram__new(duration_bounds,
						sizeof(duration_bounds) / sizeof(duration_bounds[0]));
		if (!r->duration[i]) {
			runner_free(r);
			return NULL;
		}
	}
	r->max_rss = histogram__new(rss_bounds, sizeof(rss_bounds) / sizeof(rss_bounds[0]));
	if (!r->max_rss) {
		runner_free(r);
		return NULL;
	}
	memcpy(r->hkey, hkey, sizeof(hkey));
	r->kind = kind;
	snprintf(r->name, sizeof(r->name), "%s", id->name);
	r->down_since = state_now_ns(CLOCK_MONOTONIC);
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
	return r;
}

int state__agent(struct state *s, const struct rs_key *key, const struct rs_agent *rec)
{
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
			a->runner = runner_get(s, rec->kind, &id);
			if (!a->runner) {
				free(a);
				state__unlock(s);
				return 0;
			}
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
			r->down_since = state_now_ns(CLOCK_MONOTONIC);
		pr_debug("agent exited pid=%u runner=%s status=%d", key->tgid, r->name,
			 rec->exit_code);
		HASH_DEL(s->agents, a);
		free(a);
	}
	state__unlock(s);
	return 1;
}

static struct runner *runner_of_job(struct state *s, const struct rs_key *key,
				    const struct rs_job *rec)
{
	struct identity id;
	struct agent *a;

	HASH_FIND(hh, s->agents, &rec->runner, sizeof(rec->runner), a);
	if (a)
		return a->runner;
	/* no agent known (it started before us and was not found, or it is gone): the job
	 * process names its runner the same way */
	state__unlock(s);
	identity_resolve((pid_t)key->tgid, rec->kind, &id);
	state__lock(s);
	return runner_get(s, rec->kind, &id);
}

/* adds what the job used since last time to its runner; counters only ever grow */
static void account(struct job *j, const struct rs_job *rec, const struct job_cpu *live)
{
	struct job_cpu t = { rec->run_ns, rec->utime_ns, rec->stime_ns };
	struct runner *r = j->runner;
	uint64_t user, sys;

	if (live) {
		t.run_ns += live->run_ns;
		t.utime_ns += live->utime_ns;
		t.stime_ns += live->stime_ns;
	}
	cputime_split(t.run_ns, t.utime_ns, t.stime_ns, &user, &sys);
	if (user > j->seen_user_ns) {
		if (r)
			r->cpu_user_ns += user - j->seen_user_ns;
		j->seen_user_ns = user;
	}
	if (sys > j->seen_sys_ns) {
		if (r)
			r->cpu_sys_ns += sys - j->seen_sys_ns;
		j->seen_sys_ns = sys;
	}
	if (rec->oom_kills > j->seen_oom) {
		if (r)
			r->oom_kills += rec->oom_kills - j->seen_oom;
		j->seen_oom = rec->oom_kills;
	}
}

int state__job(struct state *s, const struct rs_key *key, const struct rs_job *rec,
	       const struct job_cpu *live)
{
	struct job *j;
	int done = 0;

	state__lock(s);
	HASH_FIND(hh, s->jobs, key, sizeof(*key), j);
	if (!j) {
		struct runner *r = runner_of_job(s, key, rec);

		HASH_FIND(hh, s->jobs, key, sizeof(*key), j);
		if (!j) {
			if (!r) {
				state__unlock(s);
				return 0;
			}
			j = calloc(1, sizeof(*j));
			if (!j) {
				state__unlock(s);
				return 0;
			}
			j->key = *key;
			j->start_ns = key->start_ns;
			j->seen_mono_ns = state_now_ns(CLOCK_MONOTONIC);
			j->runner = r;
			HASH_ADD(hh, s->jobs, key, sizeof(j->key), j);
			r->jobs_started++;
			r->jobs_running++;
			pr_debug("job started pid=%u runner=%s", key->tgid, r->name);
		}
	}
	if (j->runner) {
		j->runner->job_procs -= j->live_procs;
		j->runner->job_procs += rec->live_procs;
	}
	j->live_procs = rec->live_procs;
	account(j, rec, live);
	if (!j->started_logged &&
	    (rec->state == RS_STATE_FINISHED ||
	     state_now_ns(CLOCK_MONOTONIC) - j->seen_mono_ns >= CTX_WAIT_NS)) {
		eventlog__job(s->opts.events, "job_started", j, NULL);
		j->started_logged = 1;
	}

	if (rec->state == RS_STATE_FINISHED && !j->finished) {
		const char *reason;
		enum job_result res = detect_job_result(rec->kind, rec->exit_code, &reason);
		uint64_t end = rec->end_ns > j->start_ns ? rec->end_ns : j->start_ns;

		j->finished = 1;
		if (j->runner) {
			struct runner *r = j->runner;

			r->jobs_running--;
			r->jobs_finished[res]++;
			histogram__observe(r->duration[res], (double)(end - j->start_ns) / 1e9);
			histogram__observe(r->max_rss, (double)rec->max_rss);
			pr_debug("job finished pid=%u runner=%s result=%s%s%s status=%d", key->tgid,
				 r->name, detect_result_name(res), reason[0] ? " reason=" : "", reason,
				 rec->exit_code);
		}
		eventlog__job(s->opts.events, "job_finished", j, rec);
	}
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

static const char *const ctx_keys[] = {
	"GITHUB_REPOSITORY", "GITHUB_WORKFLOW",	   "GITHUB_JOB",
	"GITHUB_RUN_ID",     "GITHUB_RUN_ATTEMPT", "RUNNER_TRACKING_ID",
};

int state__job_context(struct state *s, const struct rs_key *key, pid_t pid)
{
	char vals[6][NAME_LEN], *out[6];
	struct job_context ctx = {};
	struct job *j;
	int found;

	state__lock(s);
	HASH_FIND(hh, s->jobs, key, sizeof(*key), j);
	found = j ? j->have_ctx || j->finished : -1;
	state__unlock(s);
	/* a job not seen yet (its start event lost) is taken by the next pass: keep the hints */
	if (found)
		return found > 0;

	for (int i = 0; i < 6; i++)
		out[i] = vals[i];
	found = procfs_getenv_many(pid, ctx_keys, out, NAME_LEN, 6);
	if (found < 0 || !(found & (1 << 0 | 1 << 5)))
		return 0; /* gone already, or not a step: the next exec may be */
	expo_sanitize(ctx.repository, sizeof(ctx.repository), vals[0], strlen(vals[0]));
	expo_sanitize(ctx.workflow, sizeof(ctx.workflow), vals[1], strlen(vals[1]));
	expo_sanitize(ctx.job, sizeof(ctx.job), vals[2], strlen(vals[2]));
	expo_sanitize(ctx.run_id, sizeof(ctx.run_id), vals[3], strlen(vals[3]));
	expo_sanitize(ctx.run_attempt, sizeof(ctx.run_attempt), vals[4], strlen(vals[4]));
	expo_sanitize(ctx.tracking_id, sizeof(ctx.tracking_id), vals[5], strlen(vals[5]));

	state__lock(s);
	HASH_FIND(hh, s->jobs, key, sizeof(*key), j);
	if (j && !j->have_ctx) {
		j->ctx = ctx;
		j->have_ctx = 1;
		if (!j->started_logged) {
			eventlog__job(s->opts.events, "job_started", j, NULL);
			j->started_logged = 1;
		}
	}
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
		for (j = s->jobs; j; j = j->hh.next)
			if (j->runner == r)
				j->runner = NULL;
		pr_info("runner gone kind=%s runner=%s", detect_kind_name(r->kind), r->name);
		HASH_DEL(s->runners, r);
		runner_free(r);
	}
	state__unlock(s);
}
