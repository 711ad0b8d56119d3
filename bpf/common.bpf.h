/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the object's files share: the maps and settings both use (defined in jobs.bpf.c, which
 * says RS_DEFINE_SHARED before including this; extern in the others, which the BPF linker
 * resolves), the generation check, the per-tgid tracking bit, event counts and the ring buffer.
 */
#ifndef RUNNERSCOPE_COMMON_BPF_H
#define RUNNERSCOPE_COMMON_BPF_H

#include "jobs.h"
#include "cgroups.h"
#include "maps.bpf.h"

#ifdef RS_DEFINE_SHARED
#define RS_SHARED
/* set by the daemon before load */
const volatile __u64 page_size = 4096;
/* this object's generation: it acts only while meta says it is the live one (see live_meta()) */
const volatile __u32 gen = 0;
/*
 * Tests only (RUNNERSCOPE_TEST_REJECT names the flavour): the programs then do what every
 * verifier rejects, so that the fall-back from tp_btf and its log can be tested on a kernel
 * that takes both flavours. 0 otherwise, and the verifier drops the branch.
 */
const volatile __u8 test_reject = 0;
/* the kernel has bpf_map_lookup_percpu_elem() and bpf_loop() (core_fixes.bpf.h) */
const volatile __u8 percpu_reads = 0;
const volatile __u32 nr_cpus = 1; /* possible CPUs */
/* where cgroup2's per-CPU base statistics are (core_fixes.bpf.h); 0: not known */
const volatile __u32 rstat_cpu_off = 0;
const volatile __u32 rstat_bstat_off = 0;
const volatile __u32 rstat_last_off = 0;
#else
#define RS_SHARED extern
extern const volatile __u64 page_size;
extern const volatile __u32 gen;
extern const volatile __u8 test_reject;
extern const volatile __u8 percpu_reads;
extern const volatile __u32 nr_cpus;
extern const volatile __u32 rstat_cpu_off;
extern const volatile __u32 rstat_bstat_off;
extern const volatile __u32 rstat_last_off;
#endif

RS_SHARED RS_MAP(procs_map, BPF_MAP_TYPE_HASH, __u32, struct rs_proc, 65536);
/*
 * One bit per tgid, set for every process with a procs_map entry (and every container init in
 * inits_map), 63 to a word whose top bit says they are complete (RS_BITS_READY). procs_map is
 * large, so a lookup there hashes and touches cold memory; fork and exit run for every
 * process on the host, and for almost all of them one word is the whole cost: complete, and
 * the bit not set. The bit is found from the tgid alone, so it needs no task pointer the
 * verifier must trust: the same in both attach flavours, on every kernel. Memory mapped: the
 * daemon sets and clears bits with atomic operations of its own.
 */
RS_SHARED RS_MAP_FLAGS(procs_bits, BPF_MAP_TYPE_ARRAY, __u32, __u64, RS_BITS_WORDS,
		       BPF_F_MMAPABLE);
RS_SHARED RS_MAP(jobs_map, BPF_MAP_TYPE_HASH, struct rs_key, struct rs_job, 16384);
/* jobs whose context (repository, workflow …) the daemon has not read yet: hints left */
RS_SHARED RS_MAP(ctx_map, BPF_MAP_TYPE_HASH, struct rs_key, __u32, 16384);
RS_SHARED RS_MAP(events_total, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct rs_event_count,
		 RS_EV_MAX);
RS_SHARED RS_MAP(meta, BPF_MAP_TYPE_ARRAY, __u32, struct rs_meta, 1);
/* its elements' addresses tell the CPUs' per-CPU offsets (core_fixes.bpf.h) */
RS_SHARED RS_MAP(percpu_probe, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, __u64, 1);

RS_SHARED struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events_rb SEC(".maps");

/*
 * When a daemon replaces the programs of a pinned set, the new ones are attached beside the
 * old ones, and meta's gen, flipped in one map update, hands over from one set to the other:
 * an event is never handled by both, nor by neither. NULL while this set is not the live one.
 */
static __always_inline struct rs_meta *live_meta(void)
{
	__u32 zero = 0;
	struct rs_meta *m;

	if (test_reject)
		return (struct rs_meta *)*(volatile long *)8;
	m = bpf_map_lookup_elem(&meta, &zero);
	return m && m->gen == gen ? m : NULL;
}

static __always_inline __u64 *bits_word(__u32 tgid)
{
	__u32 w = tgid / RS_BITS_PER_WORD;

	return bpf_map_lookup_elem(&procs_bits, &w);
}

static __always_inline __u64 bit_of(__u32 tgid)
{
	return 1ULL << (tgid % RS_BITS_PER_WORD);
}

/*
 * 1 when the process tgid is surely not tracked: its word is complete and its bit clear; 0
 * when it may be. For nearly every process on a host this is all that fork, exit and exec do,
 * so it reads one word and nothing else: not meta, nor gen (whichever set of programs is live
 * leaves an untracked process alone), nor any .rodata value. Each other cache line this
 * reads, in memory of its own, cost it tens of nanoseconds more per event in bench/run.py's
 * storms (most under a hypervisor, where a TLB miss walks two sets of page tables).
 */
static __always_inline int surely_untracked(__u32 tgid)
{
	__u64 *w = bits_word(tgid), v;

	if (!w)
		return 0;
	v = *w;
	return (v & RS_BITS_READY) && !(v & bit_of(tgid));
}

/*
 * Sets a new tracked process's bit: before its procs_map entry is made, and again after, as
 * the daemon may clear the bit of a process it has just found to be no job's (bit_clear())
 * and looks for an entry only once it has.
 */
static __always_inline void mark_tracked(__u32 tgid)
{
	__u64 *w = bits_word(tgid);

	if (w)
		__sync_fetch_and_or(w, bit_of(tgid));
}

static __always_inline void unmark_tracked(__u32 tgid)
{
	__u64 *w = bits_word(tgid);

	if (w)
		__sync_fetch_and_and(w, ~bit_of(tgid));
}

/* an entry could not be made: the bit goes, unless the process has an entry after all (the
 * daemon's, made meanwhile) */
static __always_inline void unmark_untracked(__u32 tgid)
{
	if (!bpf_map_lookup_elem(&procs_map, &tgid))
		unmark_tracked(tgid);
}

static __always_inline void count_event(__u32 type, int ok)
{
	struct rs_event_count *c = bpf_map_lookup_elem(&events_total, &type);

	if (!c)
		return;
	if (ok)
		c->sent++;
	else
		c->lost++;
}

static __always_inline void emit(__u32 type, __u32 tgid, const struct rs_key *key, __u64 ts,
				 __s32 exit_code, __u8 kind)
{
	struct rs_event *e = bpf_ringbuf_reserve(&events_rb, sizeof(*e), 0);

	/*
	 * One test of the reservation, and nothing computed from it: Linux 6.1's verifier
	 * follows a second test's impossible branch with the reservation held and rejects the
	 * program ("Unreleased reference"), which later kernels do not.
	 */
	if (!e) {
		count_event(type, 0);
		return;
	}
	count_event(type, 1);
	e->type = type;
	e->tgid = tgid;
	e->key = *key;
	e->ts_ns = ts;
	e->exit_code = exit_code;
	e->kind = kind;
	bpf_ringbuf_submit(e, 0);
}

/* a process joins what it is tracked in: its bit, then its procs_map entry; 0 or -1, the
 * failure counted as a lost event of type ev */
static __always_inline int track(__u32 tgid, struct rs_proc *st, __u64 flags, __u32 ev)
{
	mark_tracked(tgid);
	if (bpf_map_update_elem(&procs_map, &tgid, st, flags)) {
		unmark_untracked(tgid);
		count_event(ev, 0);
		return -1;
	}
	mark_tracked(tgid);
	return 0;
}

/* a process joins a job it did not fork from: its entry, and the job's process counts */
static __always_inline int join_job_as(__u32 tgid, const struct rs_proc *st, __u32 ev)
{
	struct rs_job *j = bpf_map_lookup_elem(&jobs_map, &st->job);
	struct rs_proc copy = *st;

	if (!j || track(tgid, &copy, BPF_NOEXIST, ev))
		return -1;
	__sync_fetch_and_add(&j->live_procs, 1);
	__sync_fetch_and_add(&j->total_procs, 1);
	return 0;
}

#endif /* RUNNERSCOPE_COMMON_BPF_H */
