/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A cgroup's key in cgroups_map (include/cgroups.h), for the cgroups of the hierarchies the
 * daemon follows (rodata cg_hiers): from the cgroup itself, or from a task in it.
 */
#ifndef RUNNERSCOPE_CG_KEY_BPF_H
#define RUNNERSCOPE_CG_KEY_BPF_H

#include "common.bpf.h"

static __always_inline int hier_followed(__u32 hier)
{
	return hier < RS_CG_HIERS && ((cg_hiers >> hier) & 1);
}

/* cgrp's key in cgroups_map, where its hierarchy is a followed one: 1 */
static __always_inline int followed(struct cgroup *cgrp, struct rs_cg_key *key)
{
	key->hier = BPF_CORE_READ(cgrp, root, hierarchy_id);
	key->pad = 0;
	if (!hier_followed(key->hier))
		return 0;
	key->id = BPF_CORE_READ(cgrp, kn, id);
	return 1;
}

/*
 * The followed container cgroup whose entry a task's wait for a CPU counts in: its cgroup2 one
 * where cgroup2 is followed, else its v1 cpuacct one (where v1 hosts and hybrid ones account
 * CPU). 1 with *key. task is a BTF pointer (in every flavour): these are plain loads, not the
 * helper calls BPF_CORE_READ() makes, as this runs at every thread's exit on the host.
 */
static __always_inline int wait_key(struct task_struct *task, struct rs_cg_key *key)
{
	struct css_set *cset = task->cgroups;
	struct cgroup *cgrp;
	__u32 hier;

	if (!cset)
		return 0;
	if (cg_hiers & 1) {
		cgrp = cset->dfl_cgrp;
	} else {
		struct cgroup_subsys_state *css;

		if (!bpf_core_enum_value_exists(enum cgroup_subsys_id, cpuacct_cgrp_id))
			return 0;
		css = cset->subsys[bpf_core_enum_value(enum cgroup_subsys_id, cpuacct_cgrp_id)];
		if (!css)
			return 0;
		cgrp = css->cgroup;
	}
	if (!cgrp)
		return 0;
	hier = cgrp->root->hierarchy_id;
	if (!hier_followed(hier))
		return 0;
	key->id = cgrp->kn->id;
	key->hier = hier;
	key->pad = 0;
	return 1;
}

#endif /* RUNNERSCOPE_CG_KEY_BPF_H */
