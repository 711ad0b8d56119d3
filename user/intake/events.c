// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The ring buffer: each event names a record that changed, and the record is read and given
 * to the state
 */
#include <poll.h>
#include <bpf/bpf.h>
#include "lib/log.h"
#include "kernel/probes_priv.h"
#include "ci/context.h"
#include "state/state.h"
#include "intake/intake_priv.h"

static const char *const event_names[RS_EV_MAX] = {
	[RS_EV_AGENT_START] = "agent_start", [RS_EV_AGENT_EXIT] = "agent_exit",
	[RS_EV_JOB_START] = "job_start",     [RS_EV_JOB_EXIT] = "job_exit",
	[RS_EV_FORK] = "fork",		     [RS_EV_EXIT] = "exit",
	[RS_EV_OOM] = "oom",		     [RS_EV_JOB_EXEC] = "job_exec",
	[RS_EV_CTR_INIT] = "container_init", [RS_EV_CTR_EXIT] = "container_exit",
	[RS_EV_CTR_EXEC] = "container_exec", [RS_EV_AGENT_EXEC] = "agent_exec",
	[RS_EV_CG_MKDIR] = "cgroup_mkdir",   [RS_EV_CG_RMDIR] = "cgroup_rmdir",
	[RS_EV_CG_ATTACH] = "cgroup_attach", [RS_EV_CG_EMPTIED] = "cgroup_emptied",
	[RS_EV_CG_POPULATED] = "cgroup_populated",
};

const char *intake__event_name(int type)
{
	return type >= 0 && type < RS_EV_MAX ? event_names[type] : "unknown";
}

/*
 * The job's context from the environment an event came with (emit_env()): 1 with *ctx set, 0
 * when it names none, -1 when the event came without one (a plain event). What is not in the
 * part that came is read from the process's /proc, if it is still there.
 */
static int event_context(const void *data, size_t len, pid_t pid, struct job_context *ctx)
{
	const struct rs_env_event *ee = data;
	size_t n;
	int have;

	if (len < offsetof(struct rs_env_event, env))
		return -1;
	n = ee->len;
	if (n > len - offsetof(struct rs_env_event, env))
		n = len - offsetof(struct rs_env_event, env);
	have = context__read(ctx, 0, ee->env, n);
	if (have == 0 && (ee->flags & RS_ENV_CUT || !n))
		have = context__read(ctx, pid, NULL, 0);
	return have;
}

/*
 * A job's start may come with the environment its process exec'd with (a Buildkite bootstrap,
 * see emit_env()): its context is taken from there, before the job's record, which may say it
 * is over already and is logged so.
 */
static void take_job_event(struct probes *p, const void *data, size_t len)
{
	const struct rs_event *e = data;
	struct job_context ctx;
	struct rs_job j;
	int have = -1;

	if (e->type == RS_EV_JOB_START)
		have = event_context(data, len, (pid_t)e->key.tgid, &ctx);
	if (!bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.jobs_map), &e->key, &j)) {
		/* a job that ended: its runner's disk as it was then, for why it failed */
		intake_job_end_fs(p, &e->key, &j);
		if (intake_job(p, &e->key, &j, NULL, have > 0 ? &ctx : NULL)) {
			intake_forget_job(p, &e->key);
			return;
		}
	}
	if (have > 0)
		bpf_map_delete_elem(bpf_map__fd(p->skel->maps.ctx_map), &e->key);
}

static void take_event(struct probes *p, const void *data, size_t len)
{
	const struct rs_event *e = data;
	struct rs_agent a;

	/* a cgroup's event is a record of its own (include/cgroups.h), its type first */
	if (len >= sizeof(struct rs_cg_event) && e->type >= RS_EV_CG_MKDIR &&
	    e->type <= RS_EV_CG_POPULATED) {
		pthread_mutex_lock(&p->lock);
		cgroups_take_event(p, data);
		pthread_mutex_unlock(&p->lock);
		return;
	}
	if (len < sizeof(*e))
		return;
	pthread_mutex_lock(&p->lock);
	/* the event says which record changed; the record says what is true */
	switch (e->type) {
	case RS_EV_AGENT_START:
	case RS_EV_AGENT_EXIT:
		if (!bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.agents_map), &e->key, &a) &&
		    intake_agent(p, &e->key, &a))
			intake_forget_agent(p, &e->key);
		break;
	case RS_EV_JOB_START:
	case RS_EV_JOB_EXIT:
		take_job_event(p, data, len);
		break;
	case RS_EV_JOB_EXEC: {
		/* the step's environment as it exec'd, when it came: the step may be gone */
		struct job_context ctx;
		int have = event_context(data, len, (pid_t)e->tgid, &ctx);

		if (intake_job_context(p, &e->key, have < 0 ? (pid_t)e->tgid : 0,
				       have > 0 ? &ctx : NULL))
			bpf_map_delete_elem(bpf_map__fd(p->skel->maps.ctx_map), &e->key);
		break;
	}
	case RS_EV_CTR_INIT:
		groups_container_init(p, e->tgid, &e->key);
		break;
	case RS_EV_CTR_EXIT:
		groups_container_exit(p, e->tgid);
		break;
	case RS_EV_CTR_EXEC:
		groups_container_exec(p, e->tgid, &e->key);
		break;
	case RS_EV_AGENT_EXEC:
		groups_agent_exec(p, e->tgid, &e->key, e->kind);
		break;
	}
	pthread_mutex_unlock(&p->lock);
}

/*
 * Counted once the state has it, and before the ring buffer's consumer moves past it: see
 * intake__events_waiting().
 */
static int handle_event(void *ctx, void *data, size_t len)
{
	struct probes *p = ctx;

	take_event(p, data, len);
	atomic_fetch_add(&p->taken, 1);
	return 0;
}

int intake__poll(struct probes *p, int timeout_ms)
{
	int n = ring_buffer__poll(p->rb, timeout_ms);

	if (n == -EINTR)
		return 0;
	return n < 0 ? n : 0;
}

uint64_t intake__events_taken(struct probes *p)
{
	return p ? atomic_load(&p->taken) : 0;
}

int intake__events_waiting(struct probes *p)
{
	/* the ring buffer's fd polls readable while its consumer is behind its producer */
	struct pollfd pfd = { .events = POLLIN };

	if (!p || !p->skel)
		return 0;
	pfd.fd = bpf_map__fd(p->skel->maps.events_rb);
	return poll(&pfd, 1, 0) > 0;
}

int intake__event_counts(struct probes *p, struct rs_event_count out[RS_EV_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	struct rs_event_count *per;
	int fd = bpf_map__fd(p->skel->maps.events_total);

	if (ncpu <= 0)
		return ncpu;
	per = calloc((size_t)ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	memset(out, 0, sizeof(*out) * RS_EV_MAX);
	for (__u32 t = 0; t < RS_EV_MAX; t++) {
		if (bpf_map_lookup_elem(fd, &t, per))
			continue;
		for (int c = 0; c < ncpu; c++) {
			out[t].sent += per[c].sent;
			out[t].lost += per[c].lost;
		}
	}
	free(per);
	return 0;
}

int intake__start(struct probes *p, struct state *state, struct containers *containers)
{
	int err;

	p->state = state;
	p->containers = containers;
	containers__set_store(containers, &cgroups_store, p);
	p->store.fd[STATE_RUNNER_STATS] = bpf_map__fd(p->skel->maps.runner_stats);
	p->store.fd[STATE_JOB_ACCT] = bpf_map__fd(p->skel->maps.job_acct);
	p->store.fd[STATE_AGENT_ACCT] = bpf_map__fd(p->skel->maps.agent_acct);
	p->store.fd[STATE_JOBS] = bpf_map__fd(p->skel->maps.jobs_map);
	p->store.fd[STATE_AGENTS] = bpf_map__fd(p->skel->maps.agents_map);
	p->store.fd[STATE_CTX] = bpf_map__fd(p->skel->maps.ctx_map);
	state__set_store(state, &state_store_bpf, &p->store);
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events_rb), handle_event, p, NULL);
	if (!p->rb) {
		err = -errno;
		pr_err("failed to open the events ring buffer: %s", strerror(-err));
		return err;
	}
	groups_restore(p);
	return 0;
}
