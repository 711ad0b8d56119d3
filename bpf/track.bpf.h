/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Following processes: which are tracked (a bit per tgid in procs_bits, then an entry in
 * procs_map: the agent and job each is in), which are in a container's cgroup (ctr_bits), and
 * how a process joins what it is tracked in.
 */
#ifndef RUNNERSCOPE_TRACK_BPF_H
#define RUNNERSCOPE_TRACK_BPF_H

#include "common.bpf.h"
#include "emit.bpf.h"

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

/* ctr_bits: the process tgid is (or was) in a container's cgroup */
static __always_inline __u64 *ctr_word(__u32 tgid)
{
	__u32 w = tgid / RS_BITS_PER_WORD;

	return bpf_map_lookup_elem(&ctr_bits, &w);
}

static __always_inline int in_container(__u32 tgid)
{
	__u64 *w = ctr_word(tgid);

	return w && (*w & bit_of(tgid));
}

static __always_inline void mark_container(__u32 tgid)
{
	__u64 *w = ctr_word(tgid);

	if (w && !(*w & bit_of(tgid)))
		__sync_fetch_and_or(w, bit_of(tgid));
}

static __always_inline void unmark_container(__u32 tgid)
{
	__u64 *w = ctr_word(tgid);

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

/* an entry that counts its process's threads, of which there is one: the entries the
 * programs make, at an exec or for a fork's child (include/jobs.h, RS_PROC_THREADS) */
static __always_inline void one_thread(struct rs_proc *st)
{
	st->flags |= RS_PROC_THREADS;
	st->threads = 1;
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

/*
 * A process starts the agent or job it is the first process of: the record (rec, under key
 * in records: agents_map or jobs_map), then the process's entry, neither left without the
 * other. 0, or -1 with the failure counted as a lost event of type ev.
 */
static __always_inline int start_record(void *records, const struct rs_key *key, const void *rec,
					__u32 tgid, const struct rs_proc *st, __u32 ev)
{
	mark_tracked(tgid);
	if (bpf_map_update_elem(records, key, rec, BPF_NOEXIST) ||
	    bpf_map_update_elem(&procs_map, &tgid, st, BPF_ANY)) {
		bpf_map_delete_elem(records, key);
		unmark_untracked(tgid);
		count_event(ev, 0);
		return -1;
	}
	mark_tracked(tgid);
	return 0;
}

/* one process more in job j, live and in all */
static __always_inline void count_job_proc(struct rs_job *j)
{
	__sync_fetch_and_add(&j->live_procs, 1);
	__sync_fetch_and_add(&j->total_procs, 1);
}

/* a process joins a job it did not fork from: its entry, and the job's process counts */
static __always_inline int join_job_as(__u32 tgid, const struct rs_proc *st, __u32 ev)
{
	struct rs_job *j = bpf_map_lookup_elem(&jobs_map, &st->job);
	struct rs_proc copy = *st;

	if (!j || track(tgid, &copy, BPF_NOEXIST, ev))
		return -1;
	count_job_proc(j);
	return 0;
}

/*
 * A tracked process's new child process inherits its entry: its agent, job and kind, not
 * whether it is a step; one thread. The job counts one process more.
 */
static __always_inline void inherit(const struct rs_proc *parent, __u32 ctgid)
{
	struct rs_proc copy = *parent;
	struct rs_job *j;

	copy.flags &= ~RS_PROC_STEP;
	one_thread(&copy);
	if (track(ctgid, &copy, BPF_ANY, RS_EV_FORK))
		return;
	count_event(RS_EV_FORK, 1);
	if (rs_key_is_zero(&copy.job))
		return;
	j = bpf_map_lookup_elem(&jobs_map, &copy.job);
	if (j)
		count_job_proc(j);
}

/*
 * A new thread is not a new process, but one more thread to exit before the process ends.
 * The fork tracepoint runs before the thread is woken: it cannot have exited yet.
 */
static __always_inline void add_thread(struct rs_proc *st)
{
	if (st->flags & RS_PROC_THREADS)
		__sync_fetch_and_add(&st->threads, 1);
}

/*
 * A thread of a tracked process ends: 1 while its entry counts other threads still to end.
 * Each thread passes the exit tracepoint after it has taken one off signal->live, so two
 * ending together can both see that at zero. The first of those may not delete the entry
 * while the other has yet to add its CPU: where the entry counts its threads, the process ends
 * with the count. Each thread adds its share before it takes itself off the count, so at zero
 * every thread's share is in. (A count too low, from threads made without the fork tracepoint
 * such as io_uring's workers, falls back to live alone.)
 */
static __always_inline int threads_left(struct rs_proc *st)
{
	if (!(st->flags & RS_PROC_THREADS))
		return 0;
	__sync_fetch_and_add(&st->threads, -1);
	return *(volatile __s32 *)&st->threads > 0;
}

#endif /* RUNNERSCOPE_TRACK_BPF_H */
