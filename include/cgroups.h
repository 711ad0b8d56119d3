/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ABI shared by bpf/cgroups.bpf.c and the daemon: the cgroups the kernel follows from their
 * mkdir to their rmdir (those whose name holds a container id), what their own counters said
 * when they were removed, and what the daemon tells the programs of them. Include after
 * jobs.h (struct rs_key, RS_NAME_LEN); the pinned maps here are part of its RS_LAYOUT.
 */
#ifndef RUNNERSCOPE_CGROUPS_H
#define RUNNERSCOPE_CGROUPS_H

#define RS_CG_PATH 512 /* a cgroup's path in its hierarchy with its NUL; longer ones are cut */
/*
 * A container's own cgroup is named for it: 64 lowercase hex digits, alone or between a
 * runtime's prefix and ".scope" (docker-<id>.scope, cri-containerd-<id>.scope, …), within
 * RS_CG_NAME bytes. The programs keep a cgroup whose name has such a run; the daemon, which
 * knows the layouts (user/enrich/cgroup_path.c), drops those that are no container's.
 */
#define RS_CG_NAME 96
#define RS_CG_ID_RUN 64
#define RS_CG_HIERS 32 /* hierarchy ids the programs can follow: 0 (cgroup2) to 31 */

/* a cgroup: its hierarchy's id (0 for cgroup2, the v1 ones as /proc/cgroups numbers them)
 * and its id there, which is its kernfs node's and its directory's inode number */
struct rs_cg_key {
	__u64 id;
	__u32 hier;
	__u32 pad;
};
_Static_assert(sizeof(struct rs_cg_key) == 16, "rs_cg_key layout");

enum rs_cg_state {
	RS_CG_LIVE = 1,
	RS_CG_REMOVED,
	RS_CG_STATE_MAX,
};

#define RS_CGF_CPU 0x1 /* cpu_*: v1 cpuacct's usage and its user/system split */
#define RS_CGF_RSTAT 0x2 /* cpu_*: cgroup2's base statistics (cpu.stat) */
#define RS_CGF_MEMORY 0x4 /* mem_peak and oom_kills: the memory controller's */

/* what a cgroup's own counters said when it was removed: its files' figures, as they were */
struct rs_cg_final {
	__u64 cpu_usage_ns; /* cpuacct.usage, cpu.stat usage_usec */
	__u64 cpu_user_ns; /* the sampled user and system times the files split usage by */
	__u64 cpu_system_ns;
	__u64 mem_peak; /* bytes: memory.max_usage_in_bytes, memory.peak */
	__u64 oom_kills; /* memory.oom_control's and memory.events' oom_kill */
	__u32 have; /* RS_CGF_*: what the cgroup's hierarchy accounts */
	__u32 pad;
};
_Static_assert(sizeof(struct rs_cg_final) == 48, "rs_cg_final layout");

#define RS_CG_CUT 0x1 /* path was longer than RS_CG_PATH - 1 bytes: cut */
#define RS_CG_FOUND 0x2 /* made by the daemon for a cgroup there before it (its walk) */
#define RS_CG_AT_ATTACH 0x4 /* made when a task was attached: its mkdir went unseen */
#define RS_CG_TASKS 0x8 /* it has tasks (notify_populated), as far as the programs saw */

/*
 * cgroups_map value, by rs_cg_key: made by the programs at mkdir (or at the first attach when
 * the mkdir went unseen, or by the daemon's walk), completed by them at rmdir, deleted by the
 * daemon once it has taken the removal. state comes first and is written last: a reader that
 * sees RS_CG_REMOVED sees fin complete.
 */
struct rs_cgroup {
	__u8 state; /* enum rs_cg_state */
	__u8 flags; /* RS_CG_* */
	__u16 level; /* its depth in its hierarchy */
	__u32 attached; /* tasks attached to it */
	__u64 made_ns; /* CLOCK_BOOTTIME of its mkdir; 0 when it was there before */
	__u64 emptied_ns; /* its last task left; 0 while it has tasks (or never had one) */
	__u64 removed_ns; /* rmdir; 0 while it is there */
	/* the waits for a CPU (run_delay) of the threads that exited in it: in the one hierarchy
	 * a task's wait counts in (wait_cgroup()), 0 in the others */
	__u64 wait_ns;
	struct rs_cg_final fin; /* at rmdir */
	char path[RS_CG_PATH]; /* its path in its hierarchy, from its root */
};
_Static_assert(sizeof(struct rs_cgroup) == 40 + 48 + RS_CG_PATH, "rs_cgroup layout");

/*
 * cg_jobs value, by rs_cg_key, written by the daemon only: the cgroup is a job's container's,
 * and a task attached to it joins that job: as a step once the cgroup has had a task before,
 * or from the first when init_step says the container's init is one (a GitLab stage's)
 */
struct rs_cg_job {
	struct rs_key job;
	struct rs_key runner;
	__u8 kind;
	__u8 init_step;
	__u8 pad[6];
};
_Static_assert(sizeof(struct rs_cg_job) == 40, "rs_cg_job layout");

/* ring buffer record of a cgroup event: a hint, the cgroups_map entry says what is true */
struct rs_cg_event {
	__u32 type; /* RS_EV_CG_*: first, as rs_event's */
	__u32 hier;
	__u64 id;
	__u64 ts_ns;
};
_Static_assert(sizeof(struct rs_cg_event) == 24, "rs_cg_event layout");

/*
 * ctr_counts (written by the daemon only): containers created and removed, by the labels they
 * were counted under; exported as they are (runnerscope_containers_created_total, …)
 */
#define RS_ROLE_LEN 16
struct rs_ctr_labels {
	__u32 runtime; /* enum container_runtime (user/enrich/cgroup_path.h) */
	__u32 kind; /* the runner's kind (jobs.h), 0: no runner's */
	char role[RS_ROLE_LEN]; /* a job's container's role, "" otherwise */
	char runner[RS_NAME_LEN];
};
_Static_assert(sizeof(struct rs_ctr_labels) == 280, "rs_ctr_labels layout");

struct rs_ctr_count {
	__u64 created;
	__u64 removed;
};
_Static_assert(sizeof(struct rs_ctr_count) == 16, "rs_ctr_count layout");

/*
 * ctr_acct (written by the daemon only), by container id: a container counted as created, and
 * the labels it was counted under, until its removal is counted too
 */
struct rs_ctr_id {
	char id[64];
};
_Static_assert(sizeof(struct rs_ctr_id) == 64, "rs_ctr_id layout");

struct rs_ctr_acct {
	struct rs_ctr_labels as;
	__u32 pad;
	/* one of the cgroups it was counted for: a container made again under the same id (a
	 * restart) has others, and is counted again */
	struct rs_cg_key cg;
};
_Static_assert(sizeof(struct rs_ctr_acct) == 304, "rs_ctr_acct layout");

#endif /* RUNNERSCOPE_CGROUPS_H */
