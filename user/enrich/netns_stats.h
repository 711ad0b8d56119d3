/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A container's network counters, from its network namespace as one of its processes sees it */
#ifndef RUNNERSCOPE_NETNS_STATS_H
#define RUNNERSCOPE_NETNS_STATS_H

#include "enrich/cgroup_io.h"
#include "enrich/cgroupfs.h"

/*
 * The interface counters (netdev_parse()) of the network namespace of process pid, read
 * through <--proc.root>/<pid>/net/dev while the process is one of the cgroup cg names (a pid
 * reused by another process is not read). 0 and out; -EEXIST when the namespace is the host's
 * (<--proc.root>/1's, or runnerscope's own where that one cannot be looked at: a host-network
 * container has no counters of its own); -ESRCH when the
 * process is gone or in another cgroup; another -errno.
 */
int netns_read(int pid, const struct cgroup_paths *cg, struct net_totals *out);

#endif
