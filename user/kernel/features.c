// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* What the kernel can do: privileges, BPF features, what its BTF says */
#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "lib/log.h"
#include "kernel/probes_priv.h"

static int has_cap(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return 0;
	return !!(data[cap / 32].effective & (1U << (cap % 32)));
}

/* the kernel takes BPF's atomic OR and AND (Linux 5.12), which procs_bits is kept with */
static int atomic_bit_ops(void)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 0 },
		{ .code = BPF_STX | BPF_MEM | BPF_DW, .dst_reg = BPF_REG_10, .src_reg = BPF_REG_1,
		  .off = -8 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_1, .imm = 1 },
		{ .code = BPF_STX | BPF_ATOMIC | BPF_DW, .dst_reg = BPF_REG_10,
		  .src_reg = BPF_REG_1, .off = -8, .imm = BPF_OR },
		{ .code = BPF_STX | BPF_ATOMIC | BPF_DW, .dst_reg = BPF_REG_10,
		  .src_reg = BPF_REG_1, .off = -8, .imm = BPF_AND },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	int fd = bpf_prog_load(BPF_PROG_TYPE_SOCKET_FILTER, NULL, "GPL", insns,
			       sizeof(insns) / sizeof(insns[0]), NULL);

	if (fd < 0)
		return 0;
	close(fd);
	return 1;
}

/* one clear line for what the host lacks, before libbpf gets to say it at length */
int probes_preflight(void)
{
	if (!has_cap(CAP_SYS_ADMIN) && !(has_cap(CAP_BPF) && has_cap(CAP_PERFMON))) {
		pr_err("missing privilege: loading BPF programs needs CAP_BPF and CAP_PERFMON (or "
		       "CAP_SYS_ADMIN); run runnerscope as root");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		pr_err("missing kernel feature: no BTF at /sys/kernel/btf/vmlinux; runnerscope "
		       "needs Linux 5.12 or later built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		pr_err("missing kernel feature: BPF ring buffers; runnerscope needs Linux 5.12 or "
		       "later");
		return -ENOTSUP;
	}
	/* the raw_tp_cur programs (before Linux 6.2) read current through it */
	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_FUNC_get_current_task_btf,
				    NULL) != 1) {
		pr_err("missing kernel feature: the BPF helper bpf_get_current_task_btf; "
		       "runnerscope needs Linux 5.12 or later");
		return -ENOTSUP;
	}
	if (!atomic_bit_ops()) {
		pr_err("missing kernel feature: BPF atomic OR and AND (procs_bits); runnerscope "
		       "needs Linux 5.12 or later");
		return -ENOTSUP;
	}
	return 0;
}

/* the byte offset of member name in the struct t of btf, and its type id; -1 when none */
static long member_at(const struct btf *btf, const struct btf_type *t, const char *name,
		      __u32 *type)
{
	const struct btf_member *m = btf_members(t);

	for (int i = 0; i < btf_vlen(t); i++, m++) {
		if (strcmp(btf__name_by_offset(btf, m->name_off), name))
			continue;
		*type = m->type;
		return (long)(btf_member_bit_offset(t, i) / 8);
	}
	return -1;
}

/* cgroup2's per-CPU base statistics in struct cgroup, as btf has them: *out, or zeros */
static void rstat_offsets(const struct btf *btf, struct probes_rstat *out)
{
	static const char *const fields[] = { "rstat_base_cpu", "rstat_cpu" };
	const struct btf_type *t, *pc;
	long off = -1, bstat, last;
	__u32 type = 0, unused;
	int id;

	memset(out, 0, sizeof(*out));
	id = btf__find_by_name_kind(btf, "cgroup", BTF_KIND_STRUCT);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	for (size_t i = 0; t && off < 0 && i < sizeof(fields) / sizeof(fields[0]); i++)
		off = member_at(btf, t, fields[i], &type);
	/* a pointer (per-CPU) to the struct that holds bstat and last_bstat */
	pc = off >= 0 ? btf__type_by_id(btf, type) : NULL;
	pc = pc && btf_is_ptr(pc) ? btf__type_by_id(btf, pc->type) : NULL;
	while (pc && (btf_is_typedef(pc) || btf_is_mod(pc)))
		pc = btf__type_by_id(btf, pc->type);
	if (pc && btf_is_struct(pc)) {
		bstat = member_at(btf, pc, "bstat", &unused);
		last = member_at(btf, pc, "last_bstat", &unused);
		if (bstat >= 0 && last >= 0) {
			out->cgroup_off = (__u32)off;
			out->bstat_off = (__u32)bstat;
			out->last_off = (__u32)last;
		}
	}
}

/*
 * What the kernel's BTF says of it, read once (its BTF is megabytes to parse): what
 * oom:mark_victim passes, the victim task since Linux 6.8 (1), its pid before (0), or -1 when
 * the kernel has no such tracepoint; whether it has the kfunc bpf_rdonly_cast() (6.2), with
 * which the raw_tp programs read their arguments; whether it has the helpers
 * bpf_map_lookup_percpu_elem() (5.19) and bpf_loop() (5.17), told by their functions in BTF
 * (every helper has one) and not by loading a probe, whose verifier log valgrind takes for
 * uninitialised memory; where cgroup2's base statistics are; and whether a task keeps its wait
 * for a CPU (sched_info.run_delay, CONFIG_SCHED_INFO).
 */
static struct {
	int read, oom, cast, percpu, run_delay;
	struct probes_rstat rstat;
} facts;

static void read_facts(void)
{
	struct btf *btf;
	const struct btf_type *t;
	int id;

	if (facts.read)
		return;
	facts.read = 1;
	facts.oom = -1;
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return;
	facts.cast = btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
	id = btf__find_by_name_kind(btf, "btf_trace_mark_victim", BTF_KIND_TYPEDEF);
	t = id > 0 ? btf__type_by_id(btf, btf__type_by_id(btf, id)->type) : NULL;
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(btf, t->type);
	if (t && btf_is_func_proto(t) && btf_vlen(t) >= 2) {
		const struct btf_type *a = btf__type_by_id(btf, btf_params(t)[1].type);

		while (a && (btf_is_typedef(a) || btf_is_mod(a)))
			a = btf__type_by_id(btf, a->type);
		facts.oom = a && btf_is_ptr(a);
	}
	facts.percpu =
		btf__find_by_name_kind(btf, "bpf_map_lookup_percpu_elem", BTF_KIND_FUNC) > 0 &&
		btf__find_by_name_kind(btf, "bpf_loop", BTF_KIND_FUNC) > 0;
	rstat_offsets(btf, &facts.rstat);
	id = btf__find_by_name_kind(btf, "sched_info", BTF_KIND_STRUCT);
	if (id > 0) {
		__u32 unused;

		facts.run_delay = member_at(btf, btf__type_by_id(btf, id), "run_delay", &unused) >= 0;
	}
	btf__free(btf);
}

void probes_kernel_btf_facts(int *oom, int *cast)
{
	read_facts();
	*oom = facts.oom;
	*cast = facts.cast;
}

void probes_rstat_offsets(struct probes_rstat *out)
{
	read_facts();
	*out = facts.rstat;
}

int probes_percpu_reads(void)
{
	read_facts();
	return facts.percpu;
}

int probes__cpu_wait(void)
{
	read_facts();
	return facts.run_delay;
}
