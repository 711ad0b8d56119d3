/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The BPF side: load and attach, the ring buffer, the kernel's agent and job records. */
#ifndef RUNNERSCOPE_PROBES_H
#define RUNNERSCOPE_PROBES_H

#include <stdint.h>
#include <linux/types.h>
#include "jobs.h"

struct state;
struct probes;

enum probes_attach {
	ATTACH_AUTO,
	ATTACH_TP_BTF,
	ATTACH_RAW_TP,
};

struct probes_opts {
	enum probes_attach attach;
	int stats; /* turn on the kernel's BPF run-time statistics while we run */
	uint32_t ringbuf_bytes;
	const char *pin_path; /* NULL or "": no pinning; programs go with the daemon */
	int cleanup_on_exit; /* unpin and detach everything when the daemon exits */
	uint64_t end_idle_ns; /* a job of several processes ends after this long with none */
	const char *docker_root; /* docker's data root: job containers' names and labels */
	const char *runtime_root; /* containerd's and CRI-O's files: job pods' names */
	const char *kubelet_log_dir; /* kubelet's log links: job pods' names without them */
	/* bit h: hierarchy id h holds the containers' cgroups whose removal the programs keep
	 * (enrich/cgroupfs.h, cgroupfs_followed()) */
	uint32_t cg_hiers;
};

/* NULL with errno set; the reason has been logged in one line */
struct probes *probes__new(const struct probes_opts *opts);
void probes__free(struct probes *p);

/* whether the kernel keeps each thread's wait for a CPU (CONFIG_SCHED_INFO), from its BTF */
int probes__cpu_wait(void);

/* the attach flavour in use: "tp_btf" or "raw_tp" */
const char *probes__attach_name(const struct probes *p);
/* the running kernel's release, as uname(2) gives it */
const char *probes__kernel_release(const struct probes *p);
/* a program's run time and runs, from the kernel's BPF statistics */
#define PROBES_PROGS 9
struct probes_prog_stat {
	/* handle_exec, handle_fork, handle_exit, handle_mark_victim, handle_cg_mkdir, …,
	 * iter_job_cpu */
	const char *name;
	uint64_t run_ns;
	uint64_t runs;
};
/* the statistics of the programs there are; -ENODATA when the kernel does not keep them */
int probes__prog_stats(struct probes *p, struct probes_prog_stat out[PROBES_PROGS]);

/* a hash map's entries and capacity */
#define PROBES_MAPS 12
struct probes_map_stat {
	const char *name;
	uint64_t entries;
	uint64_t capacity;
};
int probes__map_stats(struct probes *p, struct probes_map_stat out[PROBES_MAPS]);

/*
 * 0 while every tracepoint program is attached; otherwise 1, with which one is not in
 * reason. With --bpf.pin-path the pins own the links: a removed pin is a detached program.
 */
int probes__health(struct probes *p, char *reason, size_t sz);

/* the kernel follows this process already (pinned programs tracked it while we were away) */
int probes__tracked(struct probes *p, uint32_t tgid);
int probes__seed_proc(struct probes *p, uint32_t tgid, const struct rs_proc *proc);

#endif
