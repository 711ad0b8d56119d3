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
#include "jobs.skel.h"

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

struct probes {
	/* one reader of the records at a time (event loop, reconcile, a scrape's refresh): a
	 * record consumed by one and re-read by another would count twice */
	pthread_mutex_t lock;
	struct jobs_bpf *skel;
	struct live_cpu *live;
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
};
/* the pinned links: exec, fork, exit, oom:mark_victim */
#define PROBES_LINKS 4
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
struct jobs_bpf *probes_load(struct probes *p, const struct probes_opts *opts, int oom, __u32 gen,
			     enum probes_pins pins, int *err);
/* the iterator alone, loaded against the pinned maps and ring buffer, whose pinned programs
 * keep running */
struct jobs_bpf *probes_load_iter(struct probes *p, const struct probes_opts *opts, int oom,
				  __u32 gen, int *err);
/* the object opened, its programs of p's flavour to load (only the iterator without
 * tracepoints), its rodata set; NULL and errno */
struct jobs_bpf *probes_open(const struct probes *p, const struct probes_opts *opts, int oom,
			     __u32 gen, int tracepoints);
/* the i-th pinned map of skel (each but the ring buffer), NULL past the last */
struct bpf_map *probes_pin_map(struct jobs_bpf *skel, int i);
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
int probes_add_proc(struct probes *p, __u32 tgid, const struct rs_proc *pr, __u64 flags);
/* tgid's bit cleared: the programs' fast path passes it by (kept while it is tracked) */
void probes_bit_clear(struct probes *p, __u32 tgid);

/* features.c: one clear line for what the host lacks; 0 or -errno */
int probes_preflight(void);
/* what the kernel's BTF says: oom:mark_victim's argument (1 task, 0 pid, -1 no tracepoint);
 * whether it has the kfunc bpf_rdonly_cast() */
void probes_kernel_btf_facts(int *oom, int *cast);

#endif
