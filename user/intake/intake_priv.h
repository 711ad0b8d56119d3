/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the intake's parts share: events.c (the ring buffer), reconcile.c (every record, once
 * a pass) and groups.c (jobs of several processes). All run under the probes' lock.
 */
#ifndef RUNNERSCOPE_INTAKE_PRIV_H
#define RUNNERSCOPE_INTAKE_PRIV_H

#include <sys/types.h>
#include "jobs.h"
#include "cgroups.h"
#include "ci/jobid.h"
#include "ci/kinds/kinds.h"
#include "intake/intake.h"
#include "lib/utf8.h"

struct probes;
struct container_ref;
struct group;
enum cgroups_walk;

/* the job hints of a process's environment, and of its container's runtime files: the
 * values of the kinds' keys (kinds__keys()) */
struct hint_vals {
	char buf[KINDS_KEYS_MAX][NAME_LEN];
	char *v[KINDS_KEYS_MAX];
	struct kind_vals kv; /* v, for the kinds */
	char name[NAME_LEN];
	char pod[NAME_LEN]; /* under kubelet: its pod, as the runtime's files say */
	int docker; /* the runtime's files were read: what they say is all there is */
};

/*
 * groups.c: the hints of container ref (NULL: none) from its runtime's files, and of process
 * pid (0: none) from its environment where the files said nothing
 */
void read_hints(struct probes *p, const struct container_ref *ref, pid_t pid,
		struct hint_vals *h);
/* the group of a job, made with its record the first time; NULL once it has ended */
struct group *group_get(struct probes *p, const struct job_hint *h, uint64_t start_ns,
			const struct rs_key *agent);
/* it ends now, at its last exit (why: for the log) */
void group_end(struct probes *p, struct group *g, const char *why);
/* a running process joins the job (step: its failing exit fails the job); 0 or -errno */
int join(struct probes *p, const struct rs_key *job, __u32 tgid, int kind, int step);
/* a process of the job ended before it could join: what the kernel would have noted */
void part_ended(struct probes *p, const struct rs_key *job, int step, int code, uint64_t end_ns,
		int joined);
/* 1 when the process is in a job */
int in_job(struct probes *p, __u32 tgid);
/* placing.c: placed containers whose runtime has removed them since they stopped end their
 * jobs of several processes */
void placed_stopped(struct probes *p);
/* 1 while a container of the job of several processes hkey is there, or stopped */
int placed_holds(struct probes *p, const char *hkey);

/* scan.c and cgroups.c: the cgroup hierarchies walked for the containers there before the
 * programs saw them */
void intake_found_cgroups(struct probes *p);
/*
 * Found at start-up: a container's init, or a process of an agent whose jobs are several
 * processes, in no job. The daemon places them as it would have at their exec.
 */
void intake_found_container(struct probes *p, uint32_t tgid, uint64_t start_ns);
void intake_found_agent_process(struct probes *p, uint32_t tgid, const struct rs_key *agent,
				 int kind);
/* start-up scan: record what was already running before the programs were attached */
int intake_seed_agent(struct probes *p, const struct rs_key *key, int kind);
int intake_seed_job(struct probes *p, const struct rs_key *key, const struct rs_key *runner,
		     int kind, uint32_t procs);

/*
 * records.c: the kernel's records handed to the state, with what it needs of the outside
 * world read first (state/state.h): 1 when a record is done with (intake_job_context(): when
 * no more hints are wanted for the job)
 */
int intake_agent(struct probes *p, const struct rs_key *key, const struct rs_agent *rec);
int intake_job(struct probes *p, const struct rs_key *key, const struct rs_job *rec,
	       const struct job_cpu *live, const struct job_context *ctx);
int intake_job_context(struct probes *p, const struct rs_key *key, pid_t pid,
		       const struct job_context *given);
/* a job's container, listed in its record and told to the containers as its runner's */
void intake_job_container(struct probes *p, const struct rs_key *agent, int kind,
			  const char *name, const struct container_ref *ref,
			  const struct cgroup_paths *paths, const struct rs_key *job,
			  const char *role);

/* records.c: a finished job's runner's work filesystem, read fresh for why it failed */
void intake_job_end_fs(struct probes *p, const struct rs_key *key, const struct rs_job *rec);
/* records.c: a runner's work filesystem, read now, into the state */
void intake_read_workfs(struct probes *p, const struct runner_workdir *w);
/* records.c: the state is done with a job or an agent; its records go */
void intake_forget_job(struct probes *p, const struct rs_key *key);
void intake_forget_agent(struct probes *p, const struct rs_key *key);

/* groups.c and placing.c: what the programs report of containers and agents' processes
 * (RS_EV_CTR_*, RS_EV_AGENT_EXEC) */
void groups_container_init(struct probes *p, __u32 tgid, const struct rs_key *key);
void groups_container_exit(struct probes *p, __u32 tgid);
void groups_container_exec(struct probes *p, __u32 tgid, const struct rs_key *init);
void groups_agent_exec(struct probes *p, __u32 tgid, const struct rs_key *agent, int kind);
/* reconcile.c: drops the last task walk's CPU per job and waits per container cgroup */
void intake_live_free(struct probes *p);
/* placing.c: every container placed, forgotten (at the end) */
void placed_free(struct probes *p);

/* placing.c: jobs idle for --jobs.end-after-idle end, and those whose job container was
 * removed; ended ones are forgotten after GROUP_KEEP_NS */
void placed_end_idle(struct probes *p);
/*
 * groups.c, containers known from their cgroups: a new one placed in the job its runtime's
 * files name or mark, before any process of it runs; a cgroup of a placed one taking the
 * job's tasks (and, once populated, the tasks in it joining the job); a placed one removed
 * (gone: not only one of its cgroups), which ends a job of several processes when it was its
 * job container
 */
void groups_container_made(struct probes *p, const struct container_ref *ref);
void groups_container_cgroup(struct probes *p, const char *id, const struct rs_cg_key *key,
			     int populated);
void groups_container_removed(struct probes *p, const char *id, int gone, uint64_t emptied_ns);

/* cgroups.c: the programs' record of a container's cgroup changed */
void cgroups_take_event(struct probes *p, const struct rs_cg_event *e);
/* the hierarchies walked for containers' cgroups no record tells of, then every record read */
void cgroups_walk(struct probes *p, enum cgroups_walk why);
/* a walk when cgroup events were lost since the last */
void cgroups_reconcile(struct probes *p);
/* the lifecycle counters' store: the pinned maps */
extern const struct containers_store_ops cgroups_store;
/* the jobs of several processes a daemon before this one made, found in jobs_map */
void groups_restore(struct probes *p);

#endif
