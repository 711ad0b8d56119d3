/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The containers on the host, known from the kernel's cgroup events (intake/cgroups.c hands
 * them over) from their cgroup's mkdir to its rmdir, with the final figures the kernel kept
 * then; each counted once as created and once as removed. Those reported with series are the
 * ones hosting a runner, those a job started, or with --containers=all every one; their cgroups
 * are read on each pass and before each scrape.
 */
#ifndef RUNNERSCOPE_CONTAINERS_H
#define RUNNERSCOPE_CONTAINERS_H

#include <stdint.h>
#include <uthash.h>
#include <linux/types.h>
#include "jobs.h"
#include "cgroups.h"
#include "enrich/cgroup_path.h"
#include "enrich/cgroupfs.h"
#include "enrich/netns_stats.h"
#include "lib/utf8.h"

/* what a container is called, from the runtime's and kubelet's files; "" when unknown */
struct container_names {
	char name[NAME_LEN];
	char pod[NAME_LEN];
	char ns[NAME_LEN];
	char image[NAME_LEN]; /* the image it was made from, as the runtime names it */
};

/* a counter exported from a sum the kernel keeps (over devices, over interfaces) */
struct container_counter {
	uint64_t shown; /* exported: never steps back */
	uint64_t last; /* the sum last read */
};

enum {
	CONTAINER_IO = 1 << 0, /* io_* read at least once */
	CONTAINER_NET = 1 << 1, /* net_* read at least once: the container has a netns of its own */
};

/* its cgroups the kernel follows (a v1 host has one in each followed hierarchy) */
#define CONTAINER_CGROUPS 6
struct container_cg {
	struct rs_cg_key key;
	int removed;
};

/* how far its lifecycle is counted (runnerscope_containers_created_total, _removed_total) */
enum container_counted {
	CONTAINER_UNCOUNTED,
	CONTAINER_CREATED,
	CONTAINER_REMOVED,
};

/* one label set of the lifecycle counters, with its counts */
struct container_count {
	UT_hash_handle hh;
	struct rs_ctr_labels labels;
	struct rs_ctr_count n;
};

struct container {
	UT_hash_handle hh;
	char id[CONTAINER_ID_LEN + 1];
	int runtime;
	char pod_uid[POD_UID_LEN + 1];
	struct container_names names;
	struct cgroup_paths paths;
	struct cgroup_files files; /* its cgroup files, kept open between reads */
	struct container_stats stats; /* the last read; kept when the cgroup goes */
	int kind; /* the runner it hosts, if any */
	char runner[NAME_LEN];
	uint64_t cpu_user_ns; /* exported: the measured usage split by the sampled ratio */
	uint64_t cpu_system_ns;
	/* the peak of its memory usage (memory.peak, memory.max_usage_in_bytes; where a kernel has
	 * neither, the highest usage read), bytes; 0: none read */
	uint64_t mem_peak;
	uint64_t oom_kills; /* exported: its OOM kills, earlier instances' included */
	/* block I/O (by enum cg_io_dir) and network (by enum net_dir) counters. Their series
	 * stay once read, with their last values while a read fails, as a gone container's do */
	unsigned int counters; /* CONTAINER_* */
	struct container_counter io_bytes[CG_IO_DIR_MAX], io_ops[CG_IO_DIR_MAX];
	struct container_counter net_bytes[NET_DIR_MAX], net_packets[NET_DIR_MAX];
	uint64_t gone_ns; /* CLOCK_MONOTONIC when its cgroup was found gone; 0 while it is there.
			   * Its final values stay for the grace period (containers_opts) */
	uint64_t missing_ns; /* CLOCK_MONOTONIC a pass first found its files gone while its rmdir
			      * was not told yet; 0: not */
	/* names that may come later (kubelet links a container's log once it runs): when to
	 * look again (CLOCK_MONOTONIC), 0 when they are complete or looked for long enough */
	uint64_t names_retry_ns;
	unsigned int names_tries;
	int names_missing; /* its runtime's files could not be read: counted once */
	int reported; /* has series: it hosts a runner, a job started it, or --containers=all */
	char role[RS_ROLE_LEN]; /* a job's container's role (job, service, action, step) */
	struct container_cg cgs[CONTAINER_CGROUPS];
	int ncgs;
	uint64_t made_ns; /* CLOCK_MONOTONIC when it was first known (or made again) */
	uint64_t emptied_ns; /* CLOCK_BOOTTIME its last task left, as the kernel said; 0: not */
	int tasks; /* 1: it has tasks, 0: none (its files are not read again), -1: not known */
	int counted; /* enum container_counted */
	struct rs_ctr_labels as; /* the labels it was counted under */
	/* a container made again under its id (a restart) goes on from the earlier instance's
	 * counters: what those had reached */
	uint64_t base_user_ns, base_system_ns, base_oom;
	/* its threads' wait for a CPU (exported, only grows): what its removed cgroups' records
	 * said at their removal (wait_final) and what its live ones say now */
	uint64_t wait_ns, wait_final;
	/* its CPU at the last containers__cpu_deltas(), once that has taken it (delta_seen) */
	uint64_t delta_last;
	int delta_seen;
};

struct containers;

struct containers_opts {
	const char *cgroup_root;
	const char *docker_root; /* docker's --data-root, for names from config.v2.json */
	const char *kubelet_log_dir; /* kubelet's <pod>_<namespace>_<container>-<id>.log links */
	const char *runtime_root; /* where containerd's, CRI-O's and podman's files are: "/" */
	int all; /* every container on the host, not only runners' */
	uint64_t grace_ns; /* how long a gone container's final values stay */
	/* /proc/cgroups, for the hierarchies' ids: NULL, the text is read from procfs */
	const char *proc_cgroups;
	int cpu_wait; /* the kernel keeps each thread's wait for a CPU: the containers' is exported */
};

/*
 * Where the lifecycle counters are kept, so that they outlive the daemon (the pinned maps
 * ctr_counts and ctr_acct, include/cgroups.h; memory in the unit tests). Each returns 0 or
 * -errno (-ENOENT: no such key).
 */
struct containers_store_ops {
	int (*count_get)(void *ctx, const struct rs_ctr_labels *k, struct rs_ctr_count *v);
	int (*count_put)(void *ctx, const struct rs_ctr_labels *k, const struct rs_ctr_count *v);
	/* the label set after k (NULL: the first) into next; -ENOENT after the last */
	int (*count_next)(void *ctx, const struct rs_ctr_labels *k, struct rs_ctr_labels *next);
	int (*acct_get)(void *ctx, const struct rs_ctr_id *id, struct rs_ctr_acct *v);
	int (*acct_put)(void *ctx, const struct rs_ctr_id *id, const struct rs_ctr_acct *v);
	int (*acct_del)(void *ctx, const struct rs_ctr_id *id);
	/*
	 * The wait for a CPU of a live cgroup's threads so far. live: it may have tasks, and
	 * this is what its record said of those exited just before the last pass's task walk
	 * plus what that walk found of those running (never a thread twice); else its record
	 * now, which has every thread. 0, or -errno. NULL: not known
	 */
	int (*cg_wait)(void *ctx, const struct rs_cg_key *key, int live, uint64_t *wait_ns);
};

/* NULL with errno set, after logging why */
struct containers *containers__new(const struct containers_opts *opts);
void containers__free(struct containers *c);

/* Tracks the container (if it is not yet; paths: its cgroups, NULL when not known) as reported,
 * and copies its names into out. */
void containers__names(struct containers *c, const struct container_ref *ref,
		       const struct cgroup_paths *paths, struct container_names *out);
/*
 * What a job's record says of a container tracked already: its names, its CPU (as exported)
 * and its highest memory usage read. 0, or -ENOENT
 */
struct container_usage {
	struct container_names names;
	uint64_t cpu_user_ns, cpu_system_ns;
	uint64_t mem_peak;
	unsigned int have; /* CG_THROTTLE, CG_PSI_MEMORY: which of the two below its files gave */
	uint64_t throttled_ns; /* CFS quota throttling since it was made */
	uint64_t mem_stall_ns; /* memory.pressure's some total */
};
int containers__usage(struct containers *c, const char *id, struct container_usage *out);
/*
 * What each container that is neither a runner's nor a job's used of the CPU since the last
 * call (one made since counts from 0), for those that used some: *out, malloc'd, and how
 * many; -errno
 */
struct container_delta {
	char id[CONTAINER_ID_LEN + 1];
	uint64_t cpu_ns;
};
int containers__cpu_deltas(struct containers *c, struct container_delta **out);
/* calls cb with each live cgroup of every container that may have tasks, under the lock */
void containers__live_cgroups(struct containers *c,
			      void (*cb)(void *ctx, const struct rs_cg_key *key), void *ctx);
/* whether the containers' threads' wait for a CPU is known (containers_opts.cpu_wait) */
int containers__cpu_wait(const struct containers *c);
/* the names of a container tracked already into out: 0, or -ENOENT */
int containers__names_of(struct containers *c, const char *id, struct container_names *out);
/* a runner lives in container id: reported, and counted as the runner's */
void containers__set_runner(struct containers *c, const char *id, int kind, const char *runner);
/* container id is a job's of that runner, with that role: the same, and the role */
void containers__set_job(struct containers *c, const char *id, int kind, const char *runner,
			 const char *role);

/*
 * Reads every reported container's cgroups; counts as created those known for a second;
 * drops those gone for longer than the grace period. Finds no containers: the kernel's
 * cgroup events do (containers__cgroup()), and containers__walk() at start-up and for repair.
 */
void containers__refresh(struct containers *c);

/* counts as created every container known and not counted yet, under what is known of it now:
 * those there before the daemon started, once the start-up walk has found them, so that the
 * first scrape has them (a second later, a jump of the counters no container made) */
void containers__count_known(struct containers *c);

/* the lifecycle counters kept in a store from now on (ctx must outlive c); what an earlier
 * daemon kept there is taken */
void containers__set_store(struct containers *c, const struct containers_store_ops *ops,
			   void *ctx);

/* bit h: hierarchy id h is one whose containers' cgroups the kernel follows (cgroup2 on a v2
 * host; v1 cpuacct's and memory's where those are mounted) */
uint32_t containers__followed(struct containers *c);

/* the kernel's record of one of a container's cgroups (include/cgroups.h) */
struct container_cgroup {
	struct rs_cg_key key;
	const char *path; /* in its hierarchy */
	int removed;
	int tasks; /* as containers' tasks field */
	uint64_t emptied_ns; /* CLOCK_BOOTTIME */
	const struct rs_cg_final *fin; /* its counters at removal; NULL while it is there */
	uint64_t wait_ns; /* at removal: its exited threads' wait for a CPU */
};

enum {
	CONTAINER_MADE = 1 << 0, /* a container new to it (or made again under its id) */
	CONTAINER_GONE = 1 << 1, /* the container is gone with this cgroup */
};

/*
 * A cgroup of container ref, made or removed: the container is made the first time (its names
 * read), its cgroup's removal gives it its final values, counts its removal and starts its
 * grace period (an unreported container is dropped then). CONTAINER_* bits, or -errno.
 */
int containers__cgroup(struct containers *c, const struct container_ref *ref,
		       const struct container_cgroup *cg);
/*
 * Its last task left (tasks 0, at emptied_ns): its cgroup files are read now, before the
 * runtime may remove them, and not again on each pass while it has none; or its first came
 * (tasks 1)
 */
void containers__tasks(struct containers *c, const char *id, int tasks, uint64_t emptied_ns);
/* the keys of container id's cgroups there now, into keys (up to n); how many (0 once it is
 * gone, however its going was found) */
int containers__cgroup_keys(struct containers *c, const char *id, struct rs_cg_key *keys, int n);
/* one of its cgroups' directories (an absolute path, to read cgroup.procs): 0 or -ENOENT */
int containers__cgroup_dir(struct containers *c, const char *id, char *out, size_t sz);

/*
 * Walks the followed hierarchies (at start-up, and to repair what lost events missed): cb is
 * called for each container's own cgroup directory found, with its key and path
 */
int containers__walk(struct containers *c,
		     void (*cb)(void *ctx, const struct rs_cg_key *key, const char *path),
		     void *ctx);

/* containers whose cgroups are gone with no removal told: gone (after lost events) */
void containers__check_gone(struct containers *c);

/* the lifecycle counters, for the exposition: under containers__lock() */
struct container_count *containers__counts(struct containers *c);
/* the containers of runtime (RUNTIME_*) whose runtime's files could not be read, though they
 * had a process: under containers__lock() */
uint64_t containers__names_missing(struct containers *c, int runtime);

/* for the exposition, which only reads: under containers__lock() */
void containers__lock(struct containers *c);
void containers__unlock(struct containers *c);
struct container *containers__list(struct containers *c);

/*
 * Parses a kubelet log link name, <pod>_<namespace>_<container>-<id>.log, for container id
 * (none of the three names can hold '_'). 0 and out filled, or -EINVAL.
 */
int containers_kubelet_parse(const char *fname, const char *id, struct container_names *out);

/*
 * An OCI bundle's config.json as containerd's CRI plugin or CRI-O writes it: the container,
 * pod and namespace names in its annotations. 0 when one was found, -ENOENT when none.
 */
int containers_oci_names(const char *text, size_t len, struct container_names *out);
/*
 * podman's name and image for container id from its storage's containers.json (out->pod and
 * out->ns are left alone); 0 or -ENOENT
 */
int containers_podman_name(const char *text, size_t len, const char *id,
			   struct container_names *out);

/*
 * containerd's, CRI-O's and podman's names for container id of runtime (RUNTIME_*) from the
 * files they keep: through the runtime's monitor of pid, a process of the container (the
 * containerd shim's bundle directory and arguments, conmon's -b, -c and -n), read inside that
 * process's root; else (pid 0, or no monitor found) where they usually are under root ("/" on
 * the host: containerd's state in /run/containerd, k3s's and microk8s's, in any namespace).
 * 0 when a file was read (out may still be empty: it named nothing); -errno when none could
 * be. tried (tsz bytes, may be NULL) gets the last path looked at.
 */
int runtime_bundle__names(const char *root, int runtime, const char *id, pid_t pid,
			 struct container_names *out, char *tried, size_t tsz);

/*
 * kubelet's link for container id in dir: 0 and out, -ENOENT when it has none yet, another
 * -errno when there is no such directory (no kubelet here)
 */
int containers__kubelet_names(const char *dir, const char *id, struct container_names *out);

/* docker's name and image for a container from <docker_root>/containers/<id>/config.v2.json */
int containers_docker_names(const char *docker_root, const char *id, struct container_names *out);
/*
 * The same, and vals[i] (vsz bytes each, "" when absent) for keys[i]: an environment variable
 * of the container's config, with a "label:" prefix one of its labels, "labels:" the keys of
 * its labels with an empty value, space-separated (as many as fit), "image:" its image, or
 * "command:" what its init runs (Path and Args, space-separated).
 */
int runtime_files__docker_meta(const char *docker_root, const char *id, char *name, size_t sz,
			   const char *const *keys, char **vals, size_t vsz, int n);
/*
 * The same from an engine of a container's own (docker-in-docker): its default data root,
 * /var/lib/docker, in the filesystem process pid sees as its root (the inner engine's shim),
 * resolved inside it.
 */
int runtime_files__docker_meta_in(pid_t pid, const char *id, char *name, size_t sz,
			      const char *const *keys, char **vals, size_t vsz, int n);

#endif
