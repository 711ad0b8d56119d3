/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the intake's parts share: events.c (the ring buffer), reconcile.c (every record, once
 * a pass) and groups.c (jobs of several processes). All run under the probes' lock.
 */
#ifndef RUNNERSCOPE_INTAKE_PRIV_H
#define RUNNERSCOPE_INTAKE_PRIV_H

#include "jobs.h"

struct probes;

/* reconcile.c: the state is done with a job or an agent; its records go */
void intake_forget_job(struct probes *p, const struct rs_key *key);
void intake_forget_agent(struct probes *p, const struct rs_key *key);

/* groups.c: what the programs report of containers and agents' processes (RS_EV_CTR_*,
 * RS_EV_AGENT_EXEC) */
void groups_container_init(struct probes *p, __u32 tgid, const struct rs_key *key);
void groups_container_exit(struct probes *p, __u32 tgid);
void groups_container_exec(struct probes *p, __u32 tgid, const struct rs_key *init);
void groups_agent_exec(struct probes *p, __u32 tgid, const struct rs_key *agent, int kind);
/* jobs idle for --jobs.end-after-idle end; ended ones are forgotten after GROUP_KEEP_NS */
void groups_end_idle(struct probes *p);
/* the jobs of several processes a daemon before this one made, found in jobs_map */
void groups_restore(struct probes *p);

#endif
