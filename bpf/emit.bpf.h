/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What goes out through the ring buffer (events_rb): a record's change (struct rs_event), a
 * job's start or step with its environment (struct rs_env_event), a cgroup's change (struct
 * rs_cg_event); and the count of each type sent and lost (events_total, per CPU), where a
 * reservation that fails, or an entry that could not be made, counts as lost.
 *
 * A reservation is tested for NULL once, and nothing is computed from that test: Linux 6.1's
 * verifier follows a second test's impossible branch with the reservation held and rejects the
 * program ("Unreleased reference"), which later kernels do not.
 */
#ifndef RUNNERSCOPE_EMIT_BPF_H
#define RUNNERSCOPE_EMIT_BPF_H

#include "common.bpf.h"

/* one event of type sent (ok) or lost */
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

static __always_inline void fill_event(struct rs_event *e, __u32 type, __u32 tgid,
				       const struct rs_key *key, __u64 ts, __s32 exit_code,
				       __u8 kind)
{
	e->type = type;
	e->tgid = tgid;
	e->key = *key;
	e->ts_ns = ts;
	e->exit_code = exit_code;
	e->kind = kind;
}

/* that the record key of tgid's agent or job (or container init) changed */
static __always_inline void emit(__u32 type, __u32 tgid, const struct rs_key *key, __u64 ts,
				 __s32 exit_code, __u8 kind)
{
	struct rs_event *e = bpf_ringbuf_reserve(&events_rb, sizeof(*e), 0);

	if (!e) {
		count_event(type, 0);
		return;
	}
	count_event(type, 1);
	fill_event(e, type, tgid, key, ts, exit_code, kind);
	bpf_ringbuf_submit(e, 0);
}

/*
 * A job's start, or a hint that one of its steps exec'd, with the process's environment
 * (struct rs_env_event), read from the new image's stack as the exec left it: a step may be
 * over before the daemon could read its /proc. 0 when sent; -1 when the ring buffer is busy
 * or the record could not be had, and the caller sends a plain event.
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
	fill_event(&e->ev, type, tgid, key, ts, 0, kind);
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

/*
 * With the kernel's default wakeup, as every record: the daemon is woken when it has read all
 * before this one. (A record sent without a wakeup would leave the daemon asleep for the next
 * ones too, the kernel waking it only for a record right after all it has read.)
 */
static __always_inline void emit_cg(__u32 type, const struct rs_cg_key *key, __u64 ts)
{
	struct rs_cg_event *e = bpf_ringbuf_reserve(&events_rb, sizeof(*e), 0);

	if (!e) {
		count_event(type, 0);
		return;
	}
	count_event(type, 1);
	e->type = type;
	e->hier = key->hier;
	e->id = key->id;
	e->ts_ns = ts;
	bpf_ringbuf_submit(e, 0);
}

#endif /* RUNNERSCOPE_EMIT_BPF_H */
