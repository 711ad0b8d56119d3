/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the state's parts share: state.c (runners and agents, names, expiry), jobs.c (jobs:
 * accounting, results, context, publishing) and store.c (the counters' two-step commit to the
 * store, and taking them over at start-up). Everything here runs under state->lock.
 */
#ifndef RUNNERSCOPE_STATE_PRIV_H
#define RUNNERSCOPE_STATE_PRIV_H

#include <pthread.h>
#include <uthash.h>
#include "state/job_record.h"
#include "state/state.h"

/* a job whose steps never show their context is logged as started after this long */
#define CTX_WAIT_NS (5 * 1000000000ULL)

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

/*
 * Containers placed in a job whose record the state has not taken yet (a job of several
 * processes is seeded by the intake and read at the next pass): handed to it then, or dropped
 * after PENDING_NS
 */
#define PENDING_NS (60 * 1000000000ULL)
struct pending_ctrs {
	UT_hash_handle hh;
	struct rs_key key;
	uint64_t made_ns; /* CLOCK_MONOTONIC */
	int n;
	struct job_ctr c[JOB_CONTAINERS_MAX];
};

/* a finished job as its neighbours' records name it */
#define STATE_NB_NAMES 64
struct nb_name {
	struct rs_key key;
	char runner[NAME_LEN];
	char job[NAME_LEN];
};

struct state {
	pthread_mutex_t lock;
	struct job_name *job_names;
	struct state_opts opts;
	struct runner *runners;
	struct agent *agents;
	struct job *jobs;
	struct pending_ctrs *pending;
	const struct state_store_ops *store; /* NULL: counters kept in memory only */
	void *store_ctx;
	int store_failed; /* a write to the pinned maps failed: said once */
	struct job_record recent[STATE_RECENT_JOBS]; /* a ring: recent_n in all, newest last */
	unsigned int recent_n;
	/* the names of the last jobs that finished, for their neighbours' records */
	struct nb_name nb_names[STATE_NB_NAMES];
	unsigned int nb_names_n;
	/* the last state__neighbours(): when (CLOCK_BOOTTIME), and each CPU's busy time then */
	uint64_t nb_prev_ns;
	uint64_t *nb_busy;
	int nb_ncpus;
	unsigned int workdirs_gen; /* state__workdirs()' passes, for runner.fs_listed */
};

/* store.c */
int state_store_get(struct state *s, enum state_table t, const void *key, void *val);
void state_store_put(struct state *s, enum state_table t, const void *key, const void *val);
void state_store_del(struct state *s, enum state_table t, const void *key);
/* a job's accounting written in two steps: its runner's counters, then its job_acct */
void state_commit(struct state *s, struct job *j);

/* state.c */
struct runner *state_runner_get(struct state *s, int kind, const struct identity *ident);
struct runner *state_runner_by_key(struct state *s, const struct rs_runner_key *k,
				   const struct identity *ident);
struct runner *state_job_runner(struct state *s, int kind, const char *name);
/* a finished job into the last finished jobs, unless it is there already */
void state_keep_recent(struct state *s, const struct job_record *r);
void state_runner_free(struct runner *r);

/* busy.c: a runner's busy time as its jobs start and end */
void busy_start(struct runner *r, uint64_t start);
/* a job of the runner ended at end; the caller has taken it off jobs_running */
void busy_end(struct runner *r, uint64_t end);

/* disk.c: the runner's work filesystem was below --jobs.disk-full-below at a job's end (read
 * then, or at the last pass) */
int state_disk_full(const struct state *s, const struct runner *r);

/* jobs.c */
void state_oldest_job(struct state *s, struct runner *r);
void state_publish_job(struct state *s, const struct job *j, const struct rs_job *rec);
/* neighbours_pass.c: a finished job's names kept for its neighbours' records; a job's largest
 * neighbours, named, into out: how many */
void state_nb_name_keep(struct state *s, const struct job *j);
int state_nb_record(struct state *s, const struct job *j, struct job_record_neighbour *out,
		    int max);
/* pending containers older than PENDING_NS (all: every one) go; under the lock */
void state_pending_expire(struct state *s, uint64_t now, int all);
/* a container the job's record lists; takes the lock */
void state_job_add_container(struct state *s, const struct rs_key *job, const char *id,
			     const char *role);

#endif
