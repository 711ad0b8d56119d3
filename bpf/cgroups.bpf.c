// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Follows the cgroups of containers from their mkdir to their rmdir, so that a container is
 * known the moment its cgroup is made, and its final counters are kept however soon after its
 * last exit the runtime removes it.
 *
 * - mkdir: a cgroup of a followed hierarchy (rodata cg_hiers, from the daemon) whose name
 *   holds a container id gets a cgroups_map entry with its path; RS_EV_CG_MKDIR tells the
 *   daemon, which drops the entries of cgroups that are no container's.
 * - attach: a task moved into such a cgroup joins the job the daemon placed the container in
 *   (cg_jobs), from that moment: runc's init before it execs, a `docker exec`'d process. A
 *   cgroup whose mkdir went unseen gets its entry here.
 * - notify_populated: its last task left (emptied_ns), or its first came.
 * - rmdir: what the cgroup's own counters say now, its files' figures (core_fixes.bpf.h), is
 *   kept in its entry: CPU (v1 cpuacct or cgroup2's base statistics), peak memory and OOM
 *   kills (its memory controller).
 *
 * Everything here reads through probe reads (BPF_CORE_READ), so the same code serves both
 * attach flavours on every kernel; these events are rare beside exec, fork and exit.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "common.bpf.h"
#include "core_fixes.bpf.h"
#include "emit.bpf.h"
#include "track.bpf.h"
#include "cg_key.bpf.h"

RS_MAP_NOPREALLOC(cg_jobs, BPF_MAP_TYPE_HASH, struct rs_cg_key, struct rs_cg_job, 16384);
/* written by the daemon only; here so that they are pinned with BTF beside the rest */
RS_MAP_NOPREALLOC(ctr_counts, BPF_MAP_TYPE_HASH, struct rs_ctr_labels, struct rs_ctr_count, 4096);
RS_MAP_NOPREALLOC(ctr_acct, BPF_MAP_TYPE_HASH, struct rs_ctr_id, struct rs_ctr_acct, 65536);
/* a cgroups_map value is made here: it is larger than a program's stack */
RS_MAP(cg_heap, BPF_MAP_TYPE_PERCPU_ARRAY, __u32, struct rs_cgroup, 1);

#define BYTES(b) ((b) * 0x0101010101010101ULL)

/*
 * The bytes of w within [lo, hi], as 0x80 in each: word-wide arithmetic, with no byte's carry
 * reaching the next (its top bit is set aside first, and such a byte is in no range here)
 */
static __always_inline __u64 bytes_in(__u64 w, __u8 lo, __u8 hi)
{
	__u64 low7 = w & BYTES(0x7f);
	__u64 above = (low7 + BYTES(0x7f - hi)) & BYTES(0x80);
	__u64 from = (low7 + BYTES(0x80 - lo)) & BYTES(0x80);

	return from & ~above & ~(w & BYTES(0x80));
}

/* one bit per byte of w, byte i at bit i: set where it is a lowercase hex digit */
static __always_inline __u64 hex_bits(__u64 w)
{
	__u64 f = (bytes_in(w, '0', '9') | bytes_in(w, 'a', 'f')) >> 7;

	/* bit 8i times 2^(56 - 7i) lands at 56 + i; its products with the other terms fall
	 * below bit 56 or past bit 63, each at a place of its own, so nothing carries */
	return (f * 0x0102040810204080ULL) >> 56;
}

/*
 * Its name holds a run of 64 lowercase hex digits, within RS_CG_NAME bytes. Without a loop
 * over the bytes: a loop whose count of digits so far is compared at each byte gives the
 * verifier a state per count and position, past its limit of a million instructions. The
 * name's 96 bytes as 12 words, each to 8 bits; then the bits i..i+63 are all set for some i
 * when, after and-ing the mask with itself shifted by 1, 2, 4, … 32, some bit is left.
 */
static __always_inline int named_for_container(struct cgroup *cgrp)
{
	__u64 name[RS_CG_NAME / 8] = {}, lo = 0, hi = 0;
	long n = bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(cgrp, kn, name));

	if (n <= RS_CG_ID_RUN || n >= (long)sizeof(name))
		return 0;
#pragma unroll
	for (int i = 0; i < 8; i++)
		lo |= hex_bits(name[i]) << (8 * i);
#pragma unroll
	for (int i = 8; i < RS_CG_NAME / 8; i++)
		hi |= hex_bits(name[i]) << (8 * (i - 8));
#pragma unroll
	for (int k = 1; k <= 32; k <<= 1) {
		lo &= (lo >> k) | (hi << (64 - k));
		hi &= hi >> k;
	}
	return (lo | hi) != 0;
}

/* a new entry for cgrp, made in the per-CPU scratch and put in the map: 0, or -1 (counted as
 * a lost event of type ev unless another made it first) */
static __always_inline int add_entry(struct cgroup *cgrp, const struct rs_cg_key *key,
				     const char *path, __u8 flags, __u32 ev)
{
	__u32 zero = 0;
	struct rs_cgroup *v = bpf_map_lookup_elem(&cg_heap, &zero);
	__u64 now = bpf_ktime_get_boot_ns();
	long n;

	if (!v)
		return -1;
	__builtin_memset(v, 0, offsetof(struct rs_cgroup, path));
	v->state = RS_CG_LIVE;
	v->flags = flags;
	v->level = (__u16)BPF_CORE_READ(cgrp, level);
	/* at an attach: there before us, its mkdir unseen */
	v->made_ns = ev == RS_EV_CG_MKDIR ? now : 0;
	v->attached = ev == RS_EV_CG_ATTACH;
	if (v->attached)
		v->flags |= RS_CG_TASKS;
	n = bpf_probe_read_kernel_str(v->path, sizeof(v->path), path);
	if (n <= 0)
		v->path[0] = '\0';
	else if (n == sizeof(v->path))
		v->flags |= RS_CG_CUT;
	if (bpf_map_update_elem(&cgroups_map, key, v, BPF_NOEXIST)) {
		/* the daemon's walk made it first, or the map is full */
		if (!bpf_map_lookup_elem(&cgroups_map, key))
			count_event(ev, 0);
		return -1;
	}
	emit_cg(ev, key, now);
	return 0;
}

/*
 * 1 with cgrp's key where it is a container's cgroup of a followed hierarchy and these
 * programs are the live ones. Its name before meta: the events run for every cgroup of the
 * hierarchy, a container's parents included, and most are no container's.
 */
static __always_inline int container_cgroup(struct cgroup *cgrp, struct rs_cg_key *key)
{
	return followed(cgrp, key) && named_for_container(cgrp) && live_meta();
}

/*
 * cgrp's entry, where it is a container's cgroup with one. Its name first: populated and
 * rmdir run for every cgroup, and a lookup in the large map, whose memory is cold, costs more
 * than reading the name.
 */
static __always_inline struct rs_cgroup *entry_of(struct cgroup *cgrp, struct rs_cg_key *key)
{
	if (!container_cgroup(cgrp, key))
		return NULL;
	return bpf_map_lookup_elem(&cgroups_map, key);
}

static __always_inline int handle_cg_mkdir(struct cgroup *cgrp, const char *path)
{
	struct rs_cg_key key;

	if (!container_cgroup(cgrp, &key))
		return 0;
	add_entry(cgrp, &key, path, 0, RS_EV_CG_MKDIR);
	return 0;
}

/* the css of subsystem id in cgrp, or 0 */
static __always_inline __u64 css_of(struct cgroup *cgrp, int id)
{
	__u64 css = 0;

	if (id < 0 || id >= 64)
		return 0;
	bpf_probe_read_kernel(&css, sizeof(css),
			      (const void *)((__u64)cgrp +
					     bpf_core_field_offset(struct cgroup, subsys) +
					     (__u64)id * sizeof(css)));
	return css;
}

/* what cgrp's own counters say now, as its files would: CPU, peak memory, OOM kills */
static __always_inline void snapshot(struct cgroup *cgrp, __u32 hier, struct rs_cg_final *f)
{
	__u64 css;

	__builtin_memset(f, 0, sizeof(*f));
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, cpuacct_cgrp_id)) {
		css = css_of(cgrp, bpf_core_enum_value(enum cgroup_subsys_id, cpuacct_cgrp_id));
		if (css && !cpuacct_read((struct cgroup_subsys_state *)css, f))
			f->have |= RS_CGF_CPU;
	}
	/* cgroup2 keeps base statistics for every cgroup, whatever its controllers */
	if (hier == 0 && !(f->have & RS_CGF_CPU) && !cgroup2_cpu(cgrp, f))
		f->have |= RS_CGF_RSTAT;
	if (bpf_core_enum_value_exists(enum cgroup_subsys_id, memory_cgrp_id)) {
		css = css_of(cgrp, bpf_core_enum_value(enum cgroup_subsys_id, memory_cgrp_id));
		if (css)
			memcg_read((struct cgroup_subsys_state *)css, f);
	}
}

static __always_inline int handle_cg_rmdir(struct cgroup *cgrp)
{
	struct rs_cg_final fin;
	struct rs_cg_key key;
	struct rs_cgroup *v = entry_of(cgrp, &key);
	__u64 now;

	if (!v)
		return 0;
	snapshot(cgrp, key.hier, &fin);
	now = bpf_ktime_get_boot_ns();
	v->fin = fin;
	v->removed_ns = now;
	/*
	 * state last (include/cgroups.h): the compiler keeps the order, and so does x86; where
	 * the hardware may not, the daemon reads an entry until two reads agree
	 */
	asm volatile("" ::: "memory");
	*(volatile __u8 *)&v->state = RS_CG_REMOVED;
	emit_cg(RS_EV_CG_RMDIR, &key, now);
	return 0;
}

static __always_inline int handle_cg_attach(struct cgroup *cgrp, const char *path,
					    struct task_struct *task)
{
	struct rs_cg_job *j;
	struct rs_cg_key key;
	struct rs_cgroup *v;
	struct rs_proc st = {};
	__u32 tgid, before;

	if (!container_cgroup(cgrp, &key))
		return 0;
	/* its threads' exits count their wait for the container (wait_of_container()) */
	mark_container(BPF_CORE_READ(task, tgid));
	v = bpf_map_lookup_elem(&cgroups_map, &key);
	if (!v) {
		add_entry(cgrp, &key, path, RS_CG_AT_ATTACH, RS_EV_CG_ATTACH);
		return 0;
	}
	/* (a fetching add would need -mcpu=v3; two attaches at one instant are not told apart) */
	before = *(volatile __u32 *)&v->attached;
	__sync_fetch_and_add(&v->attached, 1);
	j = bpf_map_lookup_elem(&cg_jobs, &key);
	if (!j)
		return 0;
	tgid = BPF_CORE_READ(task, tgid);
	/* one tracked already stays where it is (and an init moved to each v1 hierarchy in
	 * turn joins once) */
	if (!surely_untracked(tgid) && bpf_map_lookup_elem(&procs_map, &tgid))
		return 0;
	st.runner = j->runner;
	st.job = j->job;
	st.kind = j->kind;
	/* the container's first task is its init; those attached after it run steps in it:
	 * each the command its exec starts, not runc's stages before it */
	st.flags = before || j->init_step ? RS_PROC_STEP_NEXT : 0;
	join_job_as(tgid, &st, RS_EV_CG_ATTACH);
	return 0;
}

static __always_inline int handle_cg_populated(struct cgroup *cgrp, int val)
{
	struct rs_cg_key key;
	struct rs_cgroup *v = entry_of(cgrp, &key);
	__u64 now;

	if (!v)
		return 0;
	now = bpf_ktime_get_boot_ns();
	v->emptied_ns = val ? 0 : now;
	if (val)
		v->flags |= RS_CG_TASKS;
	else
		v->flags &= ~RS_CG_TASKS;
	emit_cg(val ? RS_EV_CG_POPULATED : RS_EV_CG_EMPTIED, &key, now);
	return 0;
}

SEC("tp_btf/cgroup_mkdir")
int BPF_PROG(tp_btf_handle_cg_mkdir, struct cgroup *cgrp, const char *path)
{
	return handle_cg_mkdir(cgrp, path);
}

SEC("tp_btf/cgroup_rmdir")
int BPF_PROG(tp_btf_handle_cg_rmdir, struct cgroup *cgrp, const char *path)
{
	return handle_cg_rmdir(cgrp);
}

SEC("tp_btf/cgroup_attach_task")
int BPF_PROG(tp_btf_handle_cg_attach, struct cgroup *cgrp, const char *path,
	     struct task_struct *task, bool threadgroup)
{
	return handle_cg_attach(cgrp, path, task);
}

SEC("tp_btf/cgroup_notify_populated")
int BPF_PROG(tp_btf_handle_cg_populated, struct cgroup *cgrp, const char *path, int val)
{
	return handle_cg_populated(cgrp, val);
}

/* raw tracepoints: the same arguments as plain numbers, which the probe reads above take */
SEC("raw_tp/cgroup_mkdir")
int BPF_PROG(raw_tp_handle_cg_mkdir, __u64 cgrp, __u64 path)
{
	return handle_cg_mkdir((struct cgroup *)cgrp, (const char *)path);
}

SEC("raw_tp/cgroup_rmdir")
int BPF_PROG(raw_tp_handle_cg_rmdir, __u64 cgrp)
{
	return handle_cg_rmdir((struct cgroup *)cgrp);
}

SEC("raw_tp/cgroup_attach_task")
int BPF_PROG(raw_tp_handle_cg_attach, __u64 cgrp, __u64 path, __u64 task)
{
	return handle_cg_attach((struct cgroup *)cgrp, (const char *)path,
				(struct task_struct *)task);
}

SEC("raw_tp/cgroup_notify_populated")
int BPF_PROG(raw_tp_handle_cg_populated, __u64 cgrp, __u64 path, __u64 val)
{
	return handle_cg_populated((struct cgroup *)cgrp, (int)val);
}
