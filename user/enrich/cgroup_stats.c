// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A cgroup's CPU, memory, throttling and PSI from its files in each hierarchy, on v1 and v2
 * (block I/O and pids: cgroup_io.c); the files are kept open between reads while the fd
 * budget has room (cgroup_files.c).
 *
 * Files read, per hierarchy (all tiny, rewritten by the kernel on each read):
 *   v1 cpuacct  cpuacct.usage, cpuacct.usage_user, cpuacct.usage_sys (4.7+), else cpuacct.stat
 *   v1 cpu      cpu.stat throttled_time
 *   v1 memory   memory.usage_in_bytes, memory.stat, memory.limit_in_bytes, memory.oom_control,
 *               memory.max_usage_in_bytes
 *   cgroup2     cpu.stat, memory.current, memory.stat, memory.max, memory.events, memory.peak,
 *               *.pressure
 *   any         cgroup.procs (its first process, for the container's network namespace)
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "enrich/cgroupfs.h"
#include "enrich/cgroupfs_priv.h"

/* v1 shows "no limit" as PAGE_COUNTER_MAX in bytes: LONG_MAX rounded down to a page */
#define V1_UNLIMITED (1ULL << 62)

/* decimal digits up to the end of the line (or a space, if stop_at_space); -EINVAL otherwise */
static int parse_u64(const char *s, int stop_at_space, uint64_t *v)
{
	uint64_t x = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -EINVAL;
		x = x * 10 + d;
	}
	if (p == s || (*p && *p != '\n' && !(stop_at_space && *p == ' ')))
		return -EINVAL;
	*v = x;
	return 0;
}

/* the text of a file holding one number and a newline */
static int text_u64(const char *buf, uint64_t *v)
{
	const char *nl = strchr(buf, '\n');

	if (nl && nl[1])
		return -EINVAL;
	return parse_u64(buf, 0, v);
}

/* a file holding one number, as memory.current or cpuacct.usage do */
static int file_u64(const struct cgroupfs_dir *dirfd, const char *name, uint64_t *v)
{
	char buf[64];
	ssize_t n = cgroupfs_dir_read(dirfd, name, buf, sizeof(buf));

	return n < 0 ? (int)n : text_u64(buf, v);
}

/* the start of the line beginning with key and a space, as in "key value" files; NULL if none */
static const char *find_key(const char *text, const char *key)
{
	size_t n = strlen(key);

	for (const char *s = text; *s;) {
		const char *nl = strchr(s, '\n');

		if (!strncmp(s, key, n) && s[n] == ' ')
			return s;
		if (!nl)
			break;
		s = nl + 1;
	}
	return NULL;
}

/* the value of "key N" in the text of a flat keyed file (cpu.stat, memory.stat, …) */
static int key_u64(const char *text, const char *key, uint64_t *v)
{
	const char *s = find_key(text, key);

	return s ? parse_u64(s + strlen(key) + 1, 0, v) : -ENOENT;
}

/* "some avg10=0.00 avg60=0.00 avg300=0.00 total=N": N, the total stall time in µs */
static int psi_some_total(const struct cgroupfs_dir *dirfd, const char *name, uint64_t *v)
{
	char buf[256];
	const char *s, *t;
	ssize_t n = cgroupfs_dir_read(dirfd, name, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	s = find_key(buf, "some");
	if (!s)
		return -ENOENT;
	for (t = s + 5; *t && *t != '\n'; t++) {
		if (!strncmp(t, "total=", 6))
			return parse_u64(t + 6, 1, v);
	}
	return -ENOENT;
}

static uint64_t mul_div(uint64_t a, uint64_t b, uint64_t c)
{
#ifdef __SIZEOF_INT128__
	return (uint64_t)((unsigned __int128)a * b / c);
#else
	return (uint64_t)((long double)a * b / c);
#endif
}

/*
 * Kernels before 4.7 have no cpuacct.usage_user/usage_sys. cpuacct.stat's user and system
 * ticks are sampled, not measured: split the measured usage in their ratio, as the kernel's
 * cputime_adjust() does. The shares can step back when the mix shifts: the caller owns
 * monotonicity.
 */
static int split_from_ticks(const struct cgroupfs_dir *fd, uint64_t usage, uint64_t *user,
			    uint64_t *sys)
{
	char buf[256];
	uint64_t u, s;
	ssize_t n = cgroupfs_dir_read(fd, "cpuacct.stat", buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	if (key_u64(buf, "user", &u) || key_u64(buf, "system", &s) || u + s < u)
		return -EINVAL;
	*sys = s ? mul_div(usage, s, u + s) : 0;
	*user = usage - *sys;
	return 0;
}

static void cpu_v1(const struct cgroupfs_dir *fd, struct container_stats *st)
{
	uint64_t usage, user, sys;
	int err;

	if (file_u64(fd, "cpuacct.usage", &usage))
		return;
	err = file_u64(fd, "cpuacct.usage_user", &user);
	if (!err)
		err = file_u64(fd, "cpuacct.usage_sys", &sys);
	if (err == -ENOENT)
		err = split_from_ticks(fd, usage, &user, &sys);
	if (err)
		return;
	st->cpu_usage_ns = usage;
	st->cpu_user_ns = user;
	st->cpu_system_ns = sys;
	st->have |= CG_CPU;
}

static void throttle_v1(const struct cgroupfs_dir *fd, struct container_stats *st)
{
	char buf[1024];

	if (cgroupfs_dir_read(fd, "cpu.stat", buf, sizeof(buf)) < 0)
		return;
	if (!key_u64(buf, "throttled_time", &st->throttled_ns))
		st->have |= CG_THROTTLE;
}

/*
 * v1 and cgroup2 give the same three figures under other names: the usage in a file of its
 * own, the inactive file cache and the anonymous memory as keys of memory.stat. The working
 * set is the usage less the inactive file cache.
 */
static void memory_usage(const struct cgroupfs_dir *fd, const char *usage_file,
			 const char *inactive_key, const char *rss_key, struct container_stats *st)
{
	char buf[8192];
	uint64_t usage, inactive, rss;

	if (!file_u64(fd, usage_file, &usage) &&
	    cgroupfs_dir_read(fd, "memory.stat", buf, sizeof(buf)) >= 0 &&
	    !key_u64(buf, inactive_key, &inactive) && !key_u64(buf, rss_key, &rss)) {
		st->mem_usage = usage;
		st->mem_working_set = usage > inactive ? usage - inactive : 0;
		st->mem_rss = rss;
		st->have |= CG_MEMORY;
	}
}

static void memory_v1(const struct cgroupfs_dir *fd, struct container_stats *st)
{
	char buf[8192];
	uint64_t v;

	memory_usage(fd, "memory.usage_in_bytes", "total_inactive_file", "total_rss", st);
	if (!file_u64(fd, "memory.max_usage_in_bytes", &st->mem_peak))
		st->have |= CG_PEAK;
	if (!file_u64(fd, "memory.limit_in_bytes", &v) && v < V1_UNLIMITED) {
		st->mem_limit = v;
		st->have |= CG_LIMIT;
	}
	/* oom_kill joined oom_kill_disable and under_oom in 4.13 */
	if (cgroupfs_dir_read(fd, "memory.oom_control", buf, sizeof(buf)) >= 0 &&
	    !key_u64(buf, "oom_kill", &st->oom_kills))
		st->have |= CG_OOM;
}

static void cpu_v2(const struct cgroupfs_dir *fd, int want_usage, int want_throttle,
		   struct container_stats *st)
{
	char buf[1024];
	uint64_t usage, user, sys, thr;

	if (cgroupfs_dir_read(fd, "cpu.stat", buf, sizeof(buf)) < 0)
		return;
	if (want_usage && !key_u64(buf, "usage_usec", &usage) &&
	    !key_u64(buf, "user_usec", &user) && !key_u64(buf, "system_usec", &sys)) {
		st->cpu_usage_ns = usage * 1000;
		st->cpu_user_ns = user * 1000;
		st->cpu_system_ns = sys * 1000;
		st->have |= CG_CPU;
	}
	/* throttled_usec is there only where the cpu controller is enabled */
	if (want_throttle && !key_u64(buf, "throttled_usec", &thr)) {
		st->throttled_ns = thr * 1000;
		st->have |= CG_THROTTLE;
	}
}

static void memory_v2(const struct cgroupfs_dir *fd, struct container_stats *st)
{
	char buf[8192];
	uint64_t v;

	memory_usage(fd, "memory.current", "inactive_file", "anon", st);
	if (!file_u64(fd, "memory.peak", &st->mem_peak))
		st->have |= CG_PEAK;
	if (cgroupfs_dir_read(fd, "memory.max", buf, sizeof(buf)) >= 0 && strcmp(buf, "max\n") &&
	    !text_u64(buf, &v)) {
		st->mem_limit = v;
		st->have |= CG_LIMIT;
	}
	if (cgroupfs_dir_read(fd, "memory.events", buf, sizeof(buf)) >= 0 &&
	    !key_u64(buf, "oom_kill", &st->oom_kills))
		st->have |= CG_OOM;
}

static void psi(const struct cgroupfs_dir *fd, struct container_stats *st)
{
	static const struct {
		const char *file;
		unsigned int bit;
	} res[CG_PSI_RES_MAX] = {
		[CG_PSI_RES_CPU] = { "cpu.pressure", CG_PSI_CPU },
		[CG_PSI_RES_MEMORY] = { "memory.pressure", CG_PSI_MEMORY },
		[CG_PSI_RES_IO] = { "io.pressure", CG_PSI_IO },
	};

	for (int i = 0; i < CG_PSI_RES_MAX; i++)
		if (!psi_some_total(fd, res[i].file, &st->psi_some_us[i]))
			st->have |= res[i].bit;
}

/* the path's slot must hold a terminated string cgroupfs_paths() would accept */
static int check_slot(const char *p)
{
	size_t len = strnlen(p, CGROUPFS_PATH_MAX);

	if (len == CGROUPFS_PATH_MAX)
		return -EINVAL;
	return len ? cgroupfs_check_path(p, len) : 0;
}

/* the cgroup's directory in one hierarchy: an O_PATH fd, -1 when unknown or gone, or -errno */
static int open_cgroup(const char *mount, const char *path)
{
	char dir[PATH_MAX];
	int fd;

	if (!mount[0] || !path[0])
		return -1;
	snprintf(dir, sizeof(dir), "%s%s", mount, path);
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	return errno == ENOENT || errno == ENOTDIR ? -1 : -errno;
}

/* the first process cgroup.procs lists: v1 lists them sorted, so that is the oldest pid */
static void first_pid(const struct cgroupfs_dir *d, struct container_stats *st)
{
	char buf[64];
	uint64_t v;
	char *nl;

	if (cgroupfs_dir_read(d, "cgroup.procs", buf, sizeof(buf)) <= 0)
		return;
	nl = strchr(buf, '\n');
	if (nl)
		nl[1] = '\0';
	if (!parse_u64(buf, 0, &v) && v > 0 && v <= INT_MAX)
		st->pid = (int)v;
}

static int read_dirs(const struct cgroup_layout *l, const struct cgroup_paths *p,
		     struct cgroup_files *keep, struct container_stats *out)
{
	enum { ACCT, CPU, MEM, BLKIO, PIDS, UNI };
	const char *mounts[CG_DIRS] = { l->cpuacct, l->cpu,  l->memory,
					l->blkio,   l->pids, l->unified };
	const char *paths[CG_DIRS] = { p->cpuacct, p->cpu,  p->memory,
				       p->blkio,   p->pids, p->unified };
	int fds[CG_DIRS] = { -1, -1, -1, -1, -1, -1 }, err = -ENOENT, i;
	struct cgroupfs_dir d[CG_DIRS];

	memset(out, 0, sizeof(*out));
	for (i = 0; i < CG_DIRS; i++)
		if (check_slot(paths[i]))
			return -EINVAL;
	/*
	 * A runtime that manages only the v1 controllers (older runc, some cgroupfs drivers)
	 * leaves its containers in a shared cgroup2 group, the shim's or the root: its stats
	 * would pass for each container's. Where both are known, they must be the same path.
	 */
	for (i = 0; i < BLKIO; i++)
		if (mounts[i][0] && paths[i][0] && strcmp(paths[i], paths[UNI]))
			paths[UNI] = "";
	/*
	 * The same of blkio and pids where the runtime left them out (a process keeps its
	 * parent's group, the root's at worst: the whole host's I/O): they count only where
	 * they are the container's own group, the one its CPU and memory are in
	 */
	for (i = BLKIO; i <= PIDS; i++)
		for (int o = 0; o < BLKIO; o++)
			if (mounts[o][0] && paths[o][0] && paths[i][0] && strcmp(paths[i], paths[o]))
				paths[i] = "";

	if (keep && keep->open) {
		memcpy(fds, keep->dirs, sizeof(fds));
		err = 0;
	} else {
		for (i = 0; i < CG_DIRS; i++) {
			int fd = open_cgroup(mounts[i], paths[i]);

			if (fd < -1) {
				err = fd;
				goto cleanup;
			}
			fds[i] = fd;
			if (fd >= 0)
				err = 0;
		}
		if (err)
			goto cleanup;
		/* the directories are kept with the files, while the budget has room for them */
		if (keep)
			cgroupfs_files_keep_dirs(keep, fds);
	}
	for (i = 0; i < CG_DIRS; i++)
		d[i] = (struct cgroupfs_dir){ fds[i], i, keep && keep->open ? keep : NULL };

	if (fds[ACCT] >= 0)
		cpu_v1(&d[ACCT], out);
	if (fds[CPU] >= 0)
		throttle_v1(&d[CPU], out);
	if (fds[MEM] >= 0)
		memory_v1(&d[MEM], out);
	if (fds[BLKIO] >= 0)
		cgroup_io_v1(&d[BLKIO], out);
	if (fds[PIDS] >= 0)
		cgroup_io_pids(&d[PIDS], out);
	if (fds[UNI] >= 0) {
		cpu_v2(&d[UNI], fds[ACCT] < 0, fds[CPU] < 0, out);
		if (fds[MEM] < 0)
			memory_v2(&d[UNI], out);
		if (fds[BLKIO] < 0)
			cgroup_io_v2(&d[UNI], out);
		if (fds[PIDS] < 0)
			cgroup_io_pids(&d[UNI], out);
		psi(&d[UNI], out);
	}
	/* a process of the cgroup, from the first hierarchy it has of these */
	for (i = 0; i < CG_DIRS && !out->pid; i++) {
		static const int order[CG_DIRS] = { MEM, UNI, PIDS, ACCT, CPU, BLKIO };

		if (fds[order[i]] >= 0)
			first_pid(&d[order[i]], out);
	}
cleanup:
	if (!keep || !keep->open)
		for (i = CG_DIRS - 1; i >= 0; i--)
			if (fds[i] >= 0)
				close(fds[i]);
	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}

int cgroupfs_read_kept(const struct cgroup_layout *l, const struct cgroup_paths *p,
		       struct cgroup_files *keep, struct container_stats *out)
{
	int err;

	if (keep && keep->stale)
		cgroupfs_files_close(keep);
	err = read_dirs(l, p, keep, out);
	/* a kept file said its cgroup is gone: look again, with nothing kept */
	if (keep && keep->stale) {
		cgroupfs_files_close(keep);
		err = read_dirs(l, p, keep, out);
	}
	return err;
}

int cgroupfs_read(const struct cgroup_layout *l, const struct cgroup_paths *p,
		  struct container_stats *out)
{
	return cgroupfs_read_kept(l, p, NULL, out);
}
