// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Once a pass, every record in the maps is given to the state again: what an event missed is
 * taken from there; the live CPU of running jobs; records the state is done with go
 */
#include <signal.h>
#include <bpf/bpf.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "ci/detect.h"
#include "kernel/probes_priv.h"
#include "state/state.h"
#include "intake/intake_priv.h"

/* the state is done with a job: its records go */
void intake_forget_job(struct probes *p, const struct rs_key *key)
{
	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.jobs_map), key);
	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.ctx_map), key);
	/* after the record: a daemon killed in between finds an orphan, not a new job */
	state__forget_job(p->state, key);
}

void intake_forget_agent(struct probes *p, const struct rs_key *key)
{
	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.agents_map), key);
	state__forget_agent(p->state, key);
}

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

	return a->state == RS_STATE_RUNNING ? state__agent(p->state, k, a) : 0;
}

static int take_agent_exit(struct probes *p, const struct rs_key *k, const void *v)
{
	const struct rs_agent *a = v;

	return a->state == RS_STATE_FINISHED ? state__agent(p->state, k, a) : 0;
}

static int take_job(struct probes *p, const struct rs_key *k, const void *v)
{
	const struct rs_job *j = v;
	struct live_cpu *l;

	/* a Buildkite job's start event brings its context (take_job_event()): while it may be on
	 * its way, a job new to the state and less than a second old is left to it */
	if (p->rb_behind && detect_kind_has(j->kind, KIND_CONTEXT_AT_START) &&
	    !state__has_job(p->state, k) &&
	    clock_ns(CLOCK_BOOTTIME) - k->start_ns < 1000000000ULL)
		return 0;
	HASH_FIND(hh, p->live, k, sizeof(*k), l);
	return state__job(p->state, k, v, l ? &l->cpu : NULL, NULL);
}

/* sums iter_job_cpu's records per job into p->live; the previous pass's sums are dropped */
static void read_live_cpu(struct probes *p)
{
	struct rs_task_cpu recs[64];
	struct live_cpu *l, *t;
	int fd;

	HASH_ITER(hh, p->live, l, t) {
		HASH_DEL(p->live, l);
		free(l);
	}
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
		}
	}
	close(fd);
}

void probes__reconcile(struct probes *p)
{
	int agents = bpf_map__fd(p->skel->maps.agents_map);
	int jobs = bpf_map__fd(p->skel->maps.jobs_map);
	struct rs_key any;

	/* before any record is read: a job its record shows running was running by then */
	uint64_t now = clock_ns(CLOCK_BOOTTIME);

	pthread_mutex_lock(&p->lock);
	p->rb_behind = probes__events_waiting(p);
	/* walking every task is worth it only while some job has a record */
	if (!bpf_map_get_next_key(jobs, NULL, &any))
		read_live_cpu(p);
	groups_end_idle(p);
	cgroups_reconcile(p);
	reconcile_map(p, agents, sizeof(struct rs_agent), take_agent_start, intake_forget_agent);
	reconcile_map(p, jobs, sizeof(struct rs_job), take_job, intake_forget_job);
	reconcile_map(p, agents, sizeof(struct rs_agent), take_agent_exit, intake_forget_agent);
	state__busy_checkpoint(p->state, now);
	pthread_mutex_unlock(&p->lock);
}

int probes__seed_agent(struct probes *p, const struct rs_key *key, int kind)
{
	struct rs_agent a = { .kind = (__u8)kind, .state = RS_STATE_RUNNING };

	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.agents_map), key, &a, BPF_NOEXIST))
		return -errno;
	return 0;
}

int probes__seed_job(struct probes *p, const struct rs_key *key, const struct rs_key *runner,
		     int kind, uint32_t procs)
{
	struct rs_job j = {
		.runner = *runner,
		.kind = (__u8)kind,
		.state = RS_STATE_RUNNING,
		.live_procs = procs,
		.total_procs = procs,
	};

	__u32 hints = RS_CTX_HINTS;

	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.jobs_map), key, &j, BPF_NOEXIST))
		return -errno;
	bpf_map_update_elem(bpf_map__fd(p->skel->maps.ctx_map), key, &hints, BPF_ANY);
	return 0;
}
