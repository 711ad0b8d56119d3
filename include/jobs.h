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

enum rs_kind {
	RS_KIND_NONE,
	RS_KIND_GITHUB,
	RS_KIND_GITEA,
	RS_KIND_GITLAB,
	RS_KIND_BUILDKITE,
	RS_KIND_MAX,
};

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

/* procs_map value, keyed by tgid: who a tracked process belongs to, inherited at fork */
struct rs_proc {
	struct rs_key runner; /* zero when the process descends from no known agent */
	struct rs_key job; /* zero when the process is in no job */
	__u8 kind;
	__u8 pad[7];
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
	__s32 exit_code;
	__u32 live_procs; /* processes of the job alive now, including ones left after it ended */
	__u32 total_procs; /* processes the job ever had */
	__u32 oom_kills;
	__u8 kind;
	__u8 state;
	__u8 pad[6];
};
_Static_assert(sizeof(struct rs_job) == 80, "rs_job layout");

/* iter_job_cpu output: one record per live thread of a job */
struct rs_task_cpu {
	struct rs_key job;
	__u64 run_ns;
	__u64 utime_ns;
	__u64 stime_ns;
};
_Static_assert(sizeof(struct rs_task_cpu) == 40, "rs_task_cpu layout");

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

#endif /* RUNNERSCOPE_JOBS_H */
