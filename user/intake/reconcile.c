// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Once a pass, every record in the maps is given to the state again: what an event missed is
 * taken from there; the live CPU of running jobs; records the state is done with go
 */
#include <errno.h>
#include <signal.h>
#include <bpf/bpf.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "enrich/workfs.h"
#include "ci/detect.h"
#include "ci/kinds/kinds.h"
#include "kernel/probes_priv.h"
#include "state/state.h"
#include "intake/intake_priv.h"

/*
 * One pass over a map; the callback says whether the record may go, and it goes at once: the
 * state has forgotten it, so a record left behind would be counted again on the next pass.
 * The next key is fetched before the current one can be deleted, so the walk never restarts.
 * Only the daemon deletes these records, so the fetched key stays valid.
 */
static void reconcile_map(struct probes *p, int fd, size_t vsize,
			  int (*take)(struct probes *, const struct rs_key *, const void *),
			  void (*forget)(struct probes *, const struct rs_key *))
{
	struct rs_key key, next;
	char val[128];
	int more;

	if (vsize > sizeof(val))
		return;
	more = !bpf_map_get_next_key(fd, NULL, &key);
	while (more) {
		more = !bpf_map_get_next_key(fd, &key, &next);
		if (!bpf_map_lookup_elem(fd, &key, val) && take(p, &key, val))
			forget(p, &key);
		key = next;
	}
}

/* agents start before their jobs and exit after them: starts, then jobs, then exits */
static int take_agent_start(struct probes *p, const struct rs_key *k, const void *v)
{
	const struct rs_agent *a = v;

	return a->state == RS_STATE_RUNNING ? intake_agent(p, k, a) : 0;
}

static int take_agent_exit(struct probes *p, const struct rs_key *k, const void *v)
{
	const struct rs_agent *a = v;

	return a->state == RS_STATE_FINISHED ? intake_agent(p, k, a) : 0;
}

static int take_job(struct probes *p, const struct rs_key *k, const void *v)
{
	const struct rs_job *j = v;
	struct live_cpu *l;

	/* a Buildkite job's start event brings its context (take_job_event()): while it may be on
	 * its way, a job new to the state and less than a second old is left to it */
	if (p->rb_behind && kinds__has(j->kind, KIND_CONTEXT_AT_START) &&
	    !state__has_job(p->state, k) &&
	    clock_ns(CLOCK_BOOTTIME) - k->start_ns < 1000000000ULL)
		return 0;
	HASH_FIND(hh, p->live, k, sizeof(*k), l);
	intake_job_end_fs(p, k, j);
	return intake_job(p, k, v, l ? &l->cpu : NULL, NULL);
}

void intake_live_free(struct probes *p)
{
	struct live_cg *c, *ct;
	struct live_cpu *l, *t;

	HASH_ITER(hh, p->live_cg, c, ct) {
		HASH_DEL(p->live_cg, c);
		free(c);
	}
	HASH_ITER(hh, p->live, l, t) {
		HASH_DEL(p->live, l);
		free(l);
	}
}

static struct live_cg *live_cg_get(struct probes *p, const struct rs_cg_key *key)
{
	struct live_cg *l;

	HASH_FIND(hh, p->live_cg, key, sizeof(*key), l);
	if (!l) {
		l = calloc(1, sizeof(*l));
		if (!l)
			return NULL;
		l->key = *key;
		HASH_ADD(hh, p->live_cg, key, sizeof(l->key), l);
	}
	return l;
}

/* a live thread's wait for a CPU, into its container cgroup's sum */
static void live_wait(struct probes *p, const struct rs_task_cpu *r)
{
	struct rs_cg_key key = { .id = r->cg_id, .hier = r->cg_hier };
	struct live_cg *l = live_cg_get(p, &key);

	if (l)
		l->wait_ns += r->wait_ns;
}

/* before the walk: what a container cgroup's record says of its exited threads. A thread that
 * exits after this and before the walk is in neither, until the next pass; none is in both */
static void exited_wait(void *ctx, const struct rs_cg_key *key)
{
	struct probes *p = ctx;
	struct rs_cgroup v;
	struct live_cg *l;

	if (bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.cgroups_map), key, &v))
		return;
	if ((l = live_cg_get(p, key)))
		l->exited_ns = v.wait_ns;
}

/*
 * sums iter_job_cpu's records per job into p->live, and their waits per container cgroup into
 * p->live_cg; the previous pass's sums are dropped
 */
static void read_live_cpu(struct probes *p)
{
	struct rs_task_cpu recs[64];
	int fd;

	intake_live_free(p);
	if (p->cpu_wait)
		containers__live_cgroups(p->containers, exited_wait, p);
	fd = bpf_iter_create(bpf_link__fd(p->skel->links.iter_job_cpu));
	if (fd < 0) {
		pr_warn("failed to walk tasks for job CPU: %s", strerror(errno));
		return;
	}
	for (;;) {
		ssize_t n = read(fd, recs, sizeof(recs));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (size_t i = 0; i < (size_t)n / sizeof(recs[0]); i++) {
			struct live_cpu *l;

			if (recs[i].cg_id)
				live_wait(p, &recs[i]);
			/* a job of several processes has a key of tgid 0 (intake_seed_job()) */
			if (!recs[i].job.tgid && !recs[i].job.start_ns)
				continue;
			HASH_FIND(hh, p->live, &recs[i].job, sizeof(recs[i].job), l);
			if (!l) {
				l = calloc(1, sizeof(*l));
				if (!l)
					continue;
				l->key = recs[i].job;
				HASH_ADD(hh, p->live, key, sizeof(l->key), l);
			}
			l->cpu.run_ns += recs[i].run_ns;
			l->cpu.utime_ns += recs[i].utime_ns;
			l->cpu.stime_ns += recs[i].stime_ns;
			l->cpu.io_read_bytes += recs[i].io_read_bytes;
			l->cpu.io_write_bytes += recs[i].io_write_bytes;
			l->cpu.rss += recs[i].rss;
			l->cpu.wait_ns += recs[i].wait_ns;
			l->cpu.cpus |= recs[i].cpus;
		}
	}
	close(fd);
}

void intake__reconcile(struct probes *p)
{
	int agents = bpf_map__fd(p->skel->maps.agents_map);
	int jobs = bpf_map__fd(p->skel->maps.jobs_map);
	struct rs_cg_key cg_any;
	struct rs_key any;

	/* before any record is read: a job its record shows running was running by then */
	uint64_t now = clock_ns(CLOCK_BOOTTIME);

	pthread_mutex_lock(&p->lock);
	p->rb_behind = intake__events_waiting(p);
	/* walking every task is worth it only while some job has a record, or some container's
	 * threads' wait is kept */
	if (!bpf_map_get_next_key(jobs, NULL, &any) ||
	    (p->cpu_wait && !bpf_map_get_next_key(bpf_map__fd(p->skel->maps.cgroups_map), NULL,
						   &cg_any)))
		read_live_cpu(p);
	placed_end_idle(p);
	cgroups_reconcile(p);
	reconcile_map(p, agents, sizeof(struct rs_agent), take_agent_start, intake_forget_agent);
	reconcile_map(p, jobs, sizeof(struct rs_job), take_job, intake_forget_job);
	reconcile_map(p, agents, sizeof(struct rs_agent), take_agent_exit, intake_forget_agent);
	state__busy_checkpoint(p->state, now);
	/* each runner's work filesystem once a pass, whoever scrapes how often */
	for (int i = 0, n = state__workdirs(p->state, &p->workdirs, &p->workdirs_cap); i < n; i++)
		intake_read_workfs(p, &p->workdirs[i]);
	pthread_mutex_unlock(&p->lock);
}

void intake__stop(struct probes *p)
{
	struct group *g, *gt;

	if (!p)
		return;
	intake_live_free(p);
	placed_free(p);
	HASH_ITER(hh, p->groups, g, gt) {
		HASH_DEL(p->groups, g);
		free(g);
	}
	free(p->workdirs);
	p->workdirs = NULL;
	p->workdirs_cap = 0;
}
