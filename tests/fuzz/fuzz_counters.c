// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The counter files runnerscope sums: cgroup2's io.stat, v1 blkio's throttle files, pids.max
 * and pids.current, and /proc/<pid>/net/dev, whose interface names a container chooses. The
 * first byte picks the parser; the rest is handed over with its length and no NUL after it,
 * as a read gives it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "enrich/cgroup_io.h"
#include "enrich/netns_stats.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct io_totals io;
	struct net_totals net;
	uint64_t v[2];
	char *s;

	if (size < 1)
		return 0;
	/* an allocation of exactly the text: a read past it is caught */
	s = malloc(size - 1 ? size - 1 : 1);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	switch (data[0] % 4) {
	case 0:
		cgroup_io_stat_parse(s, size - 1, &io);
		break;
	case 1:
		cgroup_io_blkio_parse(s, size - 1, v);
		break;
	case 2:
		cgroup_io_pids_parse(s, size - 1, &v[0]);
		break;
	case 3:
		netns_stats_parse(s, size - 1, &net);
		break;
	}
	free(s);
	return 0;
}
