// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The kernel's records handed to the state, with what the state needs of the outside world
 * read first: a new agent's runner named from its process, a job's context from a step's
 * environment, a container's names, a runner's work filesystem. The state reads nothing
 * itself (state/state.h). And the records the intake makes and forgets.
 */
#include <errno.h>
#include <bpf/bpf.h>
#include "lib/log.h"
#include "enrich/workfs.h"
#include "ci/context.h"
#include "ci/identity.h"
#include "kernel/probes_priv.h"
#include "intake/intake_priv.h"

/* the runner of process pid, as its kind names it, with its container's names */
static void identity_of(struct probes *p, pid_t pid, int kind, struct identity *id)
{
	identity__resolve(pid, kind, id);
	containers__names(p->containers, &id->ctr, &id->cg, &id->names);
}

/* the containers learn whose a runner's container is (the newest agent's view wins: a
 * runner can move to another container) */
static void tell_containers(struct probes *p, const struct identity *id, int kind,
			    const struct state_named *n)
{
	if (n->runner[0] && id->ctr.id[0])
		containers__set_runner(p->containers, id->ctr.id, kind, n->runner);
}

int intake_agent(struct probes *p, const struct rs_key *key, const struct rs_agent *rec)
{
	struct state_named n = {};
	struct identity id;
	int done;

	if (rec->state == RS_STATE_RUNNING && !state__has_agent(p->state, key)) {
		identity_of(p, (pid_t)key->tgid, rec->kind, &id);
		n.id = &id;
	}
	done = state__agent(p->state, key, rec, &n);
	if (n.id)
		tell_containers(p, &id, rec->kind, &n);
	return done;
}

int intake_job(struct probes *p, const struct rs_key *key, const struct rs_job *rec,
	       const struct job_cpu *live, const struct job_context *ctx)
{
	struct state_named n = {};
	struct identity id;
	int done;

	/* a job new to the state whose agent it does not know names its runner itself */
	if (key->tgid && !state__has_job(p->state, key) &&
	    !state__has_agent(p->state, &rec->runner)) {
		identity_of(p, (pid_t)key->tgid, rec->kind, &id);
		n.id = &id;
	}
	done = state__job(p->state, key, rec, live, ctx, &n);
	if (n.id)
		tell_containers(p, &id, rec->kind, &n);
	return done;
}

int intake_job_context(struct probes *p, const struct rs_key *key, pid_t pid,
		       const struct job_context *given)
{
	struct job_context ctx;
	int want = state__job_wants_context(p->state, key);

	/* a job not seen yet (its start event lost) is taken by the next pass: keep the hints */
	if (want <= 0)
		return want == 0;
	if (given)
		ctx = *given;
	else if (!pid || context__read(&ctx, pid, NULL, 0) <= 0)
		return 0; /* gone already, or not a step: the next exec may say */
	state__job_context(p->state, key, &ctx);
	return 1;
}

void intake_job_container(struct probes *p, const struct rs_key *agent, int kind,
			  const char *name, const struct container_ref *ref,
			  const struct cgroup_paths *paths, const struct rs_key *job, const char *role)
{
	struct container_names names;
	char runner[NAME_LEN];

	if (state__job_container(p->state, agent, kind, name, ref->id, job, role, runner))
		return;
	/* reported, as its runner's */
	containers__names(p->containers, ref, paths, &names);
	containers__set_job(p->containers, ref->id, kind, runner, role);
}

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

/* a runner's work filesystem, read now, into the state; a folder that cannot be opened is
 * said once */
void intake_read_workfs(struct probes *p, const struct runner_workdir *w)
{
	struct workfs fs;
	int err = workfs__read(w->pid, w->dir, &fs);

	/* the agent has just gone (its root with it): its runner keeps what was read last */
	if (err == -ENOENT)
		return;
	if (state__runner_fs(p->state, w->kind, w->name, err ? NULL : &fs, err) && err)
		pr_debug("no work filesystem for runner=%s: cannot open %s through pid %d: %s",
			 w->name, w->dir[0] ? w->dir : "/", w->pid, strerror(-err));
}

void intake_job_end_fs(struct probes *p, const struct rs_key *key, const struct rs_job *rec)
{
	struct runner_workdir w;

	if (!state__job_workdir(p->state, key, rec, &w))
		intake_read_workfs(p, &w);
}

int intake_seed_agent(struct probes *p, const struct rs_key *key, int kind)
{
	struct rs_agent a = { .kind = (__u8)kind, .state = RS_STATE_RUNNING };

	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.agents_map), key, &a, BPF_NOEXIST))
		return -errno;
	return 0;
}

int intake_seed_job(struct probes *p, const struct rs_key *key, const struct rs_key *runner,
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
