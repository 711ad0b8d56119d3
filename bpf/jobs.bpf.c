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
 * What differs between kernels, and what this file does about it (the matrix of tests/vm/
 * loads and runs it on Debian's 6.1 and 6.12 and on the host's kernel, in both flavours):
 * - Which pointers a helper may take. Since 6.2 the verifier tells trusted pointers from
 *   others, and whether a pointer reached through a walk (task->nsproxy->…) is trusted
 *   differs between builds of one version: a 6.18 build rejected bpf_task_storage_get() on
 *   ns->child_reaper->group_leader. No helper here takes a pointer argument it must trust
 *   (BPF_CORE_READ's probe reads take any address); tracking is a bit per tgid (procs_bits),
 *   not task storage.
 * - How often a ring-buffer reservation may be tested for NULL: once (see emit()); 6.1's
 *   verifier follows a second test's impossible branch with the reservation held.
 * - What oom:mark_victim passes: the task since 6.8, its pid before (oom_arg_is_task).
 * - raw_tp arguments are plain numbers. Since 6.2 bpf_rdonly_cast() makes one a BTF pointer to
 *   load from at no cost (the verifier replaces the call with a move): the raw_tp_* programs.
 *   Before, the raw_tp_cur_* programs read current through bpf_get_current_task_btf() (5.11),
 *   a helper call that cost each event tens of nanoseconds in bench/run.py on a 6.18 build,
 *   and the fork's child through BPF_CORE_READ. The daemon loads one set or the other, as
 *   the kernel's BTF has the kfunc or not: a program that calls a kfunc the kernel lacks does
 *   not load, even where that call could never run.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
/* the maps and settings the object's files share are defined here */
#define RS_DEFINE_SHARED
#include "common.bpf.h"
#include "core_fixes.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define PF_EXITING 0x00000004 /* include/linux/sched.h: set at the start of do_exit() */

/* set by the daemon before load */
const volatile __u8 oom_arg_is_task = 1; /* mark_victim passes the task (6.8+) or its pid */
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

/*
 * A job's start with its environment (struct rs_env_event), read from the new image's stack
 * as the exec left it. 0 when sent; -1 when the ring buffer is busy or the record could not
 * be had, and the caller sends a plain event.
 */
static __always_inline int emit_env(struct task_struct *task, __u32 type, __u32 tgid,
				    const struct rs_key *key, __u64 ts, __u8 kind)
{
	struct mm_struct *mm = task->mm;
	struct rs_env_event *e;
	__u64 start, end, len;

	/* a quarter of the ring at most: the plain events must always find room */
	if (!mm || bpf_ringbuf_query(&events_rb, BPF_RB_AVAIL_DATA) > 64 * 1024)
		return -1;
	e = bpf_ringbuf_reserve(&events_rb, sizeof(*e), 0);
	if (!e)
		return -1;
	e->ev.type = type;
	e->ev.tgid = tgid;
	e->ev.key = *key;
	e->ev.ts_ns = ts;
	e->ev.exit_code = 0;
	e->ev.kind = kind;
	e->flags = 0;
	start = mm->env_start;
	end = mm->env_end;
	len = end > start ? end - start : 0;
	if (len > RS_ENV_MAX) {
		len = RS_ENV_MAX;
		e->flags = RS_ENV_CUT;
	}
	if (len && bpf_probe_read_user(e->env, len, (const void *)start))
		len = 0;
	e->len = len;
	count_event(type, 1);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

static __always_inline __u32 runs_env_jobs(__u8 kind)
{
	/* kinds whose host-mode and shell jobs are told apart only by their environment */
	return kind < 32 && (env_job_kinds >> kind) & 1;
}

/* a process joins a job it did not fork from: as one of the job's steps */
static __always_inline int join_job(__u32 tgid, const struct rs_proc *of)
{
	struct rs_proc st = *of;
	__u32 *left;

	/* just exec'd: one thread */
	st.flags = RS_PROC_STEP | RS_PROC_THREADS;
	st.threads = 1;
	if (join_job_as(tgid, &st, RS_EV_JOB_EXEC))
		return 0;
	/* its environment may name the job's repository and workflow */
	left = bpf_map_lookup_elem(&ctx_map, &st.job);
	if (left && *left) {
		__sync_fetch_and_add(left, -1);
		emit(RS_EV_JOB_EXEC, tgid, &st.job, bpf_ktime_get_boot_ns(), 0, st.kind);
	}
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
		key.tgid = tgid;
		key.pad = 0;
		key.start_ns = now;
		emit(RS_EV_CTR_INIT, tgid, &key, now, 0, 0);
		return 0;
	}
	if (surely_untracked(rtgid))
		return 0;
	st = bpf_map_lookup_elem(&procs_map, &rtgid);
	if (st) {
		if (!rs_key_is_zero(&st->job))
			return join_job(tgid, st);
		return 0;
	}
	in = bpf_map_lookup_elem(&inits_map, &rtgid);
	if (!in || !in->hints || in->state)
		return 0;
	__sync_fetch_and_add(&in->hints, -1);
	key.tgid = rtgid;
	key.pad = 0;
	key.start_ns = in->start_ns;
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

/*
 * A job's repository, workflow and run come from the environment of its steps, which exist
 * only after the job process has started them: tell the daemon when one execs, while the job
 * still wants that and has hints left.
 */
static __always_inline int hint_context(struct task_struct *task, __u32 tgid)
{
	struct rs_proc *st;
	__u32 *left;

	/* the bit is the process's, whichever of its threads exec'd */
	if (surely_untracked(tgid))
		return container_exec(task, tgid);
	st = bpf_map_lookup_elem(&procs_map, &tgid);
	if (!st)
		return container_exec(task, tgid);
	if (rs_key_is_zero(&st->job)) {
		/* in a Gitea or GitLab agent's tree but in no job: a host-mode step or a shell
		 * job's command, known only by its environment */
		if (runs_env_jobs(st->kind) && st->runner.tgid != tgid)
			emit(RS_EV_AGENT_EXEC, tgid, &st->runner, bpf_ktime_get_boot_ns(), 0,
			     st->kind);
		return 0;
	}
	/* the command a task attached to a job's container was there to run (include/jobs.h) */
	if (st->flags & RS_PROC_STEP_NEXT)
		st->flags = (st->flags & ~RS_PROC_STEP_NEXT) | RS_PROC_STEP;
	if (st->job.tgid == tgid)
		return 0;
	left = bpf_map_lookup_elem(&ctx_map, &st->job);
	if (!left || *left == 0)
		return 0;
	__sync_fetch_and_add(left, -1);
	emit(RS_EV_JOB_EXEC, tgid, &st->job, bpf_ktime_get_boot_ns(), 0, st->kind);
	return 0;
}

/*
 * task is current, the thread group's leader since the exec (de_thread), in both flavours
 * a BTF pointer that can be read directly.
 */
static __always_inline int handle_exec(struct task_struct *task)
{
	struct rs_rule_key rk = {};
	struct rs_rule *rule;
	struct rs_bloom *bloom;
	char arg1[RS_ARG_LEN] = {};
	__u8 role = RS_ROLE_NONE, kind = RS_KIND_NONE;
	__u64 now, w0, w1;
	__u32 tgid, bit, zero = 0;
	int i;

	tgid = task->tgid;
	w0 = *(__u64 *)&task->comm[0];
	w1 = *(__u64 *)&task->comm[8];
	bit = rs_comm_bit(w0, w1);
	bloom = bpf_map_lookup_elem(&rules_bloom, &zero);
	if (bloom && !(bloom->bits[(bit >> 6) & (RS_BLOOM_WORDS - 1)] & (1ULL << (bit & 63)))) {
		/* no rule's name, untracked, in the host's PID namespace: nearly every exec */
		if (surely_untracked(tgid) && !task->thread_pid->level)
			return 0;
		return live_meta() ? hint_context(task, tgid) : 0;
	}
	if (!live_meta())
		return 0;
	__builtin_memcpy(&rk.comm[0], &w0, 8);
	__builtin_memcpy(&rk.comm[8], &w1, 8);
	rule = bpf_map_lookup_elem(&rules_map, &rk);
	if (!rule)
		return hint_context(task, tgid);

	read_arg1(task, arg1);
#pragma unroll
	for (i = 0; i < RS_RULE_ALTS; i++) {
		struct rs_rule_alt *alt = &rule->alt[i];

		if (alt->role == RS_ROLE_NONE)
			continue;
		if ((alt->flags & RS_ALT_ANY_ARG) || arg_eq(alt->arg1, arg1)) {
			role = alt->role;
			kind = alt->kind;
			break;
		}
	}
	if (role == RS_ROLE_NONE)
		return 0;

	now = bpf_ktime_get_boot_ns();

	if (role == RS_ROLE_AGENT) {
		struct rs_proc *cur = bpf_map_lookup_elem(&procs_map, &tgid);
		struct rs_proc st = {};
		struct rs_agent a = { .kind = kind, .state = RS_STATE_RUNNING };

		/* keep job membership: an agent started by a job still ends with that job's tree */
		if (cur)
			st = *cur;
		st.runner.tgid = tgid;
		st.runner.pad = 0;
		st.runner.start_ns = now;
		st.kind = kind;
		/* an exec leaves one thread */
		st.flags |= RS_PROC_THREADS;
		st.threads = 1;
		mark_tracked(tgid);
		if (bpf_map_update_elem(&agents_map, &st.runner, &a, BPF_NOEXIST) ||
		    bpf_map_update_elem(&procs_map, &tgid, &st, BPF_ANY)) {
			bpf_map_delete_elem(&agents_map, &st.runner);
			unmark_untracked(tgid);
			count_event(RS_EV_AGENT_START, 0);
			return 0;
		}
		mark_tracked(tgid);
		emit(RS_EV_AGENT_START, tgid, &st.runner, now, 0, kind);
		return 0;
	}

	/* RS_ROLE_JOB */
	struct rs_proc *cur = bpf_map_lookup_elem(&procs_map, &tgid);
	struct rs_proc st = {};
	struct rs_job j = {};

	if (cur) {
		/* a job process inside a job is part of that job, not a new one */
		if (!rs_key_is_zero(&cur->job))
			return 0;
		st = *cur;
	}
	st.job.tgid = tgid;
	st.job.pad = 0;
	st.job.start_ns = now;
	st.kind = kind;
	st.flags |= RS_PROC_THREADS;
	st.threads = 1;
	j.runner = st.runner;
	j.kind = kind;
	j.state = RS_STATE_RUNNING;
	j.live_procs = 1;
	j.total_procs = 1;
	mark_tracked(tgid);
	if (bpf_map_update_elem(&jobs_map, &st.job, &j, BPF_NOEXIST) ||
	    bpf_map_update_elem(&procs_map, &tgid, &st, BPF_ANY)) {
		bpf_map_delete_elem(&jobs_map, &st.job);
		unmark_untracked(tgid);
		count_event(RS_EV_JOB_START, 0);
		return 0;
	}
	mark_tracked(tgid);
	/* best effort: without it the job is still counted, only its context is not read */
	{
		__u32 hints = RS_CTX_HINTS;

		bpf_map_update_elem(&ctx_map, &st.job, &hints, BPF_ANY);
	}
	/* a kind whose job process carries its context (a Buildkite bootstrap): send it along */
	if (kind >= 32 || !((context_at_start_kinds >> kind) & 1) ||
	    emit_env(task, RS_EV_JOB_START, tgid, &st.job, now, kind))
		emit(RS_EV_JOB_START, tgid, &st.job, now, 0, kind);
	return 0;
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
	struct rs_proc *st, copy;
	struct rs_job *j;
	__u32 ptgid, ctgid, cpid;

	ptgid = parent->tgid;
	if (surely_untracked(ptgid) || !live_meta())
		return 0;
	st = bpf_map_lookup_elem(&procs_map, &ptgid);
	if (!st)
		return 0;
	ctgid = child_btf ? child->tgid : BPF_CORE_READ(child, tgid);
	cpid = child_btf ? child->pid : BPF_CORE_READ(child, pid);
	/*
	 * A new thread is not a new process, but one more thread to exit before the process
	 * ends. The tracepoint runs before the thread is woken: it cannot have exited yet.
	 */
	if (cpid != ctgid) {
		if (st->flags & RS_PROC_THREADS)
			__sync_fetch_and_add(&st->threads, 1);
		return 0;
	}
	copy = *st;
	copy.flags &= ~RS_PROC_STEP;
	copy.flags |= RS_PROC_THREADS;
	copy.threads = 1;
	if (track(ctgid, &copy, BPF_ANY, RS_EV_FORK))
		return 0;
	count_event(RS_EV_FORK, 1);
	if (rs_key_is_zero(&copy.job))
		return 0;
	j = bpf_map_lookup_elem(&jobs_map, &copy.job);
	if (j) {
		__sync_fetch_and_add(&j->live_procs, 1);
		__sync_fetch_and_add(&j->total_procs, 1);
	}
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
	key.tgid = tgid;
	key.pad = 0;
	key.start_ns = in->start_ns;
	emit(RS_EV_CTR_EXIT, tgid, &key, in->end_ns, in->exit_code, 0);
}

static __always_inline int handle_exit(struct task_struct *task)
{
	struct rs_proc *cur, st;
	__u32 tgid;
	__s32 code;
	__u64 now;
	int last;

	tgid = task->tgid;
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
	/* every thread's CPU and I/O go to the job as the thread ends */
	if (!rs_key_is_zero(&cur->job)) {
		struct rs_job *j = bpf_map_lookup_elem(&jobs_map, &cur->job);

		if (j) {
			__sync_fetch_and_add(&j->run_ns, task->se.sum_exec_runtime);
			__sync_fetch_and_add(&j->utime_ns, task->utime);
			__sync_fetch_and_add(&j->stime_ns, task->stime);
			__sync_fetch_and_add(&j->io_read_bytes, io_read_bytes(task));
			__sync_fetch_and_add(&j->io_write_bytes, io_write_bytes(task));
		}
	}
	/*
	 * Each thread passes here after it has taken one off signal->live, so two ending
	 * together can both see it at zero. The first of those may not delete the entry while
	 * the other has yet to add its CPU: where the entry counts its threads, the process ends
	 * with the count. Each thread adds its share above before it takes itself off the count,
	 * so at zero every thread's share is in. (A count too low, from threads made without the
	 * fork tracepoint such as io_uring's workers, falls back to live alone.)
	 */
	if (cur->flags & RS_PROC_THREADS) {
		__sync_fetch_and_add(&cur->threads, -1);
		if (*(volatile __s32 *)&cur->threads > 0)
			return 0;
	}
	if (!last)
		return 0;
	st = *cur;
	/* two exiting threads can both see live == 0: the one that deletes the entry reports */
	if (bpf_map_delete_elem(&procs_map, &tgid))
		return 0;
	unmark_tracked(tgid);
	count_event(RS_EV_EXIT, 1);

	code = task->exit_code;
	now = bpf_ktime_get_boot_ns();

	if (!rs_key_is_zero(&st.job)) {
		struct rs_job *j = bpf_map_lookup_elem(&jobs_map, &st.job);

		if (j) {
			/* do_exit() folded the peak into signal->maxrss (pages) before this point */
			__u64 rss = task->signal->maxrss * page_size;

			/* a plain max: two processes of one job ending on two CPUs at once may
			 * keep the smaller peak */
			if (rss > j->max_rss)
				j->max_rss = rss;
			j->last_exit_ns = now;
			if ((st.flags & RS_PROC_STEP) && code)
				__sync_fetch_and_add(&j->failed_steps, 1);
			__sync_fetch_and_add(&j->live_procs, -1);
			if (st.job.tgid == tgid) {
				j->end_ns = now;
				j->exit_code = code;
				j->state = RS_STATE_FINISHED;
				emit(RS_EV_JOB_EXIT, tgid, &st.job, now, code, st.kind);
			}
		}
	}
	if (st.runner.tgid == tgid) {
		struct rs_agent *a = bpf_map_lookup_elem(&agents_map, &st.runner);

		if (a) {
			a->end_ns = now;
			a->exit_code = code;
			a->state = RS_STATE_FINISHED;
		}
		emit(RS_EV_AGENT_EXIT, tgid, &st.runner, now, code, st.kind);
	}
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
 * cast to BTF pointers that may be loaded from (not handed to helpers, which nothing here
 * does): the same loads, the same bit, the same cost as tp_btf.
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

static __always_inline struct task_struct *raw_task(__u64 arg)
{
	return bpf_rdonly_cast((void *)arg, bpf_core_type_id_kernel(struct task_struct));
}

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

/* the same before Linux 6.2, which has no bpf_rdonly_cast(): current through a helper */
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
	if (oom_arg_is_task)
		tgid = BPF_CORE_READ((struct task_struct *)ctx->args[0], tgid);
	else
		tgid = (__u32)ctx->args[0]; /* a pid: the victim is its thread group's leader */
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
	struct rs_proc *st;
	__u32 tgid;

	if (!task || (task->flags & PF_EXITING))
		return 0;
	tgid = task->tgid;
	st = bpf_map_lookup_elem(&procs_map, &tgid);
	if (!st || rs_key_is_zero(&st->job))
		return 0;
	rec.job = st->job;
	rec.run_ns = task->se.sum_exec_runtime;
	rec.utime_ns = task->utime;
	rec.stime_ns = task->stime;
	rec.io_read_bytes = io_read_bytes(task);
	rec.io_write_bytes = io_write_bytes(task);
	/* the threads of a process share its memory: counted once, with its leader */
	rec.rss = (__u32)task->pid == tgid ? rss_bytes(task) : 0;
	bpf_seq_write(ctx->meta->seq, &rec, sizeof(rec));
	return 0;
}
