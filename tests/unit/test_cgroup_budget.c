// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* cgroup files kept open under a descriptor budget that is spent */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "enrich/cgroupfs.h"

#ifndef CGROUPFS_FIXTURES
#define CGROUPFS_FIXTURES "tests/fixtures/cgroupfs"
#endif
#define FX CGROUPFS_FIXTURES
#define ID1 "8d3c2b7f0e1a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
/* Ubuntu 20.04, docker with the systemd driver */
#define SCOPE "/system.slice/docker-" ID1 ".scope"
#define TEXT_HYBRID                                                                            \
	"11:memory:" SCOPE "\n2:cpu,cpuacct:" SCOPE "\n1:name=systemd:" SCOPE "\n0::" SCOPE "\n"

static void layout(const char *root, struct cgroup_layout *l)
{
	if (cgroupfs__layout(root, l))
		fail_msg("no layout under %s", root);
}

static int paths(const char *text, struct cgroup_paths *p)
{
	return cgroupfs_paths(text, strlen(text), p);
}

static void assert_stats_empty(const struct container_stats *st)
{
	static const struct container_stats zero;

	assert_memory_equal(st, &zero, sizeof(*st));
}

/*
 * Directories kept but their files not (the descriptor budget spent on directories): once the
 * cgroup is removed, a read says so, as it does when nothing is kept or everything is
 */
static void test_read_kept_dirs_of_a_removed_cgroup(void **state)
{
	static const char *const hier[] = { "cpuacct", "cpu", "memory", "unified" };
	char tmp[] = "/tmp/rs-cgroupfs-XXXXXX", cmd[1024], root[128], file[512];
	struct cgroup_files keep = {};
	struct container_stats st;
	struct cgroup_layout l;
	struct cgroup_paths p;
	struct rlimit was, rl;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	snprintf(cmd, sizeof(cmd), "cp -a %s/hybrid %s/", FX, tmp);
	assert_int_equal(system(cmd), 0);
	snprintf(root, sizeof(root), "%s/hybrid", tmp);
	/* every cgroup has cgroup.procs: a missing file is then one the host does not give */
	for (size_t i = 0; i < sizeof(hier) / sizeof(hier[0]); i++) {
		snprintf(file, sizeof(file), "%s/%s%s", root, hier[i], SCOPE);
		mkdir(file, 0755);
		snprintf(file, sizeof(file), "%s/%s%s/cgroup.procs", root, hier[i], SCOPE);
		assert_int_equal(close(open(file, O_CREAT | O_WRONLY, 0644)), 0);
	}
	layout(root, &l);
	assert_int_equal(paths(TEXT_HYBRID, &p), 0);
	/* a budget of exactly one container's directories (the hierarchies it is in): half the
	 * soft limit, less 256 (taken once in a process: so this test has a binary of its own) */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &was), 0);
	rl = was;
	rl.rlim_cur = 2 * (256 + sizeof(hier) / sizeof(hier[0]));
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);

	assert_int_equal(cgroupfs_read_kept(&l, &p, &keep, &st), 0);
	assert_true(keep.open);
	assert_int_equal(keep.n, 0);
	assert_true(st.have & CG_CPU);
	/* read again while it is there: still there */
	assert_int_equal(cgroupfs_read_kept(&l, &p, &keep, &st), 0);
	assert_true(keep.open);

	for (size_t i = 0; i < sizeof(hier) / sizeof(hier[0]); i++) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s/%s%s", root, hier[i], SCOPE);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(cgroupfs_read_kept(&l, &p, &keep, &st), -ENOENT);
	assert_stats_empty(&st);

	cgroupfs_files_close(&keep);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &was), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_kept_dirs_of_a_removed_cgroup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
