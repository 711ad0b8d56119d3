/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A container's network counters, from its network namespace as one of its processes sees it */
#ifndef RUNNERSCOPE_NETNS_STATS_H
#define RUNNERSCOPE_NETNS_STATS_H

#include <stddef.h>
#include <stdint.h>
#include "enrich/cgroupfs.h"

/* by direction: receive, transmit */
enum net_dir { NET_RECEIVE, NET_TRANSMIT, NET_DIR_MAX };
struct net_totals {
	uint64_t bytes[NET_DIR_MAX];
	uint64_t packets[NET_DIR_MAX];
};

/*
 * /proc/<pid>/net/dev: the receive and transmit bytes and packets of every interface but "lo"
 * summed. Loopback traffic never leaves the namespace and would show twice (sent and
 * received); what crosses a veth, a macvlan or a physical device shows once. 0 (every
 * interface but lo: none is 0), -EINVAL for a line the kernel would not write.
 */
int netns_stats_parse(const char *text, size_t len, struct net_totals *out);

/*
 * The interface counters (netns_stats_parse()) of the network namespace of process pid, read
 * through <--proc.root>/<pid>/net/dev while the process is one of the cgroup cg names (a pid
 * reused by another process is not read). 0 and out; -EEXIST when the namespace is the host's
 * (<--proc.root>/1's, or runnerscope's own where that one cannot be looked at: a host-network
 * container has no counters of its own); -ESRCH when the
 * process is gone or in another cgroup; another -errno.
 */
int netns_stats_read(int pid, const struct cgroup_paths *cg, struct net_totals *out);

#endif
