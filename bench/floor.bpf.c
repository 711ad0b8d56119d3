// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The floor for the BPF cost benchmark: programs on runnerscope's three tracepoints that do
 * nothing, in both attach flavours. What the kernel reports for them is the cost of running
 * any program there, its own timing included; what runnerscope's programs cost above it is
 * their own work.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "Dual BSD/GPL";

SEC("tp_btf/sched_process_exec")
int BPF_PROG(tp_btf_exec, struct task_struct *p)
{
	return 0;
}

SEC("tp_btf/sched_process_fork")
int BPF_PROG(tp_btf_fork, struct task_struct *parent, struct task_struct *child)
{
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(tp_btf_exit, struct task_struct *p)
{
	return 0;
}

SEC("raw_tp/sched_process_exec")
int BPF_PROG(raw_tp_exec)
{
	return 0;
}

SEC("raw_tp/sched_process_fork")
int BPF_PROG(raw_tp_fork)
{
	return 0;
}

SEC("raw_tp/sched_process_exit")
int BPF_PROG(raw_tp_exit)
{
	return 0;
}
