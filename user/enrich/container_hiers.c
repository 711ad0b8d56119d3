// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Which hierarchies the kernel follows containers' cgroups in: their ids from /proc/cgroups,
 * and the mask the programs take (rodata cg_hiers)
 */
#include <errno.h>
#include "lib/log.h"
#include "enrich/containers_priv.h"
#include "enrich/procfs.h"

/* the hierarchy ids from /proc/cgroups; without them the kernel follows cgroup2 only */
void containers_hier_ids(struct containers *c)
{
	char path[4096], *buf = NULL;
	size_t len = 0;
	int err;

	if (c->opts.proc_cgroups) {
		err = cgroupfs_hier_ids(c->opts.proc_cgroups, strlen(c->opts.proc_cgroups),
					&c->layout);
	} else {
		buf = malloc(65536);
		snprintf(path, sizeof(path), "%s/cgroups", procfs__root());
		err = buf ? procfs__read_file(path, buf, 65536, &len) : -ENOMEM;
		if (!err)
			err = cgroupfs_hier_ids(buf, len, &c->layout);
	}
	if (err && (c->layout.cpuacct[0] || c->layout.memory[0]))
		pr_warn("cannot read the v1 hierarchies' ids from %s/cgroups (%s): containers are "
			"followed in cgroup2 only%s",
			procfs__root(), strerror(-err),
			c->layout.unified[0] ? "" : ", which this host has not: found at start-up only");
	free(buf);
}

uint32_t containers__followed(struct containers *c)
{
	const struct cgroup_layout *l = &c->layout;
	uint32_t mask = 0;

	if (l->cpuacct[0] && l->hier_cpuacct > 0 && l->hier_cpuacct < RS_CG_HIERS)
		mask |= 1U << l->hier_cpuacct;
	if (l->memory[0] && l->hier_memory > 0 && l->hier_memory < RS_CG_HIERS)
		mask |= 1U << l->hier_memory;
	/* cgroup2 holds the CPU and memory figures only where no v1 hierarchy does; and it has
	 * a hybrid host's containers when the v1 ids are not known */
	if (!mask && l->unified[0])
		mask |= 1U;
	return mask;
}
