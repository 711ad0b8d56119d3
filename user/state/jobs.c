// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Jobs: made from the kernel's records, their CPU and memory accounted once, their result,
 * their context from the steps' environment, and each published when it starts and ends
 */
#include <errno.h>
#include "lib/bucket.h"
#include "lib/clock.h"
#include "lib/cputime.h"
#include "lib/log.h"
#include "state/state_priv.h"

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

/* the result of a finished job, and why it did not succeed */
static enum job_result outcome(const struct state *s, const struct job *j,
			       const struct rs_job *rec, enum job_reason *why)
{
	return detect__job_outcome(rec->kind, rec->exit_code, rec->oom_kills,
				  state_disk_full(s, j->runner), why);
}

/* the job's start goes into its labelled count once its context is known (or given up on) */

/* the job as its readers are told it; rec: its kernel record, once it has finished */
static void job_record(struct state *s, const struct job *j, const struct rs_job *rec,
		       struct job_record *out)
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
	{
		enum job_reason why;

		out->result = (int)outcome(s, j, rec, &why);
		out->reason = detect__reason_name(why);
	}
	out->exit_code = rec->exit_code;
	out->cpu_user_ns = j->acct.seen.cpu_user_ns;
	out->cpu_system_ns = j->acct.seen.cpu_system_ns;
	out->max_rss = rec->max_rss;
	out->io_read_bytes = j->acct.seen.io_read_bytes;
	out->io_write_bytes = j->acct.seen.io_write_bytes;
	out->has_wait = s->opts.cpu_wait;
	out->cpu_wait_ns = j->acct.seen.cpu_wait_ns;
	out->stall_have = j->stall_have;
	out->cpu_throttled_ns = j->cpu_throttled_ns;
	out->mem_stall_ns = j->mem_stall_ns;
	/* for a job that waited for a CPU (or whose wait the kernel does not keep) */
	if (!s->opts.cpu_wait || j->acct.seen.cpu_wait_ns)
		out->nneighbours = state_nb_record(s, j, out->neighbours,
						   JOB_NEIGHBOURS_MAX);
	out->oom_kills = rec->oom_kills;
	out->processes = rec->total_procs;
}

/* the containers of a finished job, with what their cgroups said last */
static void record_containers(struct state *s, const struct job *j, struct job_record *out)
{
	for (int i = 0; i < j->ncontainers; i++) {
		struct job_record_container *c = &out->containers[out->ncontainers++];
		struct container_usage u;

		memcpy(c->id, j->containers[i].id, sizeof(c->id));
		memcpy(c->role, j->containers[i].role, sizeof(c->role));
		if (containers__usage(s->opts.containers, c->id, &u))
			continue;
		memcpy(c->name, u.names.name, sizeof(c->name));
		memcpy(c->image, u.names.image, sizeof(c->image));
		c->cpu_user_ns = u.cpu_user_ns;
		c->cpu_system_ns = u.cpu_system_ns;
		c->mem_peak = u.mem_peak;
	}
}

/*
 * At its end: what its containers' files said of CFS quota throttling and memory stall. The
 * containers are made for the job (its job, service and action containers), so what they say
 * since they were made is the job's.
 */
static void job_stalls(struct state *s, struct job *j)
{
	j->stall_have = 0;
	j->cpu_throttled_ns = j->mem_stall_ns = 0;
	for (int i = 0; i < j->ncontainers; i++) {
		struct container_usage u;

		if (containers__usage(s->opts.containers, j->containers[i].id, &u))
			continue;
		if (u.have & CG_THROTTLE) {
			j->stall_have |= RS_STALL_THROTTLE;
			j->cpu_throttled_ns += u.throttled_ns;
		}
		if (u.have & CG_PSI_MEMORY) {
			j->stall_have |= RS_STALL_MEMORY;
			j->mem_stall_ns += u.mem_stall_ns;
		}
	}
}

/* id into a job's list of containers, once; 0, or -ENOSPC past JOB_CONTAINERS_MAX */
static int add_ctr(struct job_ctr *list, int *n, const char *id, const char *role)
{
	for (int i = 0; i < *n; i++)
		if (!strcmp(list[i].id, id))
			return 0;
	if (*n == JOB_CONTAINERS_MAX)
		return -ENOSPC;
	snprintf(list[*n].id, sizeof(list[*n].id), "%s", id);
	snprintf(list[*n].role, sizeof(list[*n].role), "%s", role);
	(*n)++;
	return 0;
}

void state_job_add_container(struct state *s, const struct rs_key *job, const char *id,
			     const char *role)
{
	struct pending_ctrs *pc;
	struct job *j;

	state__lock(s);
	HASH_FIND(hh, s->jobs, job, sizeof(*job), j);
	if (j) {
		if (!j->finished)
			add_ctr(j->containers, &j->ncontainers, id, role);
		state__unlock(s);
		return;
	}
	/* a job of several processes the state reads at the next pass */
	HASH_FIND(hh, s->pending, job, sizeof(*job), pc);
	if (!pc && (pc = calloc(1, sizeof(*pc)))) {
		pc->key = *job;
		pc->made_ns = clock_ns(CLOCK_MONOTONIC);
		HASH_ADD(hh, s->pending, key, sizeof(pc->key), pc);
	}
	if (pc)
		add_ctr(pc->c, &pc->n, id, role);
	state__unlock(s);
}

void state_pending_expire(struct state *s, uint64_t now, int all)
{
	struct pending_ctrs *pc, *t;

	HASH_ITER(hh, s->pending, pc, t) {
		if (all || (now >= pc->made_ns && now - pc->made_ns >= PENDING_NS)) {
			HASH_DEL(s->pending, pc);
			free(pc);
		}
	}
}

/* a job started (rec NULL) or finished, to the subscriber; a finished job is kept for the
 * status page too */
void state_publish_job(struct state *s, const struct job *j, const struct rs_job *rec)
{
	struct job_record r;

	if (!s->opts.on_job && !rec)
		return;
	job_record(s, j, rec, &r);
	if (rec)
		record_containers(s, j, &r);
	if (s->opts.on_job)
		s->opts.on_job(s->opts.on_job_ctx, &r);
	if (rec)
		state_keep_recent(s, &r);
}

static void started_logged(struct state *s, struct job *j)
{
	struct jl_series *x;

	j->started_logged = 1;
	j->acct.seen.flags |= RS_ACCT_LOGGED;
	if (j->counted_started && (x = job_series(s, j)))
		x->started++;
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
	state_store_del(s, STATE_JOB_ACCT, key);
}

static struct runner *runner_of_job(struct state *s, const struct rs_key *key,
				    const struct rs_job *rec, struct state_named *named)
{
	struct identity id = { .name = "unknown", .name_source = "unknown" };
	struct rs_runner_key bound;
	struct runner *r;
	struct agent *a;

	HASH_FIND(hh, s->agents, &rec->runner, sizeof(rec->runner), a);
	if (a)
		return a->runner;
	/* a job of several processes with no agent: the runner it names, or "unknown" */
	if (key->tgid == 0) {
		struct job_name *n;
		struct runner *r;

		HASH_FIND(hh, s->job_names, key, sizeof(*key), n);
		r = state_job_runner(s, rec->kind, n ? n->name : NULL);
		if (n) {
			HASH_DEL(s->job_names, n);
			free(n);
		}
		return r;
	}
	/* an agent that ended while no daemon ran: named by what the last daemon recorded */
	if (!state_store_get(s, STATE_AGENT_ACCT, &rec->runner, &bound) && bound.kind)
		return state_runner_by_key(s, &bound, NULL);
	/* no agent known (it started before us and was not found, or it is gone): the job
	 * process names its runner the same way, as the caller read it */
	if (named && named->id)
		id = *named->id;
	id.capacity = 0; /* a job process does not say its runner's (a Buildkite --spawn) */
	r = state_runner_get(s, rec->kind, &id);
	if (r && named && named->id)
		memcpy(named->runner, r->name, NAME_LEN);
	return r;
}

/* grows *seen, and the runner's counter beside it, to now; 1 when it grew */
static int grow(uint64_t now, __u64 *seen, __u64 *counter)
{
	if (now <= *seen)
		return 0;
	if (counter)
		*counter += now - *seen;
	*seen = now;
	return 1;
}

/* adds what the job used since last time to its runner; counters only ever grow */
static int account(struct job *j, const struct rs_job *rec, const struct job_cpu *live)
{
	struct job_cpu t = { .run_ns = rec->run_ns,
			     .utime_ns = rec->utime_ns,
			     .stime_ns = rec->stime_ns,
			     .io_read_bytes = rec->io_read_bytes,
			     .io_write_bytes = rec->io_write_bytes,
			     .wait_ns = rec->wait_ns };
	struct rs_job_seen *seen = &j->acct.seen;
	struct runner *r = j->runner;
	uint64_t user, sys, shown_user = seen->cpu_user_ns, shown_sys = seen->cpu_system_ns;
	int changed = 0;

	if (live) {
		t.run_ns += live->run_ns;
		t.utime_ns += live->utime_ns;
		t.stime_ns += live->stime_ns;
		t.io_read_bytes += live->io_read_bytes;
		t.io_write_bytes += live->io_write_bytes;
		t.wait_ns += live->wait_ns;
	}
	j->rss = live ? live->rss : 0;
	if (live && live->cpus)
		j->cpus = live->cpus;
	changed |= grow(t.io_read_bytes, &seen->io_read_bytes, r ? &r->st.io_read_bytes : NULL);
	changed |= grow(t.io_write_bytes, &seen->io_write_bytes, r ? &r->st.io_write_bytes : NULL);
	changed |= grow(t.wait_ns, &seen->cpu_wait_ns, r ? &r->st.cpu_wait_ns : NULL);
	cputime_split(t.run_ns, t.utime_ns, t.stime_ns, &user, &sys);
	/* neither part steps back, and they add up to the runtime seen */
	cputime_keep(user, sys, &shown_user, &shown_sys);
	if (shown_user != seen->cpu_user_ns || shown_sys != seen->cpu_system_ns) {
		if (r) {
			r->st.cpu_user_ns += shown_user - seen->cpu_user_ns;
			r->st.cpu_system_ns += shown_sys - seen->cpu_system_ns;
		}
		seen->cpu_user_ns = shown_user;
		seen->cpu_system_ns = shown_sys;
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
	state_publish_job(s, j, NULL);
	started_logged(s, j);
	return 1;
}

/* the runner's oldest running job, after one of its jobs finished */
void state_oldest_job(struct state *s, struct runner *r)
{
	r->oldest_job_ns = 0;
	for (struct job *j = s->jobs; j; j = j->hh.next)
		if (j->runner == r && !j->finished &&
		    (!r->oldest_job_ns || j->start_ns < r->oldest_job_ns))
			r->oldest_job_ns = j->start_ns;
}

/* a job this daemon has not seen: its runner, and what an earlier daemon counted of it */
static struct job *job_new(struct state *s, const struct rs_key *key, const struct rs_job *rec,
			   struct state_named *named)
{
	struct rs_job_acct acct;
	struct runner *r;
	struct job *j;
	int known = !state_store_get(s, STATE_JOB_ACCT, key, &acct);

	if (known)
		r = acct.runner.kind ? state_runner_by_key(s, &acct.runner, NULL) : NULL;
	else
		r = runner_of_job(s, key, rec, named);
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
	{
		struct pending_ctrs *pc;

		/* containers placed in it before its record was read */
		HASH_FIND(hh, s->pending, key, sizeof(*key), pc);
		if (pc) {
			memcpy(j->containers, pc->c, sizeof(pc->c));
			j->ncontainers = pc->n;
			HASH_DEL(s->pending, pc);
			free(pc);
		}
	}
	if (r && !j->finished) {
		busy_start(r, j->start_ns);
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
	       const struct job_cpu *live, const struct job_context *ctx,
	       struct state_named *named)
{
	struct rs_job_seen before;
	struct job *j;
	int done = 0;

	state__lock(s);
	HASH_FIND(hh, s->jobs, key, sizeof(*key), j);
	if (!j) {
		if (named)
			named->runner[0] = '\0';
		j = job_new(s, key, rec, named);
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
		j->runner->job_rss -= j->rss;
	}
	j->live_procs = rec->live_procs;
	/* a job of several processes between two of them: active until its last exit */
	j->idle_since = rec->live_procs ? 0 :
			rec->last_exit_ns > j->start_ns ? rec->last_exit_ns : j->start_ns;
	account(j, rec, live);
	if (j->runner)
		j->runner->job_rss += j->rss;
	/* stored below with the rest of what changed (state_commit()) */
	if (ctx && !j->finished)
		set_context(s, j, ctx);
	if (!j->started_logged &&
	    (rec->state == RS_STATE_FINISHED ||
	     clock_ns(CLOCK_MONOTONIC) - j->seen_mono_ns >= CTX_WAIT_NS)) {
		state_publish_job(s, j, NULL);
		started_logged(s, j);
	}

	if (rec->state == RS_STATE_FINISHED && !j->finished) {
		enum job_reason why;
		enum job_result res = outcome(s, j, rec, &why);
		const char *reason = detect__reason_name(why);
		uint64_t end = rec->end_ns > j->start_ns ? rec->end_ns : j->start_ns;

		j->finished = 1;
		j->acct.seen.flags |= RS_ACCT_FINISHED;
		job_stalls(s, j);
		state_nb_name_keep(s, j);
		if (j->runner) {
			struct runner *r = j->runner;
			struct rs_runner_stats *st = &r->st;
			struct jl_series *x;

			r->jobs_running--;
			busy_end(r, end);
			state_oldest_job(s, r);
			st->jobs_finished[res]++;
			if (why != REASON_NONE)
				st->failures[why]++;
			if (!j->have_ctx)
				st->ctx_missing++;
			st->stall_have |= j->stall_have;
			st->cpu_throttled_ns += j->cpu_throttled_ns;
			st->mem_stall_ns += j->mem_stall_ns;
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
				 r->name, detect__result_name(res), reason[0] ? " reason=" : "", reason,
				 rec->exit_code);
		}
		state_publish_job(s, j, rec);
	}
	/* one update of the runner's counters per job and pass, see state_commit() */
	if (memcmp(&before, &j->acct.seen, sizeof(before)))
		state_commit(s, j);
	/* the record goes once the job has ended and nothing of it is left alive */
	if (j->finished && rec->live_procs == 0) {
		if (j->runner) {
			j->runner->job_procs -= j->live_procs;
			j->runner->job_rss -= j->rss;
		}
		HASH_DEL(s->jobs, j);
		free(j);
		done = 1;
	}
	state__unlock(s);
	return done;
}

int state__job_wants_context(struct state *s, const struct rs_key *key)
{
	struct job *j;
	int want;

	state__lock(s);
	HASH_FIND(hh, s->jobs, key, sizeof(*key), j);
	want = j ? !j->have_ctx && !j->finished : -1;
	state__unlock(s);
	return want;
}

void state__job_context(struct state *s, const struct rs_key *key, const struct job_context *ctx)
{
	struct job *j;

	state__lock(s);
	HASH_FIND(hh, s->jobs, key, sizeof(*key), j);
	if (j && set_context(s, j, ctx))
		state_store_put(s, STATE_JOB_ACCT, &j->key, &j->acct);
	state__unlock(s);
}

int state__job_by_mark(struct state *s, const struct job_mark *m, struct rs_key *job)
{
	const struct job *found = NULL;
	int err = -ENOENT;

	state__lock(s);
	for (const struct job *j = s->jobs; j; j = j->hh.next) {
		const struct runner *r = j->runner;
		struct kind_runner kr;

		if (j->finished || !r || r->kind != m->kind)
			continue;
		kr = (struct kind_runner){ r->name, r->tag, r->names.pod };
		if (!kinds__marks_job(m, &kr, j->have_ctx ? j->ctx.tracking_id : ""))
			continue;
		if (found) {
			err = -EEXIST;
			break;
		}
		found = j;
		err = 0;
	}
	if (!err)
		*job = found->key;
	state__unlock(s);
	return err;
}
