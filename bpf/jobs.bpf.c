// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Follows runner agents and their jobs through exec, fork and exit.
 *
 * An exec whose comm is in rules_map (set by the daemon) may start an agent or a job. Tracked
 * processes live in procs_map keyed by tgid; a fork copies the parent's entry to the child, so a
 * job's whole tree, daemonized or reparented, stays in the job. Agents and jobs have records in
 * agents_map/jobs_map that the kernel completes at exit: the daemon reconciles against those
 * records, and the ring buffer only tells it early that one changed.
 *
 * How a process is followed (its bit, its entry, what a fork's child inherits) is in
 * track.bpf.h, what goes to the daemon through the ring buffer in emit.bpf.h, and what differs
 * between kernels (the raw_tp arguments, what oom:mark_victim passes, which pointers a helper
 * may take) in core_fixes.bpf.h.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
/* the maps and settings the object's files share are defined here */
#define RS_DEFINE_SHARED
#include "common.bpf.h"
#include "core_fixes.bpf.h"
#include "emit.bpf.h"
#include "track.bpf.h"
#include "cg_key.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define PF_EXITING 0x00000004 /* include/linux/sched.h: set at the start of do_exit() */

/* set by the daemon before load */
const volatile __u8 oom_arg_is_task = 1; /* oom_victim_tgid(), core_fixes.bpf.h */
/* 1 << kind of the kinds with each trait (user/ci/detect.c's table, set at open) */
const volatile __u32 env_job_kinds = 0;
const volatile __u32 context_at_start_kinds = 0;

RS_MAP(rules_map, BPF_MAP_TYPE_HASH, struct rs_rule_key, struct rs_rule, 64);
RS_MAP(rules_bloom, BPF_MAP_TYPE_ARRAY, __u32, struct rs_bloom, 1);
RS_MAP(agents_map, BPF_MAP_TYPE_HASH, struct rs_key, struct rs_agent, 4096);
/* container inits the daemon has not placed yet, keyed by tgid (see container_exec()) */
RS_MAP(inits_map, BPF_MAP_TYPE_HASH, __u32, struct rs_init, 4096);
RS_MAP(argv_heap, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, char[RS_ARGV0_MAX], 1);
/* written by the daemon only; here so that they are pinned with BTF beside the rest */
RS_MAP_NOPREALLOC(runner_stats, BPF_MAP_TYPE_HASH, struct rs_runner_key, struct rs_runner_stats,
		  4096);
RS_MAP_NOPREALLOC(job_acct, BPF_MAP_TYPE_HASH, struct rs_key, struct rs_job_acct, 16384);
RS_MAP_NOPREALLOC(agent_acct, BPF_MAP_TYPE_HASH, struct rs_key, struct rs_runner_key, 4096);

/* how many execs in a new container are reported while the daemon has not placed it */
#define RS_INIT_HINTS 4

/* 1 when kind (below 32) is one of mask's kinds (1 << kind each) */
static __always_inline int kind_in(__u32 mask, __u8 kind)
{
	return kind < 32 && (mask >> kind) & 1;
}

/*
 * A job's repository, workflow and run come from the environment of its steps, which exist
 * only after the job process has started them: while the job still wants that (it has hints
 * left in ctx_map), a step's exec tells the daemon, with the step's environment or plain.
 */
static __always_inline void hint_context(struct task_struct *task, __u32 tgid,
					 const struct rs_proc *st)
{
	__u32 *left = bpf_map_lookup_elem(&ctx_map, &st->job);
	__u64 now;

	if (!left || *left == 0)
		return;
	__sync_fetch_and_add(left, -1);
	now = bpf_ktime_get_boot_ns();
	if (emit_env(task, RS_EV_JOB_EXEC, tgid, &st->job, now, st->kind))
		emit(RS_EV_JOB_EXEC, tgid, &st->job, now, 0, st->kind);
}

/* a process joins a job it did not fork from: as one of the job's steps */
static __always_inline int join_job(struct task_struct *task, __u32 tgid,
				    const struct rs_proc *of)
{
	struct rs_proc st = *of;

	/* just exec'd: one thread */
	st.flags = RS_PROC_STEP;
	one_thread(&st);
	if (!join_job_as(tgid, &st, RS_EV_JOB_EXEC))
		hint_context(task, tgid, &st);
	return 0;
}

/*
 * An untracked process exec'd. Outside any container (the host's PID namespace) that is all.
 * In a container: the namespace's first process is the container's init, recorded in inits_map
 * for the daemon to place (is the container a job's?); any other process joins the job its init
 * is in, as a step (`docker exec` into a Gitea job container), or, while the daemon has not
 * placed the container yet, is reported so that the daemon can read its environment.
 *
 * The pointers walked here (nsproxy, the namespace, its reaper) are only read, never handed
 * to a helper: whether the verifier trusts a pointer reached that way differs between kernel
 * builds of one version.
 */
static __always_inline int container_exec(struct task_struct *task, __u32 tgid)
{
	struct pid_namespace *ns;
	struct rs_init *in;
	struct rs_proc *st;
	struct rs_key key;
	__u32 rtgid;
	__u64 now;

	/* the host's processes, nearly all execs on most hosts, stop here: the level of the
	 * task's pid, a cache line the exec has just used, is 0 */
	if (!task->thread_pid->level)
		return 0;
	ns = task->nsproxy->pid_ns_for_children;
	if (!ns || !ns->level || !ns->child_reaper)
		return 0;
	rtgid = ns->child_reaper->tgid;
	now = bpf_ktime_get_boot_ns();
	if (rtgid == tgid) {
		struct rs_init init = { .start_ns = now, .hints = RS_INIT_HINTS };

		/* only its first exec: an init that execs again is the same container */
		mark_tracked(tgid);
		if (bpf_map_update_elem(&inits_map, &tgid, &init, BPF_NOEXIST)) {
			/* not there: the map is full */
			if (!bpf_map_lookup_elem(&inits_map, &tgid)) {
				unmark_tracked(tgid);
				count_event(RS_EV_CTR_INIT, 0);
			}
			return 0;
		}
		key = rs_key_of(tgid, now);
		emit(RS_EV_CTR_INIT, tgid, &key, now, 0, 0);
		return 0;
	}
	if (surely_untracked(rtgid))
		return 0;
	st = bpf_map_lookup_elem(&procs_map, &rtgid);
	if (st) {
		if (!rs_key_is_zero(&st->job))
			return join_job(task, tgid, st);
		return 0;
	}
	in = bpf_map_lookup_elem(&inits_map, &rtgid);
	if (!in || !in->hints || in->state)
		return 0;
	__sync_fetch_and_add(&in->hints, -1);
	key = rs_key_of(rtgid, in->start_ns);
	emit(RS_EV_CTR_EXEC, tgid, &key, now, 0, 0);
	return 0;
}

/* argv[1] of the current process, zero-padded to RS_ARG_LEN; empty when there is none */
static __always_inline void read_arg1(struct task_struct *task, char arg1[RS_ARG_LEN])
{
	struct mm_struct *mm = task->mm;
	unsigned long start, end;
	__u32 zero = 0;
	char *buf = bpf_map_lookup_elem(&argv_heap, &zero);
	long n;

	if (!buf || !mm)
		return;
	start = mm->arg_start;
	end = mm->arg_end;
	n = bpf_probe_read_user_str(buf, RS_ARGV0_MAX, (void *)start);
	/* an argv[0] as long as the buffer leaves argv[1]'s offset unknown: treat as absent */
	if (n <= 0 || n >= RS_ARGV0_MAX || start + n >= end)
		return;
	bpf_probe_read_user_str(arg1, RS_ARG_LEN, (void *)(start + n));
}

static __always_inline int arg_eq(const char a[RS_ARG_LEN], const char b[RS_ARG_LEN])
{
	const __u64 *x = (const __u64 *)a, *y = (const __u64 *)b;

	return x[0] == y[0] && x[1] == y[1];
}

/* in an agent's tree but in no job: for a Gitea or GitLab agent, a host-mode step or a shell
 * job's command, known only by its environment */
static __always_inline int agent_tree_exec(__u32 tgid, const struct rs_proc *st)
{
	if (kind_in(env_job_kinds, st->kind) && st->runner.tgid != tgid)
		emit(RS_EV_AGENT_EXEC, tgid, &st->runner, bpf_ktime_get_boot_ns(), 0, st->kind);
	return 0;
}

/* a process of a job exec'd: the job's step, whose environment may tell the job's context */
static __always_inline int job_member_exec(struct task_struct *task, __u32 tgid,
					   struct rs_proc *st)
{
	/* the command a task attached to a job's container was there to run (include/jobs.h) */
	if (st->flags & RS_PROC_STEP_NEXT)
		st->flags = (st->flags & ~RS_PROC_STEP_NEXT) | RS_PROC_STEP;
	if (st->job.tgid != tgid)
		hint_context(task, tgid, st);
	return 0;
}

/*
 * An exec that starts nothing: what follows for a process in an agent's tree, in a job, or in
 * a container. (tgid is read here, not passed in: passed, the same value in two places of the
 * exec program made clang leave its fast path two divisions, not one, for tgid's word and bit.)
 */
static __always_inline int follow_exec(struct task_struct *task)
{
	__u32 tgid = task->tgid;
	struct rs_proc *st;

	/* the bit is the process's, whichever of its threads exec'd */
	if (surely_untracked(tgid))
		return container_exec(task, tgid);
	st = bpf_map_lookup_elem(&procs_map, &tgid);
	if (!st)
		return container_exec(task, tgid);
	if (rs_key_is_zero(&st->job))
		return agent_tree_exec(tgid, st);
	return job_member_exec(task, tgid, st);
}

/* 0 when no rule has the comm (w0, w1: its two words): its bit in rules_bloom is clear */
static __always_inline int rule_candidate(__u64 w0, __u64 w1)
{
	__u32 zero = 0, bit = rs_comm_bit(w0, w1);
	struct rs_bloom *bloom = bpf_map_lookup_elem(&rules_bloom, &zero);

	if (bloom && !(bloom->bits[(bit >> 6) & (RS_BLOOM_WORDS - 1)] & (1ULL << (bit & 63))))
		return 0;
	return 1;
}

static __always_inline struct rs_rule *rule_of(__u64 w0, __u64 w1)
{
	struct rs_rule_key rk = {};

	__builtin_memcpy(&rk.comm[0], &w0, 8);
	__builtin_memcpy(&rk.comm[8], &w1, 8);
	return bpf_map_lookup_elem(&rules_map, &rk);
}

/* the role the exec takes by the rule: that of its first alternative whose argv[1] matches
 * (RS_ROLE_NONE when none does), with the alternative's kind */
static __always_inline __u8 classify(struct task_struct *task, const struct rs_rule *rule,
				     __u8 *kind)
{
	char arg1[RS_ARG_LEN] = {};
	int i;

	read_arg1(task, arg1);
#pragma unroll
	for (i = 0; i < RS_RULE_ALTS; i++) {
		const struct rs_rule_alt *alt = &rule->alt[i];

		if (alt->role == RS_ROLE_NONE)
			continue;
		if ((alt->flags & RS_ALT_ANY_ARG) || arg_eq(alt->arg1, arg1)) {
			*kind = alt->kind;
			return alt->role;
		}
	}
	return RS_ROLE_NONE;
}

/*
 * An agent starts: its agents_map record (running) and its process's procs_map entry, then
 * RS_EV_AGENT_START. A process in a job stays in it: an agent started by a job still ends
 * with that job's tree.
 */
static __always_inline int agent_start(__u32 tgid, __u8 kind)
{
	__u64 now = bpf_ktime_get_boot_ns();
	struct rs_proc *cur = bpf_map_lookup_elem(&procs_map, &tgid);
	struct rs_proc st = {};
	struct rs_agent a = { .kind = kind, .state = RS_STATE_RUNNING };

	if (cur)
		st = *cur;
	st.runner = rs_key_of(tgid, now);
	st.kind = kind;
	one_thread(&st);
	if (start_record(&agents_map, &st.runner, &a, tgid, &st, RS_EV_AGENT_START))
		return 0;
	emit(RS_EV_AGENT_START, tgid, &st.runner, now, 0, kind);
	return 0;
}

/*
 * A job starts: its jobs_map record (running, one process) and its process's procs_map entry,
 * hints for its context, then RS_EV_JOB_START; with the process's environment where the
 * kind's job process carries its context (a Buildkite bootstrap). A job process inside a job
 * is part of that job, not a new one.
 */
static __always_inline int job_start(struct task_struct *task, __u32 tgid, __u8 kind)
{
	__u64 now = bpf_ktime_get_boot_ns();
	struct rs_proc *cur = bpf_map_lookup_elem(&procs_map, &tgid);
	struct rs_proc st = {};
	struct rs_job j = {};
	__u32 hints = RS_CTX_HINTS;

	if (cur) {
		if (!rs_key_is_zero(&cur->job))
			return 0;
		st = *cur;
	}
	st.job = rs_key_of(tgid, now);
	st.kind = kind;
	one_thread(&st);
	j.runner = st.runner;
	j.kind = kind;
	j.state = RS_STATE_RUNNING;
	j.live_procs = 1;
	j.total_procs = 1;
	if (start_record(&jobs_map, &st.job, &j, tgid, &st, RS_EV_JOB_START))
		return 0;
	/* best effort: without it the job is still counted, only its context is not read */
	bpf_map_update_elem(&ctx_map, &st.job, &hints, BPF_ANY);
	if (!kind_in(context_at_start_kinds, kind) ||
	    emit_env(task, RS_EV_JOB_START, tgid, &st.job, now, kind))
		emit(RS_EV_JOB_START, tgid, &st.job, now, 0, kind);
	return 0;
}

/*
 * An exec: whether its comm may be a rule's, which rule's and what role that gives it; then
 * an agent's or a job's start, or what follows for a process already followed. task is
 * current, the thread group's leader since the exec (de_thread), in both flavours a BTF
 * pointer that can be read directly.
 */
static __always_inline int handle_exec(struct task_struct *task)
{
	__u32 tgid = task->tgid;
	__u64 w0 = *(__u64 *)&task->comm[0], w1 = *(__u64 *)&task->comm[8];
	__u8 role, kind = RS_KIND_NONE;
	struct rs_rule *rule;

	if (!rule_candidate(w0, w1)) {
		/* no rule's name, untracked, in the host's PID namespace: nearly every exec */
		if (surely_untracked(tgid) && !task->thread_pid->level)
			return 0;
		return live_meta() ? follow_exec(task) : 0;
	}
	if (!live_meta())
		return 0;
	rule = rule_of(w0, w1);
	if (!rule)
		return follow_exec(task);
	role = classify(task, rule, &kind);
	if (role == RS_ROLE_NONE)
		return 0;
	if (role == RS_ROLE_AGENT)
		return agent_start(tgid, kind);
	return job_start(task, tgid, kind);
}

/*
 * Fork and exit run for every task on the host, so the untracked case is one bit, found from
 * the forking parent's or the exiting task's tgid. The child's pid and tgid are read only for
 * a tracked parent: directly where the child is a BTF pointer (child_btf), through a helper
 * where it is not (raw_tp_cur).
 */
static __always_inline int handle_fork(struct task_struct *parent, struct task_struct *child,
				       const int child_btf)
{
	struct rs_proc *st;
	__u32 ptgid, ctgid, cpid;

	ptgid = parent->tgid;
	/* a container's process's child is the container's too (its threads share its bit) */
	if (in_container(ptgid)) {
		ctgid = child_btf ? child->tgid : BPF_CORE_READ(child, tgid);
		if (ctgid != ptgid)
			mark_container(ctgid);
	}
	if (surely_untracked(ptgid) || !live_meta())
		return 0;
	st = bpf_map_lookup_elem(&procs_map, &ptgid);
	if (!st)
		return 0;
	ctgid = child_btf ? child->tgid : BPF_CORE_READ(child, tgid);
	cpid = child_btf ? child->pid : BPF_CORE_READ(child, pid);
	if (cpid != ctgid)
		add_thread(st);
	else
		inherit(st, ctgid);
	return 0;
}

/* a container init the daemon has not placed yet ended: its exit is kept for the daemon */
static __always_inline void init_exit(struct task_struct *task, __u32 tgid)
{
	struct rs_init *in = bpf_map_lookup_elem(&inits_map, &tgid);
	struct rs_key key;

	if (!in || in->state)
		return;
	in->end_ns = bpf_ktime_get_boot_ns();
	in->exit_code = task->exit_code;
	in->state = RS_STATE_FINISHED;
	key = rs_key_of(tgid, in->start_ns);
	emit(RS_EV_CTR_EXIT, tgid, &key, in->end_ns, in->exit_code, 0);
}

/* a thread of a followed container's cgroup ends: its wait for a CPU is the container's */
static __always_inline void wait_of_container(struct task_struct *task)
{
	struct rs_cg_key key;
	struct rs_cgroup *v;

	if (!wait_key(task, &key))
		return;
	v = bpf_map_lookup_elem(&cgroups_map, &key);
	if (v && live_meta())
		__sync_fetch_and_add(&v->wait_ns, run_delay_ns(task));
}

/* a thread of a job ends: its CPU, storage I/O and wait for a CPU go to the job's record */
static __always_inline void thread_to_job(struct task_struct *task, const struct rs_key *job)
{
	struct rs_job *j = bpf_map_lookup_elem(&jobs_map, job);

	if (!j)
		return;
	__sync_fetch_and_add(&j->run_ns, task->se.sum_exec_runtime);
	__sync_fetch_and_add(&j->utime_ns, task->utime);
	__sync_fetch_and_add(&j->stime_ns, task->stime);
	__sync_fetch_and_add(&j->io_read_bytes, io_read_bytes(task));
	__sync_fetch_and_add(&j->io_write_bytes, io_write_bytes(task));
	__sync_fetch_and_add(&j->wait_ns, run_delay_ns(task));
}

/*
 * A process of a job ended (st: its entry, gone): the job's peak memory, its last exit, a
 * failed step, one live process fewer; the job process's end completes the job's record.
 */
static __always_inline void proc_left_job(struct task_struct *task, __u32 tgid,
					  const struct rs_proc *st, __s32 code, __u64 now)
{
	struct rs_job *j = bpf_map_lookup_elem(&jobs_map, &st->job);
	__u64 rss;

	if (!j)
		return;
	/* do_exit() folded the peak into signal->maxrss (pages) before this point */
	rss = task->signal->maxrss * page_size;
	/* a plain max: two processes of one job ending on two CPUs at once may keep the smaller
	 * peak */
	if (rss > j->max_rss)
		j->max_rss = rss;
	j->last_exit_ns = now;
	if ((st->flags & RS_PROC_STEP) && code)
		__sync_fetch_and_add(&j->failed_steps, 1);
	__sync_fetch_and_add(&j->live_procs, -1);
	if (st->job.tgid == tgid) {
		j->end_ns = now;
		j->exit_code = code;
		j->state = RS_STATE_FINISHED;
		emit(RS_EV_JOB_EXIT, tgid, &st->job, now, code, st->kind);
	}
}

/* an agent's process ended: its record is completed */
static __always_inline void agent_exit(__u32 tgid, const struct rs_proc *st, __s32 code,
				       __u64 now)
{
	struct rs_agent *a = bpf_map_lookup_elem(&agents_map, &st->runner);

	if (a) {
		a->end_ns = now;
		a->exit_code = code;
		a->state = RS_STATE_FINISHED;
	}
	emit(RS_EV_AGENT_EXIT, tgid, &st->runner, now, code, st->kind);
}

static __always_inline int handle_exit(struct task_struct *task)
{
	struct rs_proc *cur, st;
	__u32 tgid;
	__s32 code;
	__u64 now;
	int last;

	tgid = task->tgid;
	if (in_container(tgid)) {
		wait_of_container(task);
		if (task->signal->live.counter == 0)
			unmark_container(tgid);
	}
	if (surely_untracked(tgid) || !live_meta())
		return 0;
	/* only the last thread of a thread group ends the process */
	last = task->signal->live.counter == 0;
	cur = bpf_map_lookup_elem(&procs_map, &tgid);
	if (!cur) {
		if (last) {
			init_exit(task, tgid);
			/* the pid cannot be reused before this program returns: a bit left set by
			 * an entry the daemon removed goes with its process */
			unmark_tracked(tgid);
		}
		return 0;
	}
	if (!rs_key_is_zero(&cur->job))
		thread_to_job(task, &cur->job);
	if (threads_left(cur) || !last)
		return 0;
	st = *cur;
	/* two exiting threads can both see live == 0: the one that deletes the entry reports */
	if (bpf_map_delete_elem(&procs_map, &tgid))
		return 0;
	unmark_tracked(tgid);
	count_event(RS_EV_EXIT, 1);
	code = task->exit_code;
	now = bpf_ktime_get_boot_ns();
	if (!rs_key_is_zero(&st.job))
		proc_left_job(task, tgid, &st, code, now);
	if (st.runner.tgid == tgid)
		agent_exit(tgid, &st, code, now);
	return 0;
}

/*
 * BTF-typed tracepoints, preferred: their task arguments are BTF pointers. For all three
 * events the task is current (the exec'ing task, the forking parent, the exiting task); only
 * the fork's child is not.
 */
SEC("tp_btf/sched_process_exec")
int BPF_PROG(tp_btf_handle_exec, struct task_struct *p, pid_t old_pid)
{
	return handle_exec(p);
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(tp_btf_handle_fork, struct task_struct *parent, struct task_struct *child)
{
	return handle_fork(parent, child, 1);
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(tp_btf_handle_exit, struct task_struct *p)
{
	return handle_exit(p);
}

/*
 * Raw tracepoints, for kernels where tp_btf cannot load. Their arguments are plain numbers,
 * cast to BTF pointers that may be loaded from (raw_task(), core_fixes.bpf.h): the same
 * loads, the same bit, the same cost as tp_btf.
 */

SEC("raw_tp/sched_process_exec")
int BPF_PROG(raw_tp_handle_exec, __u64 p)
{
	return handle_exec(raw_task(p));
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(raw_tp_handle_fork, __u64 parent, __u64 child)
{
	return handle_fork(raw_task(parent), raw_task(child), 1);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(raw_tp_handle_exit, __u64 p)
{
	return handle_exit(raw_task(p));
}

/* the same where the kernel has no bpf_rdonly_cast(): current through a helper */
SEC("raw_tp/sched_process_exec")
int BPF_PROG(raw_tp_cur_handle_exec)
{
	return handle_exec(bpf_get_current_task_btf());
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(raw_tp_cur_handle_fork, struct task_struct *parent, struct task_struct *child)
{
	return handle_fork(bpf_get_current_task_btf(), child, 0);
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(raw_tp_cur_handle_exit)
{
	return handle_exit(bpf_get_current_task_btf());
}

/* the OOM killer chose a victim: count it for the victim's job */
SEC("raw_tp/mark_victim")
int handle_mark_victim(struct bpf_raw_tracepoint_args *ctx)
{
	struct rs_proc *st;
	struct rs_job *j;
	__u32 tgid;

	if (!live_meta())
		return 0;
	tgid = oom_victim_tgid(ctx->args[0], oom_arg_is_task);
	st = bpf_map_lookup_elem(&procs_map, &tgid);
	if (!st || rs_key_is_zero(&st->job))
		return 0;
	j = bpf_map_lookup_elem(&jobs_map, &st->job);
	if (!j) {
		count_event(RS_EV_OOM, 0);
		return 0;
	}
	__sync_fetch_and_add(&j->oom_kills, 1);
	count_event(RS_EV_OOM, 1);
	return 0;
}

/*
 * Walked by the daemon on each pass: the CPU so far of every live thread in a job, so a
 * running job's CPU grows while it runs. A thread past PF_EXITING is left out: its exit adds
 * it to the job record (or is about to), and it must not count twice.
 */
SEC("iter/task")
int iter_job_cpu(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct rs_task_cpu rec;
	struct rs_cg_key cg;
	struct rs_proc *st;
	__u32 tgid;

	if (!task || (task->flags & PF_EXITING))
		return 0;
	tgid = task->tgid;
	st = bpf_map_lookup_elem(&procs_map, &tgid);
	__builtin_memset(&rec, 0, sizeof(rec));
	/* a thread of a followed container: its wait is the container's too (and its exit
	 * counts it there, one there since before the daemon included) */
	if (wait_key(task, &cg) && bpf_map_lookup_elem(&cgroups_map, &cg)) {
		rec.cg_id = cg.id;
		rec.cg_hier = cg.hier;
		mark_container(tgid);
	}
	if (st && !rs_key_is_zero(&st->job))
		rec.job = st->job;
	else if (!rec.cg_id)
		return 0;
	rec.run_ns = task->se.sum_exec_runtime;
	rec.utime_ns = task->utime;
	rec.stime_ns = task->stime;
	rec.io_read_bytes = io_read_bytes(task);
	rec.io_write_bytes = io_write_bytes(task);
	/* the threads of a process share its memory: counted once, with its leader */
	rec.rss = (__u32)task->pid == tgid ? rss_bytes(task) : 0;
	rec.wait_ns = run_delay_ns(task);
	rec.cpus = task->cpus_ptr->bits[0];
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}
