/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ABI shared by bpf/jobs.bpf.c and the daemon: map keys and values, ring buffer events.
 * Every struct has explicit padding and a size assertion; a layout change here is a change
 * of the pinned maps' format.
 */
#ifndef RUNNERSCOPE_JOBS_H
#define RUNNERSCOPE_JOBS_H

#define RS_COMM_LEN 16 /* TASK_COMM_LEN: exec sets comm to the executable's basename */
#define RS_ARG_LEN 16
#define RS_RULE_ALTS 4
#define RS_ARGV0_MAX 512
#define RS_CTX_HINTS 64 /* job_exec hints per job at most, while its context is not found */

/* a runner's kind: a number the daemon's table of CI systems gives (user/ci/kinds/kinds.h);
 * the programs only carry it */
#define RS_KIND_NONE 0

enum rs_role {
	RS_ROLE_NONE,
	RS_ROLE_AGENT, /* a runner agent: its descendants belong to it */
	RS_ROLE_JOB, /* one job: exec to exit; its descendants belong to it */
	RS_ROLE_MAX,
};

/* What the kernel counts per CPU in events_total; the first four also travel the ring buffer. */
enum rs_event_type {
	RS_EV_AGENT_START,
	RS_EV_AGENT_EXIT,
	RS_EV_JOB_START,
	RS_EV_JOB_EXIT,
	RS_EV_FORK, /* a tracked process forked: the child inherits its runner and job */
	RS_EV_EXIT, /* a tracked process exited */
	RS_EV_OOM, /* the OOM killer chose a tracked process */
	RS_EV_JOB_EXEC, /* a process of a job that still wants its context exec'd */
	RS_EV_CTR_INIT, /* the first process of a PID namespace (a container's init) exec'd */
	RS_EV_CTR_EXIT, /* a container init in inits_map exited */
	RS_EV_CTR_EXEC, /* a process exec'd in a container the daemon has not placed yet */
	RS_EV_AGENT_EXEC, /* a process of a gitea/gitlab agent's tree, in no job, exec'd */
	/* cgroups (include/cgroups.h): one whose name holds a container id was made, removed,
	 * had a task attached (counted only when its entry is made then), lost its last task,
	 * got its first */
	RS_EV_CG_MKDIR,
	RS_EV_CG_RMDIR,
	RS_EV_CG_ATTACH,
	RS_EV_CG_EMPTIED,
	RS_EV_CG_POPULATED,
	RS_EV_MAX,
};

enum rs_state {
	RS_STATE_RUNNING = 1,
	RS_STATE_FINISHED,
};

/* rule alternative flags */
#define RS_ALT_ANY_ARG 0x1 /* match whatever argv[1] is */

/* rules_map key: the comm of the task right after exec */
struct rs_rule_key {
	char comm[RS_COMM_LEN];
};
_Static_assert(sizeof(struct rs_rule_key) == 16, "rs_rule_key layout");

/*
 * rules_bloom: one bit per rule's comm, so that an exec whose comm is no rule's (nearly every
 * exec on a host) is told so without a hash lookup. The comm as two little-endian words.
 */
#define RS_BLOOM_WORDS 16 /* 1024 bits */
struct rs_bloom {
	__u64 bits[RS_BLOOM_WORDS];
};
_Static_assert(sizeof(struct rs_bloom) == 128, "rs_bloom layout");

static inline __u32 rs_comm_bit(__u64 w0, __u64 w1)
{
	return (__u32)(((w0 ^ (w1 * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL) >> 54);
}

/* One way an executable of that name can be started; arg1 is argv[1], zero-padded. */
struct rs_rule_alt {
	char arg1[RS_ARG_LEN];
	__u8 role;
	__u8 kind;
	__u8 flags;
	__u8 pad[5];
};
_Static_assert(sizeof(struct rs_rule_alt) == 24, "rs_rule_alt layout");

struct rs_rule {
	struct rs_rule_alt alt[RS_RULE_ALTS];
};
_Static_assert(sizeof(struct rs_rule) == 96, "rs_rule layout");

/*
 * A process instance: thread group id in the initial PID namespace plus the CLOCK_BOOTTIME
 * nanoseconds of its exec (or of its start, for processes found already running), so that a
 * reused pid never aliases an older agent or job.
 */
struct rs_key {
	__u32 tgid;
	__u32 pad;
	__u64 start_ns;
};
_Static_assert(sizeof(struct rs_key) == 16, "rs_key layout");

/* rs_proc flags */
#define RS_PROC_STEP 0x1 /* a step of its job: a failing exit fails the job (not inherited) */
/*
 * threads counts the process's threads that have not passed the exit tracepoint yet: set for
 * the entries the programs make (a fork's child, an exec), whose every thread they see
 * created. Without it (entries the daemon makes), the first thread to see the thread group's
 * live count at zero ends the process.
 */
#define RS_PROC_THREADS 0x2
/*
 * Its first exec, or that of a process it forks before it execs, is one of its job's steps:
 * a task attached to a job's container that runs a step there (runc's init, attached to the
 * cgroup before its last stage execs the step's command). Kept at fork, made RS_PROC_STEP at
 * the exec.
 */
#define RS_PROC_STEP_NEXT 0x4

/*
 * procs_map value, keyed by tgid: who a tracked process belongs to, inherited at fork.
 *
 * A job's key is its job process's, or for a job of several processes in turn (a GitLab job's
 * stages, a Gitea job's steps, a job container's restarts) one the daemon makes up: tgid 0 and
 * the start of its first process. The kernel never ends such a job; the daemon does.
 */
struct rs_proc {
	struct rs_key runner; /* zero when the process descends from no known agent */
	struct rs_key job; /* zero when the process is in no job */
	__u8 kind;
	__u8 flags; /* RS_PROC_* */
	__u8 pad[2];
	__s32 threads; /* with RS_PROC_THREADS: threads not yet past their exit */
};
_Static_assert(sizeof(struct rs_proc) == 40, "rs_proc layout");

/* agents_map value, keyed by the agent's rs_key */
struct rs_agent {
	__u64 end_ns;
	__s32 exit_code; /* wait status as the kernel keeps it: code << 8, or the signal */
	__u8 kind;
	__u8 state;
	__u8 pad[2];
};
_Static_assert(sizeof(struct rs_agent) == 16, "rs_agent layout");

/* jobs_map value, keyed by the job process's rs_key */
struct rs_job {
	struct rs_key runner;
	__u64 end_ns;
	/* CPU of the job's threads that have exited: exact runtime, and the sampled user and
	 * system times that split it (live threads are summed by iter_job_cpu) */
	__u64 run_ns;
	__u64 utime_ns;
	__u64 stime_ns;
	__u64 max_rss; /* bytes: the largest peak RSS among its exited processes */
	/* storage I/O of its exited threads (task I/O accounting: read_bytes, write_bytes) */
	__u64 io_read_bytes;
	__u64 io_write_bytes;
	__u64 wait_ns; /* time its exited threads waited runnable for a CPU (run_delay_ns()) */
	__u64 last_exit_ns; /* when a process of the job last exited */
	__s32 exit_code;
	__u32 live_procs; /* processes of the job alive now, including ones left after it ended */
	__u32 total_procs; /* processes the job ever had */
	__u32 oom_kills;
	__u32 failed_steps; /* its RS_PROC_STEP processes that ended with a failure */
	__u8 kind;
	__u8 state;
	__u8 pad[2];
};
_Static_assert(sizeof(struct rs_job) == 112, "rs_job layout");

/*
 * inits_map value, keyed by tgid: the init of a PID namespace (a container's first process),
 * from its exec on, until the daemon has said whether its container is a job's
 */
struct rs_init {
	__u64 start_ns; /* its first exec */
	__u64 end_ns;
	__s32 exit_code;
	__u32 hints; /* execs in its namespace still to report (RS_EV_CTR_EXEC) */
	__u8 state; /* RS_STATE_*: 0 while the daemon has not looked at it yet */
	__u8 pad[7];
};
_Static_assert(sizeof(struct rs_init) == 32, "rs_init layout");

/* iter_job_cpu output: one record per live thread of a job */
struct rs_task_cpu {
	struct rs_key job;
	__u64 run_ns;
	__u64 utime_ns;
	__u64 stime_ns;
	__u64 io_read_bytes; /* the thread's own storage I/O so far */
	__u64 io_write_bytes;
	__u64 rss; /* bytes resident: the thread group leader's record only, 0 in the others' */
	__u64 wait_ns; /* the thread's wait for a CPU so far */
	__u64 cpus; /* the CPUs it may run on: the first 64 of its affinity mask */
	/* the container cgroup its wait counts in (an rs_cg_key of cgroups.h); cg_id 0: none */
	__u64 cg_id;
	__u32 cg_hier;
	__u32 pad;
};
_Static_assert(sizeof(struct rs_task_cpu) == 96, "rs_task_cpu layout");

/* per-CPU counters of events_total, indexed by rs_event_type */
struct rs_event_count {
	__u64 sent;
	__u64 lost; /* ring buffer full, or a map full so the event could not be recorded */
};
_Static_assert(sizeof(struct rs_event_count) == 16, "rs_event_count layout");

/* ring buffer record: a hint that a record changed; the maps hold the truth */
struct rs_event {
	__u32 type;
	__u32 tgid;
	struct rs_key key; /* the agent or job the event is about */
	__u64 ts_ns;
	__s32 exit_code;
	__u8 kind;
	__u8 pad[3];
};
_Static_assert(sizeof(struct rs_event) == 40, "rs_event layout");

/*
 * A job's start, with the start of the environment its exec left (NAME=value strings, each
 * ended by a NUL): for jobs whose own process carries their context (a Buildkite bootstrap),
 * which may be gone before the daemon could read /proc. The record is 16 KiB with the ring
 * buffer's header; a plain rs_event is sent instead when the ring buffer is busy.
 */
#define RS_ENV_MAX (16384 - 8 - 48)
#define RS_ENV_CUT 1 /* the environment was longer than RS_ENV_MAX */
struct rs_env_event {
	struct rs_event ev;
	__u32 len; /* bytes of env */
	__u32 flags;
	char env[RS_ENV_MAX];
};
_Static_assert(sizeof(struct rs_env_event) == 16384 - 8, "rs_env_event layout");

/*
 * Pinned state. RS_LAYOUT names the format of every pinned map: bump it whenever a struct
 * above or below changes. A daemon that finds pinned maps of another layout copies what it
 * can field by field (by BTF member name) and says what it reset.
 */
#define RS_LAYOUT 5
#define RS_NAME_LEN 256 /* a runner name as exported: at most 255 bytes */
#define RS_RESULTS 6 /* success … abandoned, see user/ci/detect.h */
#define RS_DURATION_BUCKETS 15 /* 14 bounds, 1 s … 6 h, and +Inf */
#define RS_RSS_BUCKETS 8 /* 7 bounds, 16 MiB … 64 GiB, and +Inf */
#define RS_REASONS 7 /* why a job failed: oom_killed … disk_full, see user/ci/detect.h */

/* meta: one element describing the pinned set; gen says which programs are live */
struct rs_meta {
	__u32 layout; /* RS_LAYOUT of whoever created the pinned maps */
	__u32 gen; /* programs whose rodata gen differs do nothing */
	__u64 build; /* hash of the BPF object and its load-time settings */
	__u64 created_ns; /* CLOCK_BOOTTIME when the pinned set was made */
	__u32 attach; /* 1 tp_btf, 2 raw_tp */
	__u32 flags; /* none yet: 0 */
};

/*
 * procs_bits: one bit per tgid, up to PID_MAX_LIMIT (4194304 on 64-bit kernels), 63 to a word.
 * A word's top bit says its other bits are complete (every process of theirs with a procs_map
 * or inits_map entry has its bit), so that a clear bit there means untracked; the daemon sets
 * it once it has made sure. Kept in the word itself so that the test reads nothing else.
 */
#define RS_BITS_PER_WORD 63
#define RS_BITS_READY (1ULL << 63)
#define RS_BITS_WORDS ((4194304 + RS_BITS_PER_WORD - 1) / RS_BITS_PER_WORD)
_Static_assert(sizeof(struct rs_meta) == 32, "rs_meta layout");

/* runner_stats key: the runner's kind and name, zero-padded */
struct rs_runner_key {
	__u32 kind;
	char name[RS_NAME_LEN];
};
_Static_assert(sizeof(struct rs_runner_key) == 260, "rs_runner_key layout");

#define RS_ACCT_STARTED 0x1 /* counted in jobs_started */
#define RS_ACCT_FINISHED 0x2 /* counted in jobs_finished, duration and max_rss */
#define RS_ACCT_LOGGED 0x4 /* job_started written to the event log */

/* how much of one job its runner's counters hold */
struct rs_job_seen {
	__u64 cpu_user_ns;
	__u64 cpu_system_ns;
	__u64 io_read_bytes;
	__u64 io_write_bytes;
	__u32 oom_kills;
	__u32 flags; /* RS_ACCT_* */
	__u64 cpu_wait_ns;
};
_Static_assert(sizeof(struct rs_job_seen) == 48, "rs_job_seen layout");

/*
 * runner_stats value: a runner's counters, written only by the daemon and exported as they
 * are. last is the job of the latest update, with what the counters then held of it: a
 * daemon killed between this update and the job's job_acct update finds it here.
 */
struct rs_runner_stats {
	__u64 jobs_started;
	__u64 jobs_finished[RS_RESULTS];
	__u64 duration_ns_sum[RS_RESULTS];
	__u64 duration_buckets[RS_RESULTS][RS_DURATION_BUCKETS]; /* not cumulative */
	__u64 cpu_user_ns;
	__u64 cpu_system_ns;
	__u64 oom_kills;
	__u64 max_rss_sum; /* bytes */
	__u64 max_rss_buckets[RS_RSS_BUCKETS];
	/*
	 * Time with at least one job running, up to busy_until: the end of its last busy period
	 * (both CLOCK_BOOTTIME ns); the period going on now is added when it ends
	 */
	__u64 busy_ns;
	__u64 busy_until;
	__u64 io_read_bytes; /* storage I/O of its jobs' processes */
	__u64 io_write_bytes;
	__u64 failures[RS_REASONS]; /* finished jobs that did not succeed, by reason */
	__u64 cpu_wait_ns; /* its jobs' threads' wait for a CPU */
	__u64 ctx_missing; /* finished jobs whose context no process's environment gave */
	/* at each job's end, over its containers: CFS quota throttling and memory stall (PSI
	 * some), where the kernel told them (RS_STALL_* in stall_have) */
	__u64 cpu_throttled_ns;
	__u64 mem_stall_ns;
	__u64 stall_have;
	struct rs_key last_job;
	struct rs_job_seen last_seen;
};
_Static_assert(sizeof(struct rs_runner_stats) == 1112, "rs_runner_stats layout");

#define RS_STALL_THROTTLE 0x1 /* cpu_throttled_ns: a container's cpu.stat throttled time */
#define RS_STALL_MEMORY 0x2 /* mem_stall_ns: a container's memory.pressure some total */

/* job_acct value, keyed by the job's rs_key: its runner and what that runner counted of it */
struct rs_job_acct {
	struct rs_runner_key runner; /* kind 0: a job without a runner */
	__u32 pad;
	struct rs_job_seen seen;
};
_Static_assert(sizeof(struct rs_job_acct) == 312, "rs_job_acct layout");

#endif /* RUNNERSCOPE_JOBS_H */
