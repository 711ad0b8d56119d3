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
#include "ci/kinds/kinds.h"
#include "enrich/containers.h"
#include "enrich/workfs.h"
#include "state/joblabels.h"
#include "state/job_record.h"
#include "state/neighbours.h"

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
	uint64_t wait_ns; /* runnable, waiting for a CPU */
	uint64_t cpus; /* the CPUs its threads may run on, the first 64; 0: not known */
};

struct runner {
	UT_hash_handle hh;
	char hkey[NAME_LEN + 8]; /* "<kind>/<name>" */
	int kind;
	char name[NAME_LEN];
	char version[64];
	char tag[IDENTITY_TAG_LEN]; /* what its jobs name it by besides its name (identity.h) */
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
	char workdir[WORKDIR_LEN]; /* where its jobs work, as it sees it (ci/workdir.h); "": / */
	/* its work filesystem as last read, at fs_read_ns (CLOCK_MONOTONIC); have_fs 0: not
	 * read yet, or its folder could not be opened (fs_err), and it has no such series */
	struct workfs fs;
	int have_fs, fs_err;
	uint64_t fs_read_ns;
	unsigned int fs_listed; /* state__workdirs()'s scratch */
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
	/* at its end, over those containers: CFS quota throttling and memory stall, where their
	 * files told them (RS_STALL_* in stall_have) */
	unsigned int stall_have;
	uint64_t cpu_throttled_ns, mem_stall_ns;
	uint64_t cpus; /* the CPUs its threads may run on at the last pass (job_cpu.cpus) */
	struct nb_acc nb; /* who else had those CPUs while it ran */
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
	/* the kernel keeps each thread's wait for a CPU (CONFIG_SCHED_INFO): 0, and no job's
	 * wait is shown, where it does not */
	int cpu_wait;
	/* --jobs.disk-full-below: a job that fails with its runner's work filesystem below this
	 * percentage free at its end failed for the full disk; 0: never */
	double disk_full_below;
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
 * What the caller read of the outside world for a record, and what the state made of it. The
 * state reads nothing itself: a running agent it does not have yet (state__has_agent()) is
 * named by id, what the caller read of its process, and so is the runner of a job it does not
 * have yet whose agent it does not know (no id: "unknown").
 */
struct state_named {
	const struct identity *id; /* in: the process's identity, NULL when not read */
	char runner[NAME_LEN]; /* out: the runner id named, "" when id was not needed */
};

/*
 * Take the kernel's record of an agent or a job; for a job, live is the CPU so far of its
 * threads still running (NULL when not read this time), and ctx its context when known before
 * its start was taken (NULL otherwise); named may be NULL. Returns 1 when the record is done
 * with and may be deleted from the kernel map, 0 to keep it.
 */
int state__agent(struct state *s, const struct rs_key *key, const struct rs_agent *rec,
		 struct state_named *named);
int state__job(struct state *s, const struct rs_key *key, const struct rs_job *rec,
	       const struct job_cpu *live, const struct job_context *ctx,
	       struct state_named *named);
/* 1 when the state has this agent */
int state__has_agent(struct state *s, const struct rs_key *key);

/*
 * Whether a job wants its context from its next step: 1 while the state has it running
 * without one, 0 once it has one or is over, -1 when the state has not taken the job yet
 */
int state__job_wants_context(struct state *s, const struct rs_key *key);
/* a job's context, read by the caller from a step (state__job_wants_context()) */
void state__job_context(struct state *s, const struct rs_key *key, const struct job_context *ctx);
/* 1 when the state has taken this job's record */
int state__has_job(struct state *s, const struct rs_key *key);
/*
 * The agent of a live runner of this kind for a job of several processes: the runner with this
 * name or tag (identity.h; "" or NULL: any), else the only runner of the kind. 0 or -ENOENT.
 */
int state__pick_agent(struct state *s, int kind, const char *name, const char *tag,
		      struct rs_key *out);
/* runners' container names as the containers have them now (found late: kubelet's links) */
void state__sync_names(struct state *s);

/*
 * The running job a container marks (kinds__mark()), as its kind tells (kinds__marks_job(): a
 * runner's only running job, a job by its id). 0 and *job, or
 * -ENOENT (no such job running: a job that has ended counts nothing new) or -EEXIST (more
 * than one could be meant)
 */
int state__job_by_mark(struct state *s, const struct job_mark *m, struct rs_key *job);

/*
 * a job's container id, listed with role in the job's record: 0 with the name of the runner
 * whose it is in runner (the caller tells the containers), or -ENOENT when no runner has it
 */
int state__job_container(struct state *s, const struct rs_key *agent, int kind,
			 const char *name, const char *id, const struct rs_key *job, const char *role,
			 char runner[NAME_LEN]);
/* the runner a job without an agent is counted for (until its record is first seen) */
void state__name_job(struct state *s, const struct rs_key *key, int kind, const char *name);

/*
 * Counts each busy runner's time up to now_boot (CLOCK_BOOTTIME, taken before the pass read
 * the kernel's records, which said its jobs were running then), into its pinned counters: a
 * runner's busy time is what those hold, so that no daemon shows more than it keeps. A job of
 * several processes between two of them counts up to its last exit
 */
void state__busy_checkpoint(struct state *s, uint64_t now_boot);

/* a runner's work folder, and a live agent process of it to see the folder through */
struct runner_workdir {
	int kind;
	char name[NAME_LEN];
	pid_t pid;
	char dir[WORKDIR_LEN];
};
/*
 * The work folders of the runners with a live agent, for a pass to read outside the state's
 * lock: into *list, grown as needed (*cap: its room; the caller frees it). Returns how many.
 */
int state__workdirs(struct state *s, struct runner_workdir **list, int *cap);
/*
 * What was just read of a runner's work filesystem; fs NULL: its folder could not be opened
 * (err), and its series go until it can. Returns 1 when that is news (the first failure of
 * its kind, a first reading, or one after a failure): the caller's cue to say so once.
 */
int state__runner_fs(struct state *s, int kind, const char *name, const struct workfs *fs,
		     int err);
/*
 * A finished job's record whose end the state has not counted yet: its runner's work folder,
 * to be read fresh for why it failed (state__runner_fs(), then state__job()). 0, or -ENOENT
 * when its end is counted already or no live agent of its runner is known.
 */
int state__job_workdir(struct state *s, const struct rs_key *key, const struct rs_job *rec,
		       struct runner_workdir *out);

/* Drops runners past their grace period and jobs no longer in the kernel's map. */
void state__expire(struct state *s, uint64_t now_mono_ns);

/* --metrics.job-labels: the labelled job counts, under state__lock(); NULL when off */
struct joblabels *state__labels(struct state *s);
/* whether jobs' CPU wait is known (state_opts.cpu_wait) */
int state__cpu_wait(const struct state *s);

/*
 * A pass's CPU figures for the running jobs' neighbours (neighbours.h), after the jobs' and
 * the containers' own: busy_ns, each CPU's busy time (procfs__cpu_busy()) on a host of ncpus;
 * ctrs, what the containers that are no job's used since the last pass.
 */
void state__neighbours(struct state *s, uint64_t now_boot, const uint64_t *busy_ns, int ncpus,
		       const struct container_delta *ctrs, int nctrs);

/* iteration for the exposition, under state__lock() */
struct runner *state__runners(struct state *s);
struct job *state__jobs(struct state *s);
/* the i-th most recently finished job (0: the newest), NULL past the last; under state__lock() */
const struct job_record *state__recent(struct state *s, int i);
/*
 * A job that finished before this daemon started (read back from the event log), for the last
 * finished jobs: kept as if it had finished here, counted nowhere, told to nobody. A job kept
 * already (the same runner, pid and start) is not kept twice.
 */
void state__add_recent(struct state *s, const struct job_record *r);


#endif
