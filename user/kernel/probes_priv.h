/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the parts of struct probes share and nobody else sees. The kernel side: probes.c (the
 * object), features.c (what the kernel can do), load.c (opening and loading), pinned.c (the
 * pinned set), markers.c (procs_bits), stats.c (programs' and maps' statistics, health). The
 * intake (intake/) reads the same object: events.c, reconcile.c, groups.c.
 */
#ifndef RS_PROBES_PRIV_H
#define RS_PROBES_PRIV_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <bpf/libbpf.h>
#include <uthash.h>
#include "ci/jobid.h"
#include "kernel/probes.h"
#include "state/state.h"
#include "runnerscope.skel.h"

/*
 * One container cgroup's threads' wait for a CPU at a pass: what its record said of the
 * exited ones just before the task walk (exited_ns), and what the walk summed of the live ones
 */
struct live_cg {
	UT_hash_handle hh;
	struct rs_cg_key key;
	uint64_t exited_ns;
	uint64_t wait_ns;
};

/* live CPU of one job, summed from iter_job_cpu's records */
struct live_cpu {
	UT_hash_handle hh;
	struct rs_key key;
	struct job_cpu cpu;
};

/*
 * A job of several processes in turn (jobid.h): the record the daemon made for it, under a
 * made-up key, until it has been idle for --jobs.end-after-idle
 */
struct group {
	UT_hash_handle hh;
	char hkey[JOBID_LEN + 8]; /* "<kind>/<job id>" */
	struct rs_key key;
	uint64_t idle_since; /* CLOCK_MONOTONIC ns since no process of it is alive; 0 while one is */
	uint64_t ended_at; /* CLOCK_MONOTONIC ns it was ended; 0 while it runs */
	char runner[NAME_LEN]; /* the runner the job names, for when it has no agent */
};

/* an ended job's id is kept this long, so that a late process does not start it again */
#define GROUP_KEEP_NS (600ULL * 1000000000ULL)

/*
 * A container placed in a job (intake/groups.c): the tasks attached to its cgroups join the job
 * (cg_jobs), until it is gone
 */
struct placed {
	UT_hash_handle hh;
	char id[CONTAINER_ID_LEN + 1];
	struct rs_key job;
	struct rs_cg_job cj; /* what cg_jobs holds for its cgroups */
	int step; /* its init is one of the job's steps (a GitLab stage's container) */
	int ends_job; /* the job container of a job of several processes: its removal ends it */
	/* a job of several processes' container whose cgroup was removed while its runtime still
	 * had it: stopped, not gone, and its job goes on */
	int stopped;
	char group[JOBID_LEN + 8]; /* the hkey of its job of several processes, "" otherwise */
};

/* which walk of the cgroup hierarchies, for runnerscope_container_walks_total */
enum cgroups_walk {
	CGROUPS_WALK_STARTUP,
	CGROUPS_WALK_LOST, /* cgroup events were lost */
	CGROUPS_WALK_MAX,
};

struct probes {
	/* one reader of the records at a time (event loop, reconcile, a scrape's refresh): a
	 * record consumed by one and re-read by another would count twice */
	pthread_mutex_t lock;
	struct runnerscope_bpf *skel;
	struct live_cpu *live;
	struct live_cg *live_cg; /* (intake/reconcile.c) */
	int cpu_wait; /* probes__cpu_wait(): the containers' threads' waits are summed */
	/* the runners' work folders a pass reads (intake/reconcile.c), kept from pass to pass */
	struct runner_workdir *workdirs;
	int workdirs_cap;
	struct ring_buffer *rb;
	struct state *state;
	struct state_store store; /* the counters' pinned maps, for the state (state_store_bpf) */
	enum probes_attach mode;
	/* with raw_tp: the programs that read current through a helper (raw_tp_cur_*), for
	 * kernels without bpf_rdonly_cast() (before 6.2), rather than those that read their
	 * arguments (raw_tp_*) */
	int raw_cur;
	char pin_path[PATH_MAX]; /* empty: nothing pinned */
	int pin_fd; /* the pin directory, locked while we run */
	int cleanup; /* unpin everything on the way out */
	int stats_fd; /* holds the kernel's BPF run-time statistics on; -1 when not ours */
	int stats; /* statistics are being kept (by us or by kernel.bpf_stats_enabled) */
	_Atomic uint64_t *bits; /* procs_bits, mapped: RS_BITS_WORDS words */
	char kernel[65]; /* uname -r */
	int has_oom; /* the kernel has oom:mark_victim, and link_oom is ours */
	struct group *groups;
	_Atomic uint64_t taken; /* events taken from the ring buffer, counted once each is done */
	int rb_behind; /* in a pass: events were waiting in the ring buffer when it began */
	uint64_t end_idle_ns;
	char docker_root[PATH_MAX];
	char runtime_root[PATH_MAX];
	char kubelet_log_dir[PATH_MAX];
	struct containers *containers; /* told of the containers' cgroups (intake/cgroups.c) */
	struct placed *placed; /* by container id */
	uint64_t cg_lost_seen; /* cgroup events lost, at the last walk */
	_Atomic uint64_t cg_walks[CGROUPS_WALK_MAX];
};
/* the pinned links: exec, fork, exit, oom:mark_victim, then the cgroup events */
#define PROBES_LINKS 8
#define PROBES_LINK_OOM 3
extern const char *const probes_link_names[PROBES_LINKS];
/* link i of the programs of p's flavour; NULL-valued while they are not attached by p->skel */
struct bpf_link **probes_link(const struct probes *p, int i);
/* <pin path>/<name> into out: 0 or -ENAMETOOLONG */
int probes_pin_file(const struct probes *p, const char *name, char *out, size_t sz);

/* which of the object's maps probes_load() points at their pins */
enum probes_pins {
	PINS_NONE, /* none: a new object whose maps a migration fills */
	PINS_MAPS, /* the maps, reused from their pins or pinned as they are made; not the ring buffer */
	PINS_ALL, /* the maps and the ring buffer */
};

/*
 * load.c: the object opened with the programs of p's flavour and loaded (rejected by the
 * verifier with auto: the next flavour down); NULL with *err set
 */
struct runnerscope_bpf *probes_load(struct probes *p, const struct probes_opts *opts, int oom, __u32 gen,
			     enum probes_pins pins, int *err);
/* the iterator alone, loaded against the pinned maps and ring buffer, whose pinned programs
 * keep running */
struct runnerscope_bpf *probes_load_iter(struct probes *p, const struct probes_opts *opts, int oom,
				  __u32 gen, int *err);
/* the object opened, its programs of p's flavour to load (only the iterator without
 * tracepoints), its rodata set; NULL and errno */
struct runnerscope_bpf *probes_open(const struct probes *p, const struct probes_opts *opts, int oom,
			     __u32 gen, int tracepoints);
/* the i-th pinned map of skel (each but the ring buffer), NULL past the last */
struct bpf_map *probes_pin_map(struct runnerscope_bpf *skel, int i);
/* what the pinned programs were built from: options and kernel facts, as meta.build */
__u64 probes_build_hash(const struct probes_opts *opts, int oom);
/* why the verifier rejected a program in the last load, "" when none was */
const char *probes_reject_reason(void);

/* pinned.c: the programs loaded and attached, fresh or from the pinned set; 0 or -errno */
int probes_setup(struct probes *p, const struct probes_opts *opts);

/* stats.c: the kernel's BPF run-time statistics on while we run */
void probes_enable_stats(struct probes *p);

/* markers.c: procs_bits mapped; then marked from procs_map, and its words made ready */
int probes_map_bits(struct probes *p);
void probes_bits_ready(struct probes *p);
/* a procs_map entry for tgid, and its bit; 0 or -errno */
int probes__add_proc(struct probes *p, __u32 tgid, const struct rs_proc *pr, __u64 flags);
/* tgid's bit cleared: the programs' fast path passes it by (kept while it is tracked) */
void probes__bit_clear(struct probes *p, __u32 tgid);

/* features.c: one clear line for what the host lacks; 0 or -errno */
int probes_preflight(void);
/* what the kernel's BTF says: oom:mark_victim's argument (1 task, 0 pid, -1 no tracepoint);
 * whether it has the kfunc bpf_rdonly_cast() */
void probes_kernel_btf_facts(int *oom, int *cast);
/* the kernel has bpf_map_lookup_percpu_elem() (5.19) and bpf_loop() (5.17): the cgroup programs
 * read a removed cgroup's per-CPU counters (bpf/core_fixes.bpf.h) */
int probes_percpu_reads(void);
/*
 * Where cgroup2's per-CPU base statistics are (bpf/core_fixes.bpf.h): the offset of the
 * per-CPU pointer in struct cgroup (rstat_base_cpu, or rstat_cpu before the rstat trees were
 * made per subsystem) and of bstat and last_bstat in what it points to; all 0 when the BTF
 * does not tell. Read from the BTF here, not by CO-RE: a relocation against a type one
 * kernel lacks makes libbpf search every module's BTF for it at each load.
 */
struct probes_rstat {
	__u32 cgroup_off, bstat_off, last_off;
};
void probes_rstat_offsets(struct probes_rstat *out);

#endif
