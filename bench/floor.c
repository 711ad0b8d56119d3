// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Attaches the floor programs, tp_btf's or with --raw-tp raw_tp's (or, with --stats-only,
 * attaches nothing) with the kernel's BPF run-time statistics on, until stdin closes; then
 * prints what the kernel measured for each program as one JSON line.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

static void print_stats(struct floor_bpf *skel, int raw)
{
	/* by the event names bench/run.py uses */
	const struct {
		const char *name;
		struct bpf_program *prog;
	} progs[] = {
		{ "exec", raw ? skel->progs.raw_tp_exec : skel->progs.tp_btf_exec },
		{ "fork", raw ? skel->progs.raw_tp_fork : skel->progs.tp_btf_fork },
		{ "exit", raw ? skel->progs.raw_tp_exit : skel->progs.tp_btf_exit },
		{ "cg_mkdir", raw ? skel->progs.raw_tp_cg_mkdir : skel->progs.tp_btf_cg_mkdir },
		{ "cg_rmdir", raw ? skel->progs.raw_tp_cg_rmdir : skel->progs.tp_btf_cg_rmdir },
		{ "cg_attach", raw ? skel->progs.raw_tp_cg_attach : skel->progs.tp_btf_cg_attach },
		{ "cg_populated",
		  raw ? skel->progs.raw_tp_cg_populated : skel->progs.tp_btf_cg_populated },
	};

	printf("{");
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		bpf_obj_get_info_by_fd(bpf_program__fd(progs[i].prog), &info, &len);
		printf("%s\"%s\": {\"run_ns\": %llu, \"runs\": %llu}", i ? ", " : "", progs[i].name,
		       (unsigned long long)info.run_time_ns, (unsigned long long)info.run_cnt);
	}
	printf("}\n");
}

int main(int argc, char **argv)
{
	int stats_only = argc > 1 && !strcmp(argv[1], "--stats-only");
	int raw = argc > 1 && !strcmp(argv[1], "--raw-tp");
	struct floor_bpf *skel = NULL;
	struct bpf_program *prog;
	int stats, err = 0;
	char c;

	stats = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (stats < 0) {
		fprintf(stderr, "floor: cannot turn on BPF statistics: %s\n", strerror(errno));
		return 1;
	}
	if (!stats_only) {
		skel = floor_bpf__open();
		if (skel)
			bpf_object__for_each_program(prog, skel->obj)
				bpf_program__set_autoload(
					prog, !strncmp(bpf_program__name(prog), raw ? "raw_tp" : "tp_btf", 6));
		if (!skel || floor_bpf__load(skel) || floor_bpf__attach(skel)) {
			fprintf(stderr, "floor: cannot load or attach: %s\n", strerror(errno));
			err = 1;
			goto out;
		}
	}
	printf("ready\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	if (skel)
		print_stats(skel, raw);
out:
	floor_bpf__destroy(skel);
	close(stats);
	return err;
}
