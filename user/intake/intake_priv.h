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
#include "lib/utf8.h"

struct probes;
struct container_ref;
struct group;
enum cgroups_walk;

/* the job hints of a process's environment, and of its container's runtime files */
struct hint_vals {
	char buf[JK_MAX][NAME_LEN];
	char *v[JK_MAX];
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

/* reconcile.c: the state is done with a job or an agent; its records go */
void intake_forget_job(struct probes *p, const struct rs_key *key);
void intake_forget_agent(struct probes *p, const struct rs_key *key);

/* groups.c: what the programs report of containers and agents' processes (RS_EV_CTR_*,
 * RS_EV_AGENT_EXEC) */
void groups_container_init(struct probes *p, __u32 tgid, const struct rs_key *key);
void groups_container_exit(struct probes *p, __u32 tgid);
void groups_container_exec(struct probes *p, __u32 tgid, const struct rs_key *init);
void groups_agent_exec(struct probes *p, __u32 tgid, const struct rs_key *agent, int kind);
/* jobs idle for --jobs.end-after-idle end, and those whose job container was removed; ended
 * ones are forgotten after GROUP_KEEP_NS */
void groups_end_idle(struct probes *p);
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
