/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the object's files share: the maps and settings both use (defined in jobs.bpf.c, which
 * says RS_DEFINE_SHARED before including this; extern in the others, which the BPF linker
 * resolves) and the generation check. What is done with them is in a header a concern:
 * track.bpf.h (following processes), emit.bpf.h (the ring buffer), cg_key.bpf.h (the
 * containers' cgroups' keys), core_fixes.bpf.h (where kernels differ).
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
/* bit h set when hierarchy id h is one whose containers' cgroups are followed (cgroup2 on pure
 * v2 hosts; v1 cpuacct's and memory's elsewhere) */
const volatile __u32 cg_hiers = 0;
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
extern const volatile __u32 cg_hiers;
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
/*
 * One bit per tgid, as procs_bits lays them out (its top bit unused): the process is (or was,
 * when it was last seen) in a container's cgroup, so that its threads' exits look for the
 * container's entry (wait_of_container()); every other process's exit reads this one word
 * and nothing else of it. Set by the cgroup attach program, at fork for a marked parent's
 * child, and by the task walk; cleared at the process's end.
 */
RS_SHARED RS_MAP(ctr_bits, BPF_MAP_TYPE_ARRAY, __u32, __u64, RS_BITS_WORDS);
RS_SHARED RS_MAP(jobs_map, BPF_MAP_TYPE_HASH, struct rs_key, struct rs_job, 16384);
/* jobs whose context (repository, workflow …) the daemon has not read yet: hints left */
RS_SHARED RS_MAP(ctx_map, BPF_MAP_TYPE_HASH, struct rs_key, __u32, 16384);
RS_SHARED RS_MAP(events_total, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct rs_event_count,
		 RS_EV_MAX);
RS_SHARED RS_MAP(meta, BPF_MAP_TYPE_ARRAY, __u32, struct rs_meta, 1);
/* the containers' cgroups, from their mkdir to their rmdir (bpf/cgroups.bpf.c) */
RS_SHARED RS_MAP_NOPREALLOC(cgroups_map, BPF_MAP_TYPE_HASH, struct rs_cg_key, struct rs_cgroup,
			    65536);
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

#endif /* RUNNERSCOPE_COMMON_BPF_H */
