// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor for the BPF cost benchmark: programs on runnerscope's tracepoints (sched's exec,
 * fork and exit; cgroup's mkdir, rmdir, attach_task and notify_populated) that do nothing, in
 * both attach flavours. What the kernel reports for them is the cost of running
 * any program there, its own timing included; what runnerscope's programs cost above it is
 * their own work.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* an empty program on tracepoint tp in both flavours: tp_btf_<name> and raw_tp_<name> */
#define FLOOR(tp, name)                                                                            \
	SEC("tp_btf/" tp)                                                                          \
	int BPF_PROG(tp_btf_##name)                                                                \
	{                                                                                          \
		return 0;                                                                          \
	}                                                                                          \
	SEC("raw_tp/" tp)                                                                          \
	int BPF_PROG(raw_tp_##name)                                                                \
	{                                                                                          \
		return 0;                                                                          \
	}

FLOOR("sched_process_exec", exec)
FLOOR("sched_process_fork", fork)
FLOOR("sched_process_exit", exit)
FLOOR("cgroup_mkdir", cg_mkdir)
FLOOR("cgroup_rmdir", cg_rmdir)
FLOOR("cgroup_attach_task", cg_attach)
FLOOR("cgroup_notify_populated", cg_populated)
