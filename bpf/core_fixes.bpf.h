/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where kernels differ in what the programs read or may call, each difference told apart by
 * CO-RE (a field, type or enum value of the running kernel's BTF) or by a setting the daemon
 * reads from that BTF, never by a version number. Each shim names the first kernel with the
 * change and the upstream commit that made it necessary; build options (task I/O accounting,
 * CONFIG_SCHED_INFO, v1's cpuacct) are told apart the same way. The matrix of tests/vm/ runs
 * them on Debian's 6.1 and 6.12 and on the host's 6.18 build.
 *
 * Two rules the programs keep instead of a shim:
 * - No helper is handed a pointer the verifier must trust but a tracepoint's own argument or
 *   current. Since 6.2 ("bpf: Allow trusted pointers to be passed to KF_TRUSTED_ARGS kfuncs",
 *   3f00c5239344) the verifier tells trusted pointers from others, and whether one reached by
 *   a walk (task->nsproxy->…) is trusted differs between builds of one version: a 6.18 build
 *   rejected bpf_task_storage_get() on ns->child_reaper->group_leader. So walked pointers are
 *   only read, and tracking is a bit per tgid (procs_bits, track.bpf.h), not task storage.
 * - A ring-buffer reservation is tested for NULL once (emit.bpf.h): 6.1's verifier follows a
 *   second test's impossible branch with the reservation held, which later ones do not.
 */
#ifndef RUNNERSCOPE_CORE_FIXES_BPF_H
#define RUNNERSCOPE_CORE_FIXES_BPF_H

#include "common.bpf.h"

/*
 * The memory a process has resident now: its file, anonymous and shared memory pages
 * (MM_FILEPAGES, MM_ANONPAGES, MM_SHMEMPAGES), as /proc/<pid>/statm's resident. Up to 6.1
 * an mm_struct keeps them as atomic counts in struct mm_rss_stat; since 6.2 ("mm: convert
 * mm's rss stats into percpu_counter", f1a7941243c1) as per-CPU counters, whose count this
 * reads without folding in what each CPU still holds back.
 */
struct mm_rss_stat___old {
	atomic_long_t count[4];
} __attribute__((preserve_access_index));
struct mm_struct___old {
	struct mm_rss_stat___old rss_stat;
} __attribute__((preserve_access_index));
struct mm_struct___new {
	struct percpu_counter rss_stat[4];
} __attribute__((preserve_access_index));

static __always_inline __u64 rss_bytes(struct task_struct *task)
{
	struct mm_struct *mm = BPF_CORE_READ(task, mm);
	__s64 pages = 0;

	if (!mm)
		return 0;
	/*
	 * Asked of mm_struct's own field, not of whether struct mm_rss_stat exists: a type the
	 * kernel lacks sends libbpf through every module's BTF looking for it
	 */
	if (bpf_core_field_exists(((struct mm_struct___old *)mm)->rss_stat)) {
		struct mm_struct___old *o = (void *)mm;

		pages = BPF_CORE_READ(o, rss_stat.count[0].counter) +
			BPF_CORE_READ(o, rss_stat.count[1].counter) +
			BPF_CORE_READ(o, rss_stat.count[3].counter);
	} else {
		struct mm_struct___new *n = (void *)mm;

		pages = BPF_CORE_READ(n, rss_stat[0].count) + BPF_CORE_READ(n, rss_stat[1].count) +
			BPF_CORE_READ(n, rss_stat[3].count);
	}
	return pages > 0 ? (__u64)pages * page_size : 0;
}

/*
 * A thread's own storage I/O (the kernel's task I/O accounting, as /proc/<pid>/task/<tid>/io
 * shows it): bytes it made the block layer read, and bytes it dirtied or wrote directly. 0 on
 * a kernel built without CONFIG_TASK_IO_ACCOUNTING, whose task_struct has no ioac: a build
 * option, the same in every version here.
 */
static __always_inline __u64 io_read_bytes(struct task_struct *task)
{
	if (!bpf_core_field_exists(task->ioac))
		return 0;
	return BPF_CORE_READ(task, ioac.read_bytes);
}

static __always_inline __u64 io_write_bytes(struct task_struct *task)
{
	if (!bpf_core_field_exists(task->ioac))
		return 0;
	return BPF_CORE_READ(task, ioac.write_bytes);
}

/*
 * The time a thread has spent runnable but waiting for a CPU: the scheduler's
 * sched_info.run_delay, the second field of /proc/<pid>/task/<tid>/schedstat. The kernel keeps
 * it where it is built with CONFIG_SCHED_INFO (SCHEDSTATS or TASK_DELAY_ACCT select it); a
 * struct sched_info without run_delay reads 0, and the daemon, which sees the same in the
 * kernel's BTF, exports no wait there. Since 5.14 ("sched: Simplify sched_info_on()",
 * c5895d3f06cb) it is kept whenever built in; before, on a kernel with TASK_DELAY_ACCT but not
 * SCHEDSTATS, only while delay accounting is on. The wait a thread is in now is added when it
 * next gets a CPU.
 */
static __always_inline __u64 run_delay_ns(struct task_struct *task)
{
	if (!bpf_core_field_exists(task->sched_info.run_delay))
		return 0;
	return BPF_CORE_READ(task, sched_info.run_delay);
}

/*
 * Per-CPU memory of the kernel's own structures (a cgroup's CPU counters): per_cpu_ptr(p, cpu)
 * is p plus the CPU's offset, __per_cpu_offset[cpu]. Programs can ask that of BTF-tagged
 * per-CPU pointers only (bpf_per_cpu_ptr()): kernels built by GCC carry no such tags, and
 * __per_cpu_offset is no symbol a program can reach where kallsyms lists functions only (the
 * 6.18 builds here). A per-CPU array map of our own gives the offsets instead: its element on
 * a CPU (bpf_map_lookup_percpu_elem(): 5.19, "bpf: add bpf_map_lookup_percpu_elem for percpu
 * map", 07343110b293) is its per-CPU pointer, kept in the map's struct bpf_array, plus that
 * CPU's offset. The daemon sets percpu_reads where the kernel has the helper (and bpf_loop():
 * 5.17, "bpf: Add bpf_loop helper", e6f2dd0f8067); without it, the branches that call them
 * are dropped by the verifier. (percpu_probe, percpu_reads and nr_cpus are in common.bpf.h.)
 */

/* a pointer's value as a number the verifier lets us add to (it is only ever read through) */
static __always_inline __u64 addr_of(const void *p)
{
	const void *volatile q = p;
	__u64 v = 0;

	bpf_probe_read_kernel(&v, sizeof(v), (const void *)&q);
	return v;
}

/* the per-CPU pointer percpu_probe's elements are reached by, from its struct bpf_array */
static __always_inline __u64 percpu_base(void)
{
	__u64 map = addr_of(&percpu_probe), base = 0;

	bpf_probe_read_kernel(&base, sizeof(base),
			      (const void *)(map + bpf_core_field_offset(struct bpf_array, pptrs)));
	return base;
}

/* __per_cpu_offset[cpu]; 0 and *ok 0 when it cannot be had */
static __always_inline __u64 cpu_offset(__u32 cpu, __u64 base, int *ok)
{
	__u32 zero = 0;
	void *v = bpf_map_lookup_percpu_elem(&percpu_probe, &zero, cpu);

	*ok = v && base;
	return *ok ? addr_of(v) - base : 0;
}

/*
 * cgroup2's base statistics per CPU, not yet folded into the cgroup's own (cgroup_rstat_flush()
 * does that when cpu.stat is read, and a removed cgroup's only when it is freed): up to 6.15
 * (6.1 and 6.12 here) they are in struct cgroup_rstat_cpu (cgroup->rstat_cpu); since 6.16
 * ("cgroup: move rstat base stat objects into their own struct", f6e9a26e2d48, ahead of
 * "cgroup: use separate rstat trees for each subsystem", 5da3bfa029d6) in struct
 * cgroup_rstat_base_cpu (cgroup->rstat_base_cpu), under the same field names. The offsets come
 * from the daemon (rstat_*_off, read from the kernel's BTF): a CO-RE relocation against the
 * struct one kernel lacks would make libbpf search every module's BTF for it at each load.
 */
/* the task_cputime of a struct cgroup_base_stat at addr */
static __always_inline void read_cputime(__u64 addr, struct task_cputime *out)
{
	bpf_probe_read_kernel(out, sizeof(*out),
			      (const void *)(addr + bpf_core_field_offset(struct cgroup_base_stat,
									   cputime)));
}

/* the part of cgrp's per-CPU base statistics its own totals do not have yet */
struct cg_cpu_sum {
	__u64 base; /* percpu_base() */
	__u64 pcpu; /* the cgroup's per-CPU struct */
	__u32 bstat, last; /* offsets of bstat and last_bstat in it */
	__u64 sum, user, sys;
};

static long rstat_cpu_delta(__u32 cpu, void *ctx)
{
	struct cg_cpu_sum *s = ctx;
	struct task_cputime now = {}, then = {};
	__u64 at;
	int ok;

	at = s->pcpu + cpu_offset(cpu, s->base, &ok);
	if (!ok)
		return 0;
	read_cputime(at + s->bstat, &now);
	read_cputime(at + s->last, &then);
	s->sum += now.sum_exec_runtime - then.sum_exec_runtime;
	s->user += now.utime - then.utime;
	s->sys += now.stime - then.stime;
	return 0;
}

/* cpu.stat's usage, and the user and system times it is split by: 0, or -1 */
static __always_inline int cgroup2_cpu(struct cgroup *cgrp, struct rs_cg_final *out)
{
	struct cg_cpu_sum s = {};
	struct task_cputime own = {};

	if (!percpu_reads || !rstat_cpu_off)
		return -1;
	s.base = percpu_base();
	bpf_probe_read_kernel(&s.pcpu, sizeof(s.pcpu), (const void *)((__u64)cgrp + rstat_cpu_off));
	s.bstat = rstat_bstat_off;
	s.last = rstat_last_off;
	if (!s.pcpu || !s.base)
		return -1;
	bpf_loop(nr_cpus, rstat_cpu_delta, &s, 0);
	BPF_CORE_READ_INTO(&own, cgrp, bstat.cputime);
	out->cpu_usage_ns = own.sum_exec_runtime + s.sum;
	out->cpu_user_ns = own.utime + s.user;
	out->cpu_system_ns = own.stime + s.sys;
	return 0;
}

/*
 * v1 cpuacct: a u64 of usage and a struct kernel_cpustat per CPU (6.1 to 6.18);
 * cpuacct.usage_user is CPUTIME_USER + CPUTIME_NICE, usage_sys CPUTIME_SYSTEM + CPUTIME_IRQ +
 * CPUTIME_SOFTIRQ (kernel/sched/cpuacct.c, cpuacct_cpuusage_read())
 */
struct cg_acct_sum {
	__u64 base, usage, stat;
	__u32 user, nice, system, irq, softirq; /* CPUTIME_* */
	__u64 sum, u, s;
};

static long cpuacct_cpu(__u32 cpu, void *ctx)
{
	struct cg_acct_sum *a = ctx;
	__u64 off, v = 0, st[8] = {};
	int ok;

	off = cpu_offset(cpu, a->base, &ok);
	if (!ok)
		return 0;
	bpf_probe_read_kernel(&v, sizeof(v), (const void *)(a->usage + off));
	bpf_probe_read_kernel(st, sizeof(st), (const void *)(a->stat + off));
	a->sum += v;
	a->u += st[a->user & 7] + st[a->nice & 7];
	a->s += st[a->system & 7] + st[a->irq & 7] + st[a->softirq & 7];
	return 0;
}

static __always_inline int cpuacct_read(struct cgroup_subsys_state *css, struct rs_cg_final *out)
{
	struct cpuacct *ca = (void *)css;
	struct cg_acct_sum a = {};

	if (!percpu_reads || !bpf_core_field_exists(ca->cpustat))
		return -1;
	a.base = percpu_base();
	a.usage = (__u64)BPF_CORE_READ(ca, cpuusage);
	a.stat = (__u64)BPF_CORE_READ(ca, cpustat) +
		 bpf_core_field_offset(struct kernel_cpustat, cpustat);
	a.user = bpf_core_enum_value(enum cpu_usage_stat, CPUTIME_USER);
	a.nice = bpf_core_enum_value(enum cpu_usage_stat, CPUTIME_NICE);
	a.system = bpf_core_enum_value(enum cpu_usage_stat, CPUTIME_SYSTEM);
	a.irq = bpf_core_enum_value(enum cpu_usage_stat, CPUTIME_IRQ);
	a.softirq = bpf_core_enum_value(enum cpu_usage_stat, CPUTIME_SOFTIRQ);
	/* all five lie within the first eight counters read for each CPU */
	if (!a.base || !a.usage || a.user > 7 || a.nice > 7 || a.system > 7 || a.irq > 7 ||
	    a.softirq > 7)
		return -1;
	bpf_loop(nr_cpus, cpuacct_cpu, &a, 0);
	out->cpu_usage_ns = a.sum;
	out->cpu_user_ns = a.u;
	out->cpu_system_ns = a.s;
	return 0;
}

/*
 * A memory cgroup's peak (page_counter.watermark, in pages: memory.peak on cgroup2, since
 * 5.19, and memory.max_usage_in_bytes on v1 read it) and its OOM kills (memory_events
 * [MEMCG_OOM_KILL]: memory.events' and memory.oom_control's oom_kill). struct mem_cgroup
 * begins with its css.
 */
static __always_inline void memcg_read(struct cgroup_subsys_state *css, struct rs_cg_final *out)
{
	struct mem_cgroup *mc = (void *)css;
	int oom = bpf_core_enum_value(enum memcg_memory_event, MEMCG_OOM_KILL);

	out->mem_peak = BPF_CORE_READ(mc, memory.watermark) * page_size;
	out->oom_kills = 0;
	if (oom >= 0 && oom < 16)
		bpf_probe_read_kernel(&out->oom_kills, sizeof(out->oom_kills),
				      (const void *)((__u64)mc +
						     bpf_core_field_offset(struct mem_cgroup,
									   memory_events) +
						     oom * sizeof(atomic_long_t)));
	out->have |= RS_CGF_MEMORY;
}

/*
 * raw_tp arguments are plain numbers. Since 6.2 ("bpf: Add a kfunc for generic type cast",
 * a35b9af4ec2c) bpf_rdonly_cast() makes one a BTF pointer to load from (never to hand to a
 * helper) at no cost: the verifier replaces the call with a move. A program that calls a
 * kfunc the kernel lacks does not load, even where the call could never run, so the daemon
 * loads the raw_tp_* programs (jobs.bpf.c) where the kernel's BTF has the kfunc, and the
 * raw_tp_cur_* ones before: those read current through bpf_get_current_task_btf() (5.11,
 * "bpf: Implement get_current_task_btf and RET_PTR_TO_BTF_ID", 3ca1032ab7ab), a helper call
 * that cost each event tens of nanoseconds in bench/run.py on a 6.18 build, and the fork's
 * child through BPF_CORE_READ.
 */
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym __weak;

static __always_inline struct task_struct *raw_task(__u64 arg)
{
	return bpf_rdonly_cast((void *)arg, bpf_core_type_id_kernel(struct task_struct));
}

/*
 * The tgid of the OOM killer's victim, from oom:mark_victim's argument: the task since 6.8
 * ("mm: update mark_victim tracepoints fields", 72ba14deb40a), its pid before (the victim is
 * its thread group's leader). arg_is_task is what the daemon found the argument to be in the
 * kernel's BTF (rodata oom_arg_is_task).
 */
static __always_inline __u32 oom_victim_tgid(__u64 arg, int arg_is_task)
{
	if (arg_is_task)
		return BPF_CORE_READ((struct task_struct *)arg, tgid);
	return (__u32)arg;
}

#endif /* RUNNERSCOPE_CORE_FIXES_BPF_H */
