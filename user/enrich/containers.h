/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The containers runnerscope reports: those hosting a runner, or with --containers=all every
 * container on the host. Their cgroups are read on each pass and before each scrape.
 */
#ifndef RUNNERSCOPE_CONTAINERS_H
#define RUNNERSCOPE_CONTAINERS_H

#include <stdint.h>
#include <uthash.h>
#include "enrich/cgroup_path.h"
#include "enrich/cgroupfs.h"
#include "enrich/cgroup_io.h"
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
	uint64_t mem_peak; /* the highest memory usage read (once a pass), bytes; 0: none read */
	/* block I/O (by enum cg_io_dir) and network (by enum net_dir) counters. Their series
	 * stay once read, with their last values while a read fails, as a gone container's do */
	unsigned int counters; /* CONTAINER_* */
	struct container_counter io_bytes[CG_IO_DIR_MAX], io_ops[CG_IO_DIR_MAX];
	struct container_counter net_bytes[NET_DIR_MAX], net_packets[NET_DIR_MAX];
	uint64_t gone_ns; /* CLOCK_MONOTONIC when its cgroup was found gone; 0 while it is there.
			   * Its final values stay for the grace period (containers_opts) */
	/* names that may come later (kubelet links a container's log once it runs): when to
	 * look again (CLOCK_MONOTONIC), 0 when they are complete or looked for long enough */
	uint64_t names_retry_ns;
	unsigned int names_tries;
};

struct containers;

struct containers_opts {
	const char *cgroup_root;
	const char *docker_root; /* docker's --data-root, for names from config.v2.json */
	const char *kubelet_log_dir; /* kubelet's <pod>_<namespace>_<container>-<id>.log links */
	const char *runtime_root; /* where containerd's, CRI-O's and podman's files are: "/" */
	int all; /* every container on the host, not only runners' */
	uint64_t grace_ns; /* how long a gone container's final values stay */
};

/* NULL with errno set, after logging why */
struct containers *containers__new(const struct containers_opts *opts);
void containers__free(struct containers *c);

/* Tracks the container (if it is not yet) and copies its names into out. */
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
};
int containers__usage(struct containers *c, const char *id, struct container_usage *out);
/* the names of a container tracked already into out: 0, or -ENOENT */
int containers__names_of(struct containers *c, const char *id, struct container_names *out);
/* a runner lives in container id */
void containers__set_runner(struct containers *c, const char *id, int kind, const char *runner);

/* reads every tracked cgroup; finds new containers (--containers=all); drops those gone for
 * longer than the grace period */
void containers__refresh(struct containers *c);

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
 * files they keep under root ("/" on the host), where they are
 */
void containers_runtime_names(const char *root, int runtime, const char *id,
			      struct container_names *out);

/* docker's name and image for a container from <docker_root>/containers/<id>/config.v2.json */
int containers_docker_names(const char *docker_root, const char *id, struct container_names *out);
/*
 * The same, and vals[i] (vsz bytes each, "" when absent) for keys[i]: an environment variable
 * of the container's config, with a "label:" prefix one of its labels, "labels:" the keys of
 * its labels with an empty value, space-separated (as many as fit), "image:" its image, or
 * "command:" what its init runs (Path and Args, space-separated).
 */
int containers_docker_meta(const char *docker_root, const char *id, char *name, size_t sz,
			   const char *const *keys, char **vals, size_t vsz, int n);
/*
 * The same from an engine of a container's own (docker-in-docker): its default data root,
 * /var/lib/docker, in the filesystem process pid sees as its root (the inner engine's shim),
 * resolved inside it.
 */
int containers_docker_meta_in(pid_t pid, const char *id, char *name, size_t sz,
			      const char *const *keys, char **vals, size_t vsz, int n);

#endif
