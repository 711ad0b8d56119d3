/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A container's resource usage from cgroupfs under --cgroup.root, on cgroup v2, v1 and hybrid
 * hosts. v1 controllers win where the process has a v1 path (hybrid hosts keep CPU, memory,
 * block I/O and pids accounting there); cgroup2 serves the rest, and PSI.
 */
#ifndef RUNNERSCOPE_CGROUPFS_H
#define RUNNERSCOPE_CGROUPFS_H

#include <stddef.h>
#include <stdint.h>

#define CGROUPFS_PATH_MAX 512

/* where each hierarchy is mounted under --cgroup.root; "" when absent */
struct cgroup_layout {
	char unified[CGROUPFS_PATH_MAX]; /* cgroup2: <root> on v2 hosts, <root>/unified on hybrid */
	char cpuacct[CGROUPFS_PATH_MAX]; /* v1 cpuacct: the joint cpu,cpuacct mount if joint */
	char cpu[CGROUPFS_PATH_MAX]; /* v1 cpu */
	char memory[CGROUPFS_PATH_MAX]; /* v1 memory */
	char blkio[CGROUPFS_PATH_MAX]; /* v1 blkio */
	char pids[CGROUPFS_PATH_MAX]; /* v1 pids */
	/* each hierarchy's id, as /proc/cgroups numbers it (cgroup2: 0); -1 when not known */
	int hier_unified, hier_cpuacct, hier_cpu, hier_memory, hier_blkio, hier_pids;
};

/*
 * Finds the hierarchies under root by the files only they have (cgroup.controllers,
 * cpuacct.usage, cpu.shares, memory.usage_in_bytes, blkio.reset_stats; v1 pids has no file of
 * its own at its root: the "pids" directory with a cgroup.procs), following systemd's sibling
 * symlinks (cpuacct -> cpu,cpuacct). 0, -ENOENT when root holds none of them, -ENAMETOOLONG.
 */
int cgroupfs__layout(const char *root, struct cgroup_layout *out);

/*
 * The hierarchy ids of l's v1 hierarchies from the text of /proc/cgroups ("<controller>
 * <hierarchy> <cgroups> <enabled>" lines after a '#' header), len bytes; cgroup2's is 0. A
 * controller bound to cgroup2, or listed nowhere, leaves its id at -1 for a v1 mount of it.
 * 0, or -EINVAL for text the kernel would not write (nothing of it is taken then).
 */
int cgroupfs_hier_ids(const char *text, size_t len, struct cgroup_layout *l);

/* a process's cgroup in each hierarchy; "" when absent */
struct cgroup_paths {
	char unified[CGROUPFS_PATH_MAX]; /* the "0::<path>" line */
	char cpuacct[CGROUPFS_PATH_MAX]; /* the v1 line whose controllers hold cpuacct */
	char cpu[CGROUPFS_PATH_MAX];
	char memory[CGROUPFS_PATH_MAX];
	char blkio[CGROUPFS_PATH_MAX];
	char pids[CGROUPFS_PATH_MAX];
};

/*
 * Parses the whole text of /proc/<pid>/cgroup, len bytes without a NUL. 0, or -EINVAL (and
 * *out all "") for anything the kernel would not write: a malformed or repeated line, a path
 * that is not absolute, too long, or has a ".." component. The last includes the "/../.." the
 * kernel writes for a cgroup outside the reader's cgroup namespace: read with the host's.
 */
int cgroupfs_paths(const char *text, size_t len, struct cgroup_paths *out);

enum {
	CG_CPU = 1 << 0,
	CG_MEMORY = 1 << 1,
	CG_LIMIT = 1 << 2,
	CG_OOM = 1 << 3,
	CG_THROTTLE = 1 << 4,
	CG_PSI_CPU = 1 << 5,
	CG_PSI_MEMORY = 1 << 6,
	CG_PSI_IO = 1 << 7,
	CG_IO = 1 << 8, /* some device's I/O accounted to the cgroup */
	CG_PIDS = 1 << 9,
	CG_PIDS_LIMIT = 1 << 10, /* unset when "max" */
	CG_PEAK = 1 << 11, /* memory.peak (cgroup2, 5.19+) or memory.max_usage_in_bytes (v1) */
};

enum cg_psi { CG_PSI_RES_CPU, CG_PSI_RES_MEMORY, CG_PSI_RES_IO, CG_PSI_RES_MAX };
enum cg_io_dir { CG_IO_READ, CG_IO_WRITE, CG_IO_DIR_MAX };

struct container_stats {
	unsigned int have; /* CG_* bits: what this host and cgroup provide; absent is never 0 */
	uint64_t cpu_user_ns, cpu_system_ns, cpu_usage_ns;
	uint64_t mem_usage, mem_working_set, mem_rss, mem_limit, mem_peak; /* bytes */
	uint64_t oom_kills;
	uint64_t throttled_ns;
	uint64_t psi_some_us[CG_PSI_RES_MAX]; /* the "some … total=" field, by enum cg_psi */
	uint64_t io_bytes[CG_IO_DIR_MAX], io_ops[CG_IO_DIR_MAX]; /* summed over devices */
	uint64_t pids, pids_limit;
	int pid; /* a process directly in the cgroup (the first cgroup.procs lists); 0: none */
};

/*
 * Reads the stats of the cgroup p names in each hierarchy l has. A bit is set only when every
 * file behind it was read and parsed: a missing file, a malformed number, an unlimited limit
 * leave it unset. On a hybrid host the cgroup2 path is used only when it is the same as the v1
 * paths: a runtime that leaves cgroup2 alone leaves its containers in a shared cgroup there.
 * 0 when the cgroup exists in at least one hierarchy read; -ENOENT when it is gone everywhere;
 * -EINVAL for a path cgroupfs_paths() would refuse; another -errno when a directory cannot be
 * opened for another reason (-EMFILE, -EACCES): not a reason to think the container gone.
 */
int cgroupfs_read(const struct cgroup_layout *l, const struct cgroup_paths *p,
		  struct container_stats *out);

/*
 * A cgroup's directories and files kept open between reads: opening them (a path walk in
 * cgroupfs each) is most of what a read costs. Zeroed is empty; up to half the process's
 * file limit is used for all of them together, and past it files are opened for each read.
 */
#define CG_DIRS 6
#define CG_FILES_MAX 24
struct cgroup_files {
	int open; /* dirs[] hold the cgroup's directories, one per hierarchy (or -1) */
	int stale; /* a kept file's cgroup was removed */
	int dirs[CG_DIRS];
	int n;
	struct {
		int slot;
		const char *name;
		int fd;
	} f[CG_FILES_MAX];
};

/* cgroupfs_read(), keeping the files in keep for the next read */
int cgroupfs_read_kept(const struct cgroup_layout *l, const struct cgroup_paths *p,
		       struct cgroup_files *keep, struct container_stats *out);
void cgroupfs_files_close(struct cgroup_files *keep);

#endif
