/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Where kernels differ in what the programs read, each difference told apart by CO-RE (a field
 * or type of the running kernel's BTF), never by a version number. Each names the kernels it
 * was seen on: Debian's 6.1 and 6.12 and the 6.18 builds of tests/vm/ and the CI machines.
 */
#ifndef RUNNERSCOPE_CORE_FIXES_BPF_H
#define RUNNERSCOPE_CORE_FIXES_BPF_H

/*
 * The memory a process has resident now: its file, anonymous and shared memory pages
 * (MM_FILEPAGES, MM_ANONPAGES, MM_SHMEMPAGES), as /proc/<pid>/statm's resident. Up to 6.1
 * an mm_struct keeps them as atomic counts in struct mm_rss_stat; since 6.2 ("mm: convert
 * mm's rss stats into percpu_counter") as per-CPU counters, whose count this reads without
 * folding in what each CPU still holds back.
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
 * a kernel built without CONFIG_TASK_IO_ACCOUNTING, whose task_struct has no ioac.
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
 * Per-CPU memory of the kernel's own structures (a cgroup's CPU counters): per_cpu_ptr(p, cpu)
 * is p plus the CPU's offset, __per_cpu_offset[cpu]. Programs can ask that of BTF-tagged
 * per-CPU pointers only (bpf_per_cpu_ptr()): kernels built by GCC carry no such tags, and
 * __per_cpu_offset is no symbol a program can reach where kallsyms lists functions only (the
 * 6.18 builds here). A per-CPU array map of our own gives the offsets instead: its element on
 * a CPU (bpf_map_lookup_percpu_elem(), Linux 5.19) is its per-CPU pointer, kept in the map's
 * struct bpf_array, plus that CPU's offset. The daemon sets percpu_reads where the kernel has
 * the helper (and bpf_loop(), 5.17); without it, the branches that call them are dropped by
 * the verifier. (percpu_probe, percpu_reads and nr_cpus are in common.bpf.h.)
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
 * does that when cpu.stat is read, and a removed cgroup's only when it is freed): 6.1 and 6.12
 * keep them in struct cgroup_rstat_cpu (cgroup->rstat_cpu); later kernels (the 6.18 builds
 * here), whose rstat trees are per subsystem, in struct cgroup_rstat_base_cpu
 * (cgroup->rstat_base_cpu), under the same field names. The offsets come from the daemon
 * (rstat_*_off, read from the kernel's BTF): a CO-RE relocation against the struct one kernel
 * lacks would make libbpf search every module's BTF for it at each load.
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

#endif /* RUNNERSCOPE_CORE_FIXES_BPF_H */
