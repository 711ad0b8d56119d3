// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The programs' and maps' statistics, and whether the programs are still attached */
#include <fcntl.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "lib/log.h"
#include "kernel/probes_priv.h"

/* by link (probes_link_names), then the iterator */
static const char *const prog_names[PROBES_PROGS] = {
	"handle_exec",	   "handle_fork",     "handle_exit",	  "handle_mark_victim",
	"handle_cg_mkdir", "handle_cg_rmdir", "handle_cg_attach", "handle_cg_populated",
	"iter_job_cpu",
};

/* link i's fd, ours or from its pin (then *owned: close it); -1 when it is gone */
static int link_fd(struct probes *p, int i, int *owned)
{
	char path[PATH_MAX];
	struct bpf_link *l = *probes_link(p, i);

	*owned = 0;
	if (l)
		return bpf_link__fd(l);
	if (!p->pin_path[0] || probes_pin_file(p, probes_link_names[i], path, sizeof(path)))
		return -1;
	*owned = 1;
	return bpf_obj_get(path);
}

static int prog_info(int prog_fd, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(prog_fd, info, &len) ? -errno : 0;
}

/* the program attached by link i, as the kernel has it now */
static int link_prog_info(struct probes *p, int i, struct bpf_prog_info *info)
{
	struct bpf_link_info li = {};
	__u32 len = sizeof(li);
	int owned, fd = link_fd(p, i, &owned), pfd, err;

	if (fd < 0)
		return -ENOENT;
	err = bpf_obj_get_info_by_fd(fd, &li, &len) ? -errno : 0;
	if (owned)
		close(fd);
	if (err)
		return err;
	if (!li.prog_id)
		return -ENOENT;
	pfd = bpf_prog_get_fd_by_id(li.prog_id);
	if (pfd < 0)
		return -errno;
	err = prog_info(pfd, info);
	close(pfd);
	return err;
}

int probes__prog_stats(struct probes *p, struct probes_prog_stat out[PROBES_PROGS])
{
	struct bpf_prog_info info;
	int n = 0;

	if (!p->stats)
		return -ENODATA;
	for (int i = 0; i < PROBES_LINKS; i++) {
		if ((i == PROBES_LINK_OOM && !p->has_oom) || link_prog_info(p, i, &info))
			continue;
		out[n++] = (struct probes_prog_stat){ prog_names[i], info.run_time_ns, info.run_cnt };
	}
	if (!prog_info(bpf_program__fd(p->skel->progs.iter_job_cpu), &info))
		out[n++] = (struct probes_prog_stat){ prog_names[PROBES_LINKS], info.run_time_ns,
						      info.run_cnt };
	return n;
}

int probes__health(struct probes *p, char *reason, size_t sz)
{
	struct bpf_prog_info info;

	for (int i = 0; i < PROBES_LINKS; i++) {
		if ((i == PROBES_LINK_OOM && !p->has_oom) || !link_prog_info(p, i, &info))
			continue;
		if (p->pin_path[0])
			snprintf(reason, sz, "program %s is not attached: %s/%s is gone", prog_names[i],
				 p->pin_path, probes_link_names[i]);
		else
			snprintf(reason, sz, "program %s is not attached", prog_names[i]);
		return 1;
	}
	return 0;
}

/* entries of a hash map: read in batches where the kernel can, key by key where not */
static uint64_t count_entries(int fd, __u32 key_size, __u32 value_size)
{
	enum { BATCH = 256 };
	/* a batch token is the map's own business (a bucket index for hash maps): key-sized */
	size_t tsz = key_size > 8 ? key_size : 8;
	char *token = calloc(1, tsz), *next = calloc(1, tsz);
	void *keys = calloc(BATCH, key_size), *vals = calloc(BATCH, value_size);
	uint64_t total = 0;
	int first = 1, batched = 1;

	if (!token || !next || !keys || !vals)
		goto out;
	for (;;) {
		__u32 count = BATCH;
		int err = bpf_map_lookup_batch(fd, first ? NULL : token, next, keys, vals, &count,
					       NULL);

		if (err && errno != ENOENT) {
			batched = !first; /* no batch operations for this map here: walk it */
			break;
		}
		total += count;
		if (err)
			break;
		memcpy(token, next, tsz);
		first = 0;
	}
	if (!batched) {
		total = 0;
		for (int more = !bpf_map_get_next_key(fd, NULL, next); more;
		     more = !bpf_map_get_next_key(fd, token, next)) {
			memcpy(token, next, key_size);
			total++;
		}
	}
out:
	free(token);
	free(next);
	free(keys);
	free(vals);
	return total;
}

int probes__map_stats(struct probes *p, struct probes_map_stat out[PROBES_MAPS])
{
	struct bpf_map *maps[PROBES_MAPS] = {
		p->skel->maps.rules_map,    p->skel->maps.procs_map, p->skel->maps.agents_map,
		p->skel->maps.jobs_map,	    p->skel->maps.ctx_map,   p->skel->maps.runner_stats,
		p->skel->maps.job_acct,	    p->skel->maps.agent_acct, p->skel->maps.cgroups_map,
		p->skel->maps.cg_jobs,	    p->skel->maps.ctr_counts, p->skel->maps.ctr_acct,
	};

	for (int i = 0; i < PROBES_MAPS; i++) {
		out[i].name = bpf_map__name(maps[i]);
		out[i].capacity = bpf_map__max_entries(maps[i]);
		out[i].entries = count_entries(bpf_map__fd(maps[i]), bpf_map__key_size(maps[i]),
					       bpf_map__value_size(maps[i]));
	}
	return PROBES_MAPS;
}

static int sysctl_stats_on(void)
{
	char v = '0';
	int fd = open("/proc/sys/kernel/bpf_stats_enabled", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &v, 1) != 1)
			v = '0';
		close(fd);
	}
	return v == '1';
}

/*
 * The kernel times BPF programs only while someone asks it to: an fd from BPF_ENABLE_STATS
 * (5.8+, CAP_SYS_ADMIN) keeps that on for as long as it is open, and costs each run two
 * clock reads.
 */
void probes_enable_stats(struct probes *p)
{
	p->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (p->stats_fd >= 0 || sysctl_stats_on()) {
		p->stats = 1;
		return;
	}
	pr_info("BPF run-time statistics are off (%s): runnerscope_bpf_program_* are not "
		"exported; set kernel.bpf_stats_enabled=1 or give runnerscope CAP_SYS_ADMIN",
		strerror(errno));
}
