// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Block I/O, pids and network namespace counters: the parsers on what the kernel writes (and
 * what it would not), the readers on cgroup and /proc trees made here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "files.h"
#include "enrich/cgroup_io.h"
#include "enrich/cgroupfs.h"
#include "enrich/netns_stats.h"
#include "enrich/procfs.h"

#define ID "8d3c2b7f0e1a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"

static int io_stat(const char *text, struct io_totals *t)
{
	return cgroup_io_stat_parse(text, strlen(text), t);
}

static int blkio(const char *text, uint64_t out[2])
{
	return cgroup_io_blkio_parse(text, strlen(text), out);
}

static int netdev(const char *text, struct net_totals *t)
{
	return netns_stats_parse(text, strlen(text), t);
}

static void test_io_stat(void **state)
{
	struct io_totals t;

	(void)state;
	/* two devices; the second with io.cost's and io.latency's fields, not all numbers */
	assert_int_equal(io_stat("8:0 rbytes=1000 wbytes=2000 rios=3 wios=4 dbytes=0 dios=0\n"
				 "259:1 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=512 dios=1 "
				 "cost.vrate=135.04 cost.usage=1822 depth=1 avg_lat=2074 win=16\n",
				 &t),
			 0);
	assert_int_equal(t.bytes[CG_IO_READ], 1010);
	assert_int_equal(t.bytes[CG_IO_WRITE], 2020);
	assert_int_equal(t.ops[CG_IO_READ], 4);
	assert_int_equal(t.ops[CG_IO_WRITE], 6);
	/* 2^64 - 1 is a number; one more is not */
	assert_int_equal(io_stat("8:0 rbytes=18446744073709551615 wbytes=0 rios=0 wios=0\n", &t),
			 0);
	assert_true(t.bytes[CG_IO_READ] == UINT64_MAX);
	/* nothing accounted yet: absent, not 0 */
	assert_int_equal(io_stat("", &t), -ENOENT);
	assert_int_equal(io_stat("\n", &t), -ENOENT);
}

static void test_io_stat_malformed(void **state)
{
	static const char *const bad[] = {
		"8:0 rbytes=18446744073709551616 wbytes=0 rios=0 wios=0\n",
		"8:0 rbytes=18446744073709551615 wbytes=0 rios=0 wios=0\n"
		"8:1 rbytes=1 wbytes=0 rios=0 wios=0\n", /* the sum overflows */
		"8:0 rbytes=-1 wbytes=0 rios=0 wios=0\n",
		"8:0 rbytes= wbytes=0\n",
		"8:0 rbytes=12x wbytes=0\n",
		"rbytes=1 wbytes=2\n", /* no device */
		"8 rbytes=1\n",
		"8:x rbytes=1\n",
		":0 rbytes=1\n",
		"8:0\n",
	};
	struct io_totals t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(io_stat(bad[i], &t), -EINVAL);
		assert_int_equal(t.bytes[0] | t.bytes[1] | t.ops[0] | t.ops[1], 0);
	}
}

static void test_blkio(void **state)
{
	uint64_t v[2];

	(void)state;
	/* as 6.18 writes it once the loop device's throttling was set up */
	assert_int_equal(blkio("7:0 Read 4194304\n7:0 Write 4194304\n7:0 Sync 8388608\n"
			       "7:0 Async 0\n7:0 Discard 0\n7:0 Total 8388608\n"
			       "254:0 Read 4096\n254:0 Write 0\n254:0 Sync 0\n254:0 Async 4096\n"
			       "254:0 Discard 0\n254:0 Total 4096\nTotal 8392704\n",
			       v),
			 0);
	assert_int_equal(v[CG_IO_READ], 4194304 + 4096);
	assert_int_equal(v[CG_IO_WRITE], 4194304);
	/* no device throttled yet: the files list none, and the I/O is absent */
	assert_int_equal(blkio("Total 0\n", v), -ENOENT);
	assert_int_equal(blkio("", v), -ENOENT);
	/* malformed */
	assert_int_equal(blkio("7:0 Read\n", v), -EINVAL);
	assert_int_equal(blkio("7:0 Read 12 3\n", v), -EINVAL);
	assert_int_equal(blkio("Read 12\n", v), -EINVAL);
	assert_int_equal(blkio("7:0 Read 99999999999999999999\n", v), -EINVAL);
	assert_int_equal(blkio("7:0 Read 18446744073709551615\n8:0 Read 1\n", v), -EINVAL);
	assert_int_equal(v[0] | v[1], 0);
}

static void test_pids(void **state)
{
	uint64_t v = 7;

	(void)state;
	assert_int_equal(cgroup_io_pids_parse("20\n", 3, &v), 0);
	assert_int_equal(v, 20);
	assert_int_equal(cgroup_io_pids_parse("max\n", 4, &v), -ERANGE);
	assert_int_equal(cgroup_io_pids_parse("", 0, &v), -EINVAL);
	assert_int_equal(cgroup_io_pids_parse("20", 2, &v), -EINVAL);
	assert_int_equal(cgroup_io_pids_parse("20\n1\n", 5, &v), -EINVAL);
	assert_int_equal(cgroup_io_pids_parse("max", 3, &v), -EINVAL);
	assert_int_equal(cgroup_io_pids_parse("-1\n", 3, &v), -EINVAL);
}

#define NETDEV_HEAD                                                                            \
	"Inter-|   Receive                                                |  Transmit\n"         \
	" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets "   \
	"errs drop fifo colls carrier compressed\n"

static void test_netdev(void **state)
{
	struct net_totals t;

	(void)state;
	/* lo left out; eth0 and a second veth summed */
	assert_int_equal(
		netdev(NETDEV_HEAD
		       "    lo:  999999    9999    0    0    0     0          0         0   999999"
		       "    9999    0    0    0     0       0          0\n"
		       "  eth0: 8400000    6000    1    2    0     0          0         0   120000"
		       "    2000    0    0    0     0       0          0\n"
		       "rsctr-veth-with-long: 100 1 0 0 0 0 0 0 200 2 0 0 0 0 0 0\n",
		       &t),
		0);
	assert_int_equal(t.bytes[NET_RECEIVE], 8400100);
	assert_int_equal(t.packets[NET_RECEIVE], 6001);
	assert_int_equal(t.bytes[NET_TRANSMIT], 120200);
	assert_int_equal(t.packets[NET_TRANSMIT], 2002);
	/* --network none: only lo, 0 */
	assert_int_equal(netdev(NETDEV_HEAD "    lo:    1456       8    0    0    0     0"
				"          0         0     1456       8    0    0    0     0"
				"       0          0\n",
				&t),
			 0);
	assert_int_equal(t.bytes[NET_RECEIVE] | t.bytes[NET_TRANSMIT], 0);
	/* "lo" only as a whole name: "lo0" counts */
	assert_int_equal(netdev("lo0: 5 1 0 0 0 0 0 0 7 1 0 0 0 0 0 0\n", &t), 0);
	assert_int_equal(t.bytes[NET_RECEIVE], 5);
}

static void test_netdev_malformed(void **state)
{
	static const char *const bad[] = {
		"eth0: 1 2 3\n", /* fewer than 16 numbers */
		"eth0: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0 0\n", /* more */
		"eth0 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n", /* no colon */
		": 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n", /* no name */
		"eth0: 1 1 0 0 0 0 0 0 x 1 0 0 0 0 0 0\n",
		"eth0: 18446744073709551616 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n",
		"a: 18446744073709551615 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n"
		"b: 1 1 0 0 0 0 0 0 1 1 0 0 0 0 0 0\n", /* the sum overflows */
	};
	struct net_totals t;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(netdev(bad[i], &t), -EINVAL);
		assert_int_equal(t.bytes[0] | t.bytes[1] | t.packets[0] | t.packets[1], 0);
	}
}

/*
 * A hybrid host's container, v1 blkio and pids beside cgroup2 without those controllers,
 * and a /proc with its process: I/O, pids and the network read through the process
 */
static void test_read_blkio_pids_and_netns(void **state)
{
	char tmp[] = "/tmp/rs-cgroup-io-XXXXXX", root[64], proc[64], dir[256], cmd[128];
	const char *text = "7:blkio:/docker/" ID "\n8:pids:/docker/" ID "\n4:memory:/docker/" ID
			   "\n0::/docker/" ID "\n";
	struct container_stats st;
	struct cgroup_layout l;
	struct cgroup_paths p;
	struct net_totals t;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	snprintf(root, sizeof(root), "%s/cgroup", tmp);
	snprintf(proc, sizeof(proc), "%s/proc", tmp);
	put_file(root, "unified/cgroup.controllers", "hugetlb\n");
	put_file(root, "unified/cgroup.procs", "");
	put_file(root, "blkio/blkio.reset_stats", "");
	put_file(root, "pids/cgroup.procs", "");
	put_file(root, "memory/memory.usage_in_bytes", "0\n");
	put_file(root, "memory/docker/" ID "/cgroup.procs", "4242\n4250\n");
	put_file(root, "unified/docker/" ID "/cgroup.procs", "4242\n4250\n");
	put_file(root, "blkio/docker/" ID "/blkio.throttle.io_service_bytes_recursive",
		 "7:0 Read 4096\n7:0 Write 8388608\n7:0 Sync 0\n7:0 Async 0\n7:0 Discard 0\n"
		 "7:0 Total 8392704\nTotal 8392704\n");
	put_file(root, "blkio/docker/" ID "/blkio.throttle.io_serviced_recursive",
		 "7:0 Read 1\n7:0 Write 16\n7:0 Total 17\nTotal 17\n");
	put_file(root, "pids/docker/" ID "/pids.current", "20\n");
	put_file(root, "pids/docker/" ID "/pids.max", "20\n");

	assert_int_equal(cgroupfs__layout(root, &l), 0);
	snprintf(dir, sizeof(dir), "%s/blkio", root);
	assert_string_equal(l.blkio, dir);
	snprintf(dir, sizeof(dir), "%s/pids", root);
	assert_string_equal(l.pids, dir);
	assert_int_equal(cgroupfs_paths(text, strlen(text), &p), 0);
	assert_string_equal(p.blkio, "/docker/" ID);
	assert_string_equal(p.pids, "/docker/" ID);
	assert_int_equal(cgroupfs_read(&l, &p, &st), 0);
	assert_true((st.have & (CG_IO | CG_PIDS | CG_PIDS_LIMIT)) ==
		    (CG_IO | CG_PIDS | CG_PIDS_LIMIT));
	assert_int_equal(st.io_bytes[CG_IO_READ], 4096);
	assert_int_equal(st.io_bytes[CG_IO_WRITE], 8388608);
	assert_int_equal(st.io_ops[CG_IO_READ], 1);
	assert_int_equal(st.io_ops[CG_IO_WRITE], 16);
	assert_int_equal(st.pids, 20);
	assert_int_equal(st.pids_limit, 20);
	assert_int_equal(st.pid, 4242);

	/* no limit, and blkio with no device yet: absent */
	put_file(root, "pids/docker/" ID "/pids.max", "max\n");
	put_file(root, "blkio/docker/" ID "/blkio.throttle.io_service_bytes_recursive", "Total 0\n");
	assert_int_equal(cgroupfs_read(&l, &p, &st), 0);
	assert_int_equal(st.have & (CG_IO | CG_PIDS | CG_PIDS_LIMIT), CG_PIDS);

	/* the process: in its own namespace (another inode than process 1's), then not */
	procfs__set_root(proc);
	put_file(proc, "1/ns/net", "host");
	put_file(proc, "4242/ns/net", "container");
	put_file(proc, "4242/cgroup", text);
	put_file(proc, "4242/net/dev",
		 NETDEV_HEAD "    lo: 5 1 0 0 0 0 0 0 5 1 0 0 0 0 0 0\n"
			     "  eth0: 1000 10 0 0 0 0 0 0 2000 20 0 0 0 0 0 0\n");
	assert_int_equal(netns_stats_read(4242, &p, &t), 0);
	assert_int_equal(t.bytes[NET_RECEIVE], 1000);
	assert_int_equal(t.packets[NET_TRANSMIT], 20);
	/* a pid that is another cgroup's process now (reused): not read */
	put_file(proc, "4242/cgroup", "7:blkio:/docker/other\n0::/docker/other\n");
	assert_int_equal(netns_stats_read(4242, &p, &t), -ESRCH);
	assert_int_equal(t.bytes[NET_RECEIVE], 0);
	/* one of a cgroup below the container's (a nested cgroup) is the container's */
	put_file(proc, "4242/cgroup", "7:blkio:/docker/" ID "/inner\n0::/docker/" ID "/inner\n");
	assert_int_equal(netns_stats_read(4242, &p, &t), 0);
	/* nor is a prefix of the id another container's */
	put_file(proc, "4242/cgroup", "7:blkio:/docker/" ID "x\n");
	assert_int_equal(netns_stats_read(4242, &p, &t), -ESRCH);
	/* the host's namespace: a host-network container has no counters of its own */
	put_file(proc, "4242/cgroup", text);
	snprintf(dir, sizeof(dir), "%s/4242/ns/net", proc);
	unlink(dir);
	snprintf(cmd, sizeof(cmd), "%s/1/ns/net", proc);
	assert_int_equal(link(cmd, dir), 0);
	assert_int_equal(netns_stats_read(4242, &p, &t), -EEXIST);
	/* gone */
	assert_int_equal(netns_stats_read(4243, &p, &t), -ESRCH);
	assert_int_equal(netns_stats_read(0, &p, &t), -ESRCH);
	procfs__set_root("/proc");

	remove_tree(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_io_stat),
		cmocka_unit_test(test_io_stat_malformed),
		cmocka_unit_test(test_blkio),
		cmocka_unit_test(test_pids),
		cmocka_unit_test(test_netdev),
		cmocka_unit_test(test_netdev_malformed),
		cmocka_unit_test(test_read_blkio_pids_and_netns),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
