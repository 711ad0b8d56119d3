// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "files.h"
#include "enrich/cgroupfs.h"

/* make unit runs the tests from the repository's root */
#ifndef CGROUPFS_FIXTURES
#define CGROUPFS_FIXTURES "tests/fixtures/cgroupfs"
#endif
#define FX   CGROUPFS_FIXTURES

#define ID1  "8d3c2b7f0e1a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
#define ID2  "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define ID3  "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
#define GONE "00000000000000000000000000000000000000000000000000000000000000ff"

/* /proc/<pid>/cgroup of containers as the kernel writes it on each kind of host */
#define TEXT_V2 "0::/system.slice/docker-" ID1 ".scope\n"
/* CentOS 7, docker with the cgroupfs driver */
#define TEXT_V1(id)                           \
	"11:hugetlb:/docker/" id "\n"         \
	"10:memory:/docker/" id "\n"          \
	"9:devices:/docker/" id "\n"          \
	"8:pids:/docker/" id "\n"             \
	"7:perf_event:/docker/" id "\n"       \
	"6:net_cls,net_prio:/docker/" id "\n" \
	"5:freezer:/docker/" id "\n"          \
	"4:blkio:/docker/" id "\n"            \
	"3:cpuset:/docker/" id "\n"           \
	"2:cpu,cpuacct:/docker/" id "\n"      \
	"1:name=systemd:/docker/" id "\n"
/* Ubuntu 20.04, docker with the systemd driver */
#define SCOPE "/system.slice/docker-" ID1 ".scope"
#define TEXT_HYBRID                      \
	"12:rdma:/\n"                    \
	"11:memory:" SCOPE "\n"          \
	"10:cpuset:" SCOPE "\n"          \
	"9:hugetlb:" SCOPE "\n"          \
	"8:devices:" SCOPE "\n"          \
	"7:freezer:" SCOPE "\n"          \
	"6:net_cls,net_prio:" SCOPE "\n" \
	"5:perf_event:" SCOPE "\n"       \
	"4:blkio:" SCOPE "\n"            \
	"3:pids:" SCOPE "\n"             \
	"2:cpu,cpuacct:" SCOPE "\n"      \
	"1:name=systemd:" SCOPE "\n"     \
	"0::" SCOPE "\n"
/* this project's CI machine: cpu and cpuacct mounted apart, a name=systemd hierarchy */
#define TEXT_SEPARATE(path, upath) \
	"9:name=systemd:/\n"       \
	"8:pids:/\n"               \
	"7:blkio:/\n"              \
	"6:freezer:/\n"            \
	"5:devices:/\n"            \
	"4:memory:" path "\n"      \
	"3:cpuset:/\n"             \
	"2:cpuacct:" path "\n"     \
	"1:cpu:" path "\n"         \
	"0::" upath "\n"

static int paths(const char *text, struct cgroup_paths *p)
{
	memset(p, 0x55, sizeof(*p));
	return cgroupfs_paths(text, strlen(text), p);
}

/* the unified, cpuacct, cpu and memory slots of a cgroup_layout or a cgroup_paths */
#define assert_slots(x, u, ca, c, m)                   \
	do {                                           \
		assert_string_equal((x)->unified, u);  \
		assert_string_equal((x)->cpuacct, ca); \
		assert_string_equal((x)->cpu, c);      \
		assert_string_equal((x)->memory, m);   \
	} while (0)

static void assert_paths_empty(const struct cgroup_paths *p)
{
	static const struct cgroup_paths zero;

	assert_memory_equal(p, &zero, sizeof(*p));
}

/* text is refused, with nothing half-parsed left behind */
static void assert_paths_refused(const char *text)
{
	struct cgroup_paths p;
	int err = paths(text, &p);

	if (err != -EINVAL)
		fail_msg("%d for '%s', want -EINVAL", err, text);
	assert_paths_empty(&p);
}

static void layout(const char *root, struct cgroup_layout *l)
{
	memset(l, 0x55, sizeof(*l));
	if (cgroupfs__layout(root, l))
		fail_msg("no layout under %s", root);
}

/* the stats of the cgroup the text names, under root */
static int read_text(const char *root, const char *text, struct container_stats *st)
{
	struct cgroup_layout l;
	struct cgroup_paths p;

	layout(root, &l);
	assert_int_equal(paths(text, &p), 0);
	memset(st, 0x55, sizeof(*st));
	return cgroupfs_read(&l, &p, st);
}

static void assert_stats_empty(const struct container_stats *st)
{
	static const struct container_stats zero;

	assert_memory_equal(st, &zero, sizeof(*st));
}

/* the read of the cgroup the text names returns ret, with no figure in st */
static void assert_read_empty(const char *root, const char *text, int ret)
{
	struct container_stats st;

	assert_int_equal(read_text(root, text, &st), ret);
	assert_stats_empty(&st);
}

/* CPU in ns: in all, as user, as system */
static void assert_cpu(const struct container_stats *st, uint64_t usage, uint64_t user,
		       uint64_t system)
{
	assert_int_equal(st->cpu_usage_ns, usage);
	assert_int_equal(st->cpu_user_ns, user);
	assert_int_equal(st->cpu_system_ns, system);
}

/* memory in bytes: usage, working set, RSS, limit */
static void assert_memory(const struct container_stats *st, uint64_t usage, uint64_t working_set,
			  uint64_t rss, uint64_t limit)
{
	assert_int_equal(st->mem_usage, usage);
	assert_int_equal(st->mem_working_set, working_set);
	assert_int_equal(st->mem_rss, rss);
	assert_int_equal(st->mem_limit, limit);
}

/* the "some" totals of cpu.pressure, memory.pressure and io.pressure, in µs */
static void assert_psi(const struct container_stats *st, uint64_t cpu, uint64_t memory,
		       uint64_t io)
{
	assert_int_equal(st->psi_some_us[CG_PSI_RES_CPU], cpu);
	assert_int_equal(st->psi_some_us[CG_PSI_RES_MEMORY], memory);
	assert_int_equal(st->psi_some_us[CG_PSI_RES_IO], io);
}

static void test_layout_v2(void **state)
{
	struct cgroup_layout l;

	(void)state;
	layout(FX "/v2", &l);
	assert_slots(&l, FX "/v2", "", "", "");
	/* --cgroup.root=/sys/fs/cgroup/ is the same root */
	layout(FX "/v2//", &l);
	assert_string_equal(l.unified, FX "/v2");
}

static void test_layout_v1_joint(void **state)
{
	struct cgroup_layout l;

	(void)state;
	layout(FX "/v1", &l);
	/* cpu and cpuacct are symlinks to the joint mount */
	assert_slots(&l, "", FX "/v1/cpu,cpuacct", FX "/v1/cpu,cpuacct", FX "/v1/memory");
}

static void test_layout_hybrid(void **state)
{
	struct cgroup_layout l;

	(void)state;
	layout(FX "/hybrid", &l);
	assert_slots(&l, FX "/hybrid/unified", FX "/hybrid/cpuacct", FX "/hybrid/cpu",
		     FX "/hybrid/memory");
}

static void test_layout_links_out_of_root(void **state)
{
	struct cgroup_layout l;

	(void)state;
	/* cpuacct -> /sys/fs/cgroup/cpuacct, cpu -> ../v1/cpu,cpuacct: neither is followed */
	layout(FX "/abslink", &l);
	assert_slots(&l, "", "", "", FX "/abslink/memory");
}

static void test_layout_nothing_known(void **state)
{
	static const struct cgroup_layout zero;
	struct cgroup_layout l;
	char root[CGROUPFS_PATH_MAX + 8];

	(void)state;
	memset(&l, 0x55, sizeof(l));
	assert_int_equal(cgroupfs__layout(FX "/no-such-root", &l), -ENOENT);
	assert_memory_equal(&l, &zero, sizeof(l));
	/* a directory, but not a cgroupfs */
	memset(&l, 0x55, sizeof(l));
	assert_int_equal(cgroupfs__layout(FX, &l), -ENOENT);
	assert_memory_equal(&l, &zero, sizeof(l));

	memset(root, 'a', sizeof(root) - 1);
	root[0] = '/';
	root[sizeof(root) - 1] = '\0';
	assert_int_equal(cgroupfs__layout(root, &l), -ENAMETOOLONG);
	assert_memory_equal(&l, &zero, sizeof(l));
}

static void test_paths_v2(void **state)
{
	struct cgroup_paths p;

	(void)state;
	assert_int_equal(paths(TEXT_V2, &p), 0);
	assert_slots(&p, "/system.slice/docker-" ID1 ".scope", "", "", "");
	/* the root cgroup, and no newline at the end */
	assert_int_equal(paths("0::/", &p), 0);
	assert_string_equal(p.unified, "/");
}

static void test_paths_v1_joint(void **state)
{
	struct cgroup_paths p;

	(void)state;
	assert_int_equal(paths(TEXT_V1(ID1), &p), 0);
	assert_slots(&p, "", "/docker/" ID1, "/docker/" ID1, "/docker/" ID1);
}

static void test_paths_hybrid(void **state)
{
	struct cgroup_paths p;

	(void)state;
	assert_int_equal(paths(TEXT_HYBRID, &p), 0);
	assert_slots(&p, SCOPE, SCOPE, SCOPE, SCOPE);
}

static void test_paths_separate_cpu_cpuacct(void **state)
{
	struct cgroup_paths p;

	(void)state;
	assert_int_equal(paths(TEXT_SEPARATE("/process_api/970a7753", "/"), &p), 0);
	assert_slots(&p, "/", "/process_api/970a7753", "/process_api/970a7753",
		     "/process_api/970a7753");
}

static void test_paths_named_hierarchies(void **state)
{
	struct cgroup_paths p;

	(void)state;
	/* a named hierarchy carries no controller, whatever its name */
	assert_int_equal(paths("3:name=systemd:/user.slice/session-1.scope\n"
			       "2:name=cpuacct:/elsewhere\n"
			       "1:memory:/job\n",
			       &p),
			 0);
	assert_slots(&p, "", "", "", "/job");
	/* a name only near a controller's is not that controller */
	assert_int_equal(paths("4:cpuset:/a\n3:cpuacct_x:/b\n2:memory.x:/c\n", &p), 0);
	assert_paths_empty(&p);
	/* a path may hold colons and dots */
	assert_int_equal(paths("1:cpu:/a:b/...//..c/d..\n", &p), 0);
	assert_string_equal(p.cpu, "/a:b/...//..c/d..");
}

static void test_paths_dotdot(void **state)
{
	static const char *const bad[] = {
		/* a cgroup outside the reader's cgroup namespace */
		"0::/../../kubepods/pod1/" ID1 "\n",
		"4:memory:/docker/..\n",
		"0::/docker/../../etc\n",
		"2:cpu,cpuacct:/..\n",
		"0::/a/..\n1:memory:/a\n",
		"1:memory:/a\n0::/docker/..\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_paths_refused(bad[i]);
}

static void test_paths_malformed(void **state)
{
	static const char *const bad[] = {
		"",
		"\n",
		"garbage\n",
		"0:/\n",
		"1:memory\n",
		"x:memory:/a\n",
		":memory:/a\n",
		"1::/a\n",
		"0:memory:/a\n",
		"1:memory:a\n",
		"1:memory:\n",
		"0::\n",
		"1:memory:/a\n\n0::/\n",
		/* a hierarchy twice: a forged line, not the kernel's */
		"0::/\n0::/x\n",
		"2:memory:/a\n1:memory:/b\n",
		"2:cpu,cpuacct:/a\n1:cpuacct:/b\n",
	};
	char text[CGROUPFS_PATH_MAX + 16];
	struct cgroup_paths p;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_paths_refused(bad[i]);

	/* a NUL inside the text */
	memset(&p, 0x55, sizeof(p));
	assert_int_equal(cgroupfs_paths("0::/a\0b\n", 8, &p), -EINVAL);
	assert_paths_empty(&p);

	/* the longest path that fits, then one byte more: not cut to an ancestor's */
	memcpy(text, "0::/", 4);
	memset(text + 4, 'a', CGROUPFS_PATH_MAX - 2);
	text[CGROUPFS_PATH_MAX + 2] = '\0';
	assert_int_equal(paths(text, &p), 0);
	assert_int_equal(strlen(p.unified), CGROUPFS_PATH_MAX - 1);
	text[CGROUPFS_PATH_MAX + 2] = 'a';
	text[CGROUPFS_PATH_MAX + 3] = '\0';
	assert_int_equal(paths(text, &p), -EINVAL);
	assert_paths_empty(&p);
}

static void test_read_v2(void **state)
{
	struct container_stats st;

	(void)state;
	assert_int_equal(read_text(FX "/v2", TEXT_V2, &st), 0);
	assert_int_equal(st.have, CG_CPU | CG_MEMORY | CG_LIMIT | CG_OOM | CG_THROTTLE |
					  CG_PSI_CPU | CG_PSI_MEMORY | CG_PSI_IO);
	assert_cpu(&st, 8843210000ULL, 6120004000ULL, 2723206000ULL);
	assert_memory(&st, 283262976, 283262976 - 96468992, 104857600, 536870912);
	assert_int_equal(st.oom_kills, 2);
	assert_int_equal(st.throttled_ns, 1832011000ULL);
	assert_psi(&st, 4203117, 55123, 912345);
}

static void test_read_v2_unlimited_and_missing(void **state)
{
	struct container_stats st;

	(void)state;
	/* memory.max "max", no throttled_usec, no memory.events, no *.pressure */
	assert_int_equal(read_text(FX "/v2", "0::/system.slice/docker-" ID2 ".scope\n", &st), 0);
	assert_int_equal(st.have, CG_CPU | CG_MEMORY);
	assert_cpu(&st, 1200000, 700000, 500000);
	/* inactive_file (5000) above memory.current: a working set never below 0 */
	assert_memory(&st, 1000, 0, 800, 0);
	assert_int_equal(st.oom_kills, 0);
	assert_int_equal(st.throttled_ns, 0);
	assert_psi(&st, 0, 0, 0);
}

static void test_read_v2_malformed(void **state)
{
	(void)state;
	/* the cgroup is there: 0, but no number read is trusted */
	assert_read_empty(FX "/v2", "0::/system.slice/malformed.scope\n", 0);
}

static void test_read_v2_file_past_buffer(void **state)
{
	struct container_stats st;

	(void)state;
	/* memory.stat fills the buffer and "inactive_file 123456789" is cut to "… 12": the
	 * cut line is dropped, not read as 12 */
	assert_int_equal(read_text(FX "/v2", "0::/system.slice/long.scope\n", &st), 0);
	assert_int_equal(st.have, 0);
}

static void test_read_v1(void **state)
{
	struct container_stats st;

	(void)state;
	assert_int_equal(read_text(FX "/v1", TEXT_V1(ID1), &st), 0);
	assert_int_equal(st.have, CG_CPU | CG_MEMORY | CG_LIMIT | CG_OOM | CG_THROTTLE);
	assert_cpu(&st, 15732849013ULL, 11200000000ULL, 4400000000ULL);
	/* the hierarchical total_* fields, not the cgroup's own */
	assert_memory(&st, 214958080, 214958080 - 50331648, 134217728, 268435456);
	assert_int_equal(st.oom_kills, 1);
	assert_int_equal(st.throttled_ns, 842113907);
	assert_psi(&st, 0, 0, 0);
}

/*
 * A runtime that left a container's pids (or blkio) group at the root, or a group not its
 * own: the root's pids.current (the whole host's) is not the container's
 */
static void test_read_v1_pids_not_its_own(void **state)
{
	static const char text[] = "10:memory:/docker/" ID1 "\n"
				   "8:pids:/\n"
				   "4:blkio:/\n"
				   "2:cpu,cpuacct:/docker/" ID1 "\n";
	struct container_stats st;

	(void)state;
	assert_int_equal(read_text(FX "/v1", text, &st), 0);
	assert_int_equal(st.have, CG_CPU | CG_MEMORY | CG_LIMIT | CG_OOM | CG_THROTTLE);
	assert_int_equal(st.pids, 0);
}

static void test_read_v1_old_kernel(void **state)
{
	struct container_stats st;

	(void)state;
	/* 4.4: no cpuacct.usage_user/_sys, no oom_kill line; no limit set */
	assert_int_equal(read_text(FX "/v1", TEXT_V1(ID2), &st), 0);
	assert_int_equal(st.have, CG_CPU | CG_MEMORY | CG_THROTTLE);
	/* 300:100 ticks split the measured 4 s */
	assert_cpu(&st, 4000000000ULL, 3000000000ULL, 1000000000ULL);
	assert_int_equal(st.mem_working_set, 0);
	assert_int_equal(st.mem_limit, 0);
	assert_int_equal(st.oom_kills, 0);
	/* no quota: a real 0, the file is there */
	assert_int_equal(st.throttled_ns, 0);
}

static void test_read_v1_unlimited_64k_pages(void **state)
{
	struct container_stats st;

	(void)state;
	/* limit 9223372036854710272; no ticks yet: all of it user, as the kernel has it */
	assert_int_equal(read_text(FX "/v1", TEXT_V1(ID3), &st), 0);
	assert_int_equal(st.have, CG_CPU | CG_MEMORY);
	assert_cpu(&st, 777, 777, 0);
	assert_int_equal(st.mem_usage, 4096);
	assert_int_equal(st.mem_working_set, 4096);
	assert_int_equal(st.mem_limit, 0);
}

static void test_read_v1_malformed(void **state)
{
	(void)state;
	/* "1.5e9", a second line, a leading space, 2^64, a key without value */
	assert_read_empty(FX "/v1", TEXT_V1("malformed"), 0);
}

static void test_read_hybrid(void **state)
{
	struct container_stats st;

	(void)state;
	assert_int_equal(read_text(FX "/hybrid", TEXT_HYBRID, &st), 0);
	assert_int_equal(st.have, CG_CPU | CG_MEMORY | CG_LIMIT | CG_OOM | CG_THROTTLE |
					  CG_PSI_CPU | CG_PSI_MEMORY | CG_PSI_IO);
	/* v1 cpuacct, not cgroup2's cpu.stat */
	assert_cpu(&st, 15732849013ULL, 11200000000ULL, 4400000000ULL);
	assert_int_equal(st.mem_usage, 214958080);
	assert_int_equal(st.mem_limit, 268435456);
	assert_int_equal(st.oom_kills, 1);
	assert_int_equal(st.throttled_ns, 842113907);
	assert_psi(&st, 4203117, 55123, 912345);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "r+");

	assert_non_null(f);
	assert_int_equal(ftruncate(fileno(f), 0), 0);
	fputs(text, f);
	fclose(f);
}

/* the directories kept: one a hierarchy the cgroup is in */
static int kept_dirs(const struct cgroup_files *k)
{
	int n = 0;

	for (int i = 0; i < CG_DIRS; i++)
		n += k->dirs[i] >= 0;
	return n;
}

/* kept files read again from the start give what they hold now, as a fresh read does */
static void test_read_kept(void **state)
{
	char tmp[] = "/tmp/rs-cgroupfs-XXXXXX", cmd[512], root[128], file[512];
	struct cgroup_files keep = {};
	struct container_stats st, fresh;
	struct cgroup_layout l;
	struct cgroup_paths p;
	int fds0;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	snprintf(cmd, sizeof(cmd), "cp -a %s/hybrid %s/", FX, tmp);
	assert_int_equal(system(cmd), 0);
	snprintf(root, sizeof(root), "%s/hybrid", tmp);
	layout(root, &l);
	assert_int_equal(paths(TEXT_HYBRID, &p), 0);
	fds0 = count_fds();

	assert_int_equal(cgroupfs_read_kept(&l, &p, &keep, &st), 0);
	assert_int_equal(cgroupfs_read(&l, &p, &fresh), 0);
	assert_memory_equal(&st, &fresh, sizeof(st));
	assert_true(keep.open);
	assert_true(keep.n >= 10);
	assert_int_equal(count_fds(), fds0 + keep.n + kept_dirs(&keep));

	/* new contents, one shorter than before: read whole, nothing of the old left */
	snprintf(file, sizeof(file), "%s/cpuacct%s/cpuacct.usage", root, SCOPE);
	write_file(file, "99\n");
	snprintf(file, sizeof(file), "%s/memory%s/memory.usage_in_bytes", root, SCOPE);
	write_file(file, "123456789012\n");
	assert_int_equal(cgroupfs_read_kept(&l, &p, &keep, &st), 0);
	assert_int_equal(st.cpu_usage_ns, 99);
	assert_int_equal(st.mem_usage, 123456789012ULL);
	assert_int_equal(cgroupfs_read(&l, &p, &fresh), 0);
	assert_memory_equal(&st, &fresh, sizeof(st));
	/* no file was opened again */
	assert_int_equal(count_fds(), fds0 + keep.n + kept_dirs(&keep));

	cgroupfs_files_close(&keep);
	assert_false(keep.open);
	assert_int_equal(count_fds(), fds0);
	cgroupfs_files_close(&keep); /* twice is fine */
	remove_tree(tmp);
}

static void test_read_hybrid_unified_only(void **state)
{
	struct container_stats st;

	(void)state;
	/* no v1 line known: cgroup2's cpu.stat, which has no throttling without its controller */
	assert_int_equal(read_text(FX "/hybrid", "0::" SCOPE "\n", &st), 0);
	assert_int_equal(st.have, CG_CPU | CG_PSI_CPU | CG_PSI_MEMORY | CG_PSI_IO);
	assert_cpu(&st, 15700000000ULL, 11100000000ULL, 4300000000ULL);
}

static void test_read_hybrid_shared_unified(void **state)
{
	struct container_stats st;

	(void)state;
	/* the runtime made v1 cgroups only: cgroup2 has the process in containerd's group */
	assert_int_equal(
		read_text(FX "/hybrid",
			  TEXT_SEPARATE("/docker/" ID2, "/system.slice/containerd.service"), &st),
		0);
	assert_int_equal(st.have, CG_CPU | CG_MEMORY);
	assert_int_equal(st.cpu_usage_ns, 4000000000ULL);
	assert_psi(&st, 0, 0, 0);

	/* and when only the v1 cgroup is gone, so is the container */
	assert_read_empty(FX "/hybrid",
			  TEXT_SEPARATE("/docker/" GONE, "/system.slice/containerd.service"), -ENOENT);
}

static void test_read_gone(void **state)
{
	struct cgroup_layout l;
	struct cgroup_paths p;
	struct container_stats st;

	(void)state;
	assert_read_empty(FX "/v2", "0::/system.slice/docker-" GONE ".scope\n", -ENOENT);
	assert_read_empty(FX "/v1", TEXT_V1(GONE), -ENOENT);
	assert_read_empty(FX "/hybrid", TEXT_SEPARATE("/docker/" GONE, "/docker/" GONE), -ENOENT);

	/* a v1-only process on a v2 host: no hierarchy to look in */
	assert_read_empty(FX "/v2", TEXT_V1(ID1), -ENOENT);

	/* a path that is there but cannot be opened: an error, not a container gone */
	assert_read_empty(FX "/v2", "0::/system.slice/loop.scope\n", -ELOOP);

	layout(FX "/v1", &l);
	memset(&p, 0, sizeof(p));
	memset(&st, 0x55, sizeof(st));
	assert_int_equal(cgroupfs_read(&l, &p, &st), -ENOENT);
	assert_stats_empty(&st);
}

static void test_read_refuses_bad_paths(void **state)
{
	static const char *const bad[] = { "/docker/../../../etc", "/..", ("docker/" ID1) };
	struct cgroup_layout l;
	struct cgroup_paths p;
	struct container_stats st;

	(void)state;
	layout(FX "/v1", &l);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(paths(TEXT_V1(ID1), &p), 0);
		snprintf(p.memory, sizeof(p.memory), "%s", bad[i]);
		memset(&st, 0x55, sizeof(st));
		if (cgroupfs_read(&l, &p, &st) != -EINVAL)
			fail_msg("'%s' not refused", bad[i]);
		assert_stats_empty(&st);
	}
	/* a slot with no terminating NUL */
	assert_int_equal(paths(TEXT_V1(ID1), &p), 0);
	memset(p.unified, '/', sizeof(p.unified));
	assert_int_equal(cgroupfs_read(&l, &p, &st), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_v2),
		cmocka_unit_test(test_layout_v1_joint),
		cmocka_unit_test(test_layout_hybrid),
		cmocka_unit_test(test_layout_links_out_of_root),
		cmocka_unit_test(test_layout_nothing_known),
		cmocka_unit_test(test_paths_v2),
		cmocka_unit_test(test_paths_v1_joint),
		cmocka_unit_test(test_paths_hybrid),
		cmocka_unit_test(test_paths_separate_cpu_cpuacct),
		cmocka_unit_test(test_paths_named_hierarchies),
		cmocka_unit_test(test_paths_dotdot),
		cmocka_unit_test(test_paths_malformed),
		cmocka_unit_test(test_read_v2),
		cmocka_unit_test(test_read_v2_unlimited_and_missing),
		cmocka_unit_test(test_read_v2_malformed),
		cmocka_unit_test(test_read_v2_file_past_buffer),
		cmocka_unit_test(test_read_v1),
		cmocka_unit_test(test_read_v1_pids_not_its_own),
		cmocka_unit_test(test_read_v1_old_kernel),
		cmocka_unit_test(test_read_v1_unlimited_64k_pages),
		cmocka_unit_test(test_read_v1_malformed),
		cmocka_unit_test(test_read_hybrid),
		cmocka_unit_test(test_read_kept),
		cmocka_unit_test(test_read_hybrid_unified_only),
		cmocka_unit_test(test_read_hybrid_shared_unified),
		cmocka_unit_test(test_read_gone),
		cmocka_unit_test(test_read_refuses_bad_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
