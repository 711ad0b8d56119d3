/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Runners, agents and jobs as the daemon knows them. Fed with the kernel's agent and job
 * records; read by the exposition under state__lock().
 */
#ifndef RUNNERSCOPE_STATE_H
#define RUNNERSCOPE_STATE_H

#include <stdint.h>
#include <linux/types.h>
#include <uthash.h>
#include "jobs.h"
#include "ci/detect.h"
#include "ci/identity.h"
#include "ci/jobid.h"
#include "enrich/containers.h"
#include "state/joblabels.h"
#include "state/job_record.h"

/*
 * What a job's live threads have used so far: CPU (exact runtime, and the sampled user/system
 * times that split it), storage I/O, and the memory its processes have resident now
 */
struct job_cpu {
	uint64_t run_ns;
	uint64_t utime_ns;
	uint64_t stime_ns;
	uint64_t io_read_bytes;
	uint64_t io_write_bytes;
	uint64_t rss;
};

struct runner {
	UT_hash_handle hh;
	char hkey[NAME_LEN + 8]; /* "<kind>/<name>" */
	int kind;
	char name[NAME_LEN];
	char version[64];
	char token[16]; /* GitLab: its short token */
	char docker_label[8]; /* GitHub: the label on its jobs' containers, "" when not known */
	struct container_ref ctr;
	struct container_names names; /* its container's, where the runtime's files say them */
	int agents; /* live agent processes */
	uint64_t start_ns; /* CLOCK_BOOTTIME of the newest agent's start */
	uint64_t down_since; /* CLOCK_MONOTONIC ns when the last agent exited; 0 while up */
	int jobs_running;
	int capacity; /* jobs it may run at once, as its configuration says; 0: not known */
	/* CLOCK_BOOTTIME: where the busy period going on now starts counting (its start, or the
	 * last pass that counted it), and the latest end of a job of that period that finished */
	uint64_t busy_since, busy_end;
	uint64_t busy_to; /* state__busy_checkpoint()'s scratch */
	uint64_t job_procs; /* live processes of its jobs, finished ones' leftovers included */
	uint64_t job_rss; /* bytes resident in those processes, at the last pass */
	/*
	 * Its counters, exactly as in the pinned runner_stats map (key rkey): jobs by result,
	 * durations, CPU of its jobs' processes, OOM kills, peak RSS per finished job.
	 */
	struct rs_runner_key rkey;
	struct rs_runner_stats st;
	uint64_t oldest_job_ns; /* CLOCK_BOOTTIME start of its oldest running job; 0: none */
};

/* a container placed in a job, as its record lists it */
struct job_ctr {
	char id[CONTAINER_ID_LEN + 1];
	char role[12];
};

struct job {
	UT_hash_handle hh;
	struct rs_key key;
	struct runner *runner;
	uint64_t start_ns;
	uint64_t seen_mono_ns; /* when the daemon first saw it */
	struct job_context ctx;
	int have_ctx;
	int started_logged;
	int counted_started; /* this daemon counted its start (not an earlier one) */
	int finished;
	uint32_t live_procs;
	uint64_t rss; /* bytes its processes have resident, at the last pass; 0: not read */
	uint64_t idle_since; /* CLOCK_BOOTTIME of its last exit while none of it runs; 0: running */
	struct rs_job_acct acct; /* its runner and what the runner's counters have of it */
	/* the containers placed in it (their processes count for it), the first few */
	int ncontainers;
	struct job_ctr containers[JOB_CONTAINERS_MAX];
};

/* finished jobs the status page shows, kept after their records are gone */
#define STATE_RECENT_JOBS 25

struct state;

struct containers;
struct job_record;

struct state_opts {
	uint64_t grace_ns; /* how long a runner's series stay (up 0) after its last agent exits */
	/*
	 * told of each job that starts and each that finishes (the event log), under the state's
	 * lock; r is the caller's and gone after the call. NULL: nobody
	 */
	void (*on_job)(void *ctx, const struct job_record *r);
	void *on_job_ctx;
	struct containers *containers; /* told which containers host runners */
	struct joblabels *labels; /* --metrics.job-labels; NULL when off */
};

/* the tables the counters live in, and the kernel's records they are checked against */
enum state_table {
	STATE_RUNNER_STATS, /* rs_runner_key -> rs_runner_stats */
	STATE_JOB_ACCT, /* rs_key -> rs_job_acct */
	STATE_AGENT_ACCT, /* rs_key -> rs_runner_key */
	STATE_JOBS, /* rs_key -> rs_job: the kernel's, to tell live accounting from stale */
	STATE_AGENTS, /* rs_key -> rs_agent: the same */
	STATE_CTX, /* rs_key -> __u32 context hints */
	STATE_TABLES,
};

/*
 * Where the counters are kept, so that they outlive the daemon: the pinned maps in the daemon
 * (state_store_bpf), memory in the unit tests. Each returns 0 or -errno: -ENOENT for a key
 * that is not there, -EBADF for a table the store does not have.
 */
struct state_store_ops {
	int (*lookup)(void *ctx, enum state_table t, const void *key, void *val);
	int (*update)(void *ctx, enum state_table t, const void *key, const void *val);
	int (*remove)(void *ctx, enum state_table t, const void *key);
	/* the key after key (NULL: the first) into next; -ENOENT after the last */
	int (*next_key)(void *ctx, enum state_table t, const void *key, void *next);
};

/* the pinned maps, by table (-1 where there is none): the context of state_store_bpf */
struct state_store {
	int fd[STATE_TABLES];
};
extern const struct state_store_ops state_store_bpf;

struct state *state__new(const struct state_opts *opts);
/*
 * Keeps the counters in this store from now on (ctx must outlive s): takes the runners and
 * counters an earlier daemon kept there, completes its last update if it was cut short, drops
 * records of jobs and agents that are no longer in the kernel's maps.
 */
void state__set_store(struct state *s, const struct state_store_ops *ops, void *ctx);
/* the kernel's record of a job or an agent is gone: so goes what the state kept of it */
void state__forget_job(struct state *s, const struct rs_key *key);
void state__forget_agent(struct state *s, const struct rs_key *key);
/* histogram bounds of job_duration_seconds and job_max_rss_bytes */
extern const double state_duration_bounds[RS_DURATION_BUCKETS - 1];
extern const double state_rss_bounds[RS_RSS_BUCKETS - 1];
void state__free(struct state *s);
void state__lock(struct state *s);
void state__unlock(struct state *s);

/*
 * Take the kernel's record of an agent or a job; for a job, live is the CPU so far of its
 * threads still running (NULL when not read this time), and ctx its context when known before
 * its start was taken (NULL otherwise). Returns 1 when the record is done with and may be
 * deleted from the kernel map, 0 to keep it.
 */
int state__agent(struct state *s, const struct rs_key *key, const struct rs_agent *rec);
int state__job(struct state *s, const struct rs_key *key, const struct rs_job *rec,
	       const struct job_cpu *live, const struct job_context *ctx);

/*
 * A process of the job exec'd: reads its environment for the job's context. Returns 1 when
 * no more hints are wanted for this job (context found, or the job is over), 0 otherwise.
 */
int state__job_context(struct state *s, const struct rs_key *key, pid_t pid);
/* 1 when the state has taken this job's record */
int state__has_job(struct state *s, const struct rs_key *key);
/*
 * The agent of a live runner of this kind for a job of several processes: the runner with this
 * name or GitLab short token ("" or NULL: any), else the only runner of the kind. 0 or -ENOENT.
 */
int state__pick_agent(struct state *s, int kind, const char *name, const char *token,
		      struct rs_key *out);
/* runners' container names as the containers have them now (found late: kubelet's links) */
void state__sync_names(struct state *s);

/*
 * The running job a container marks (jobid_mark()): GitHub's, of the runner whose label it
 * carries, while that runner runs exactly one job; Buildkite's, by its job id. 0 and *job, or
 * -ENOENT (no such job running: a job that has ended counts nothing new) or -EEXIST (more
 * than one could be meant)
 */
int state__job_by_mark(struct state *s, const struct job_mark *m, struct rs_key *job);

/*
 * a job's container (paths: its cgroups, where known; NULL when the containers know them):
 * reported, as its runner's, and listed with role in the job's record
 */
void state__job_container(struct state *s, const struct rs_key *agent, int kind,
			  const char *name, const struct container_ref *ref,
			  const struct cgroup_paths *paths, const struct rs_key *job,
			  const char *role);
/* the runner a job without an agent is counted for (until its record is first seen) */
void state__name_job(struct state *s, const struct rs_key *key, int kind, const char *name);

/*
 * Counts each busy runner's time up to now_boot (CLOCK_BOOTTIME, taken before the pass read
 * the kernel's records, which said its jobs were running then), into its pinned counters: a
 * runner's busy time is what those hold, so that no daemon shows more than it keeps. A job of
 * several processes between two of them counts up to its last exit
 */
void state__busy_checkpoint(struct state *s, uint64_t now_boot);

/* Drops runners past their grace period and jobs no longer in the kernel's map. */
void state__expire(struct state *s, uint64_t now_mono_ns);

/* --metrics.job-labels: the labelled job counts, under state__lock(); NULL when off */
struct joblabels *state__labels(struct state *s);

/* iteration for the exposition, under state__lock() */
struct runner *state__runners(struct state *s);
struct job *state__jobs(struct state *s);
/* the i-th most recently finished job (0: the newest), NULL past the last; under state__lock() */
const struct job_record *state__recent(struct state *s, int i);


#endif
