// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The BPF side of the daemon as one object: made (preflight, pin directory, the programs
 * loaded or adopted, statistics, markers) and freed
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include "lib/log.h"
#include "kernel/pin.h"
#include "kernel/probes_priv.h"

const char *probes__attach_name(const struct probes *p)
{
	return p->mode == ATTACH_RAW_TP ? "raw_tp" : "tp_btf";
}

const char *probes__kernel_release(const struct probes *p)
{
	return p->kernel;
}

struct probes *probes__new(const struct probes_opts *opts)
{
	struct probes *p;
	int err;

	err = probes_preflight();
	if (err) {
		errno = -err;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	{
		struct utsname u;

		snprintf(p->kernel, sizeof(p->kernel), "%s", uname(&u) ? "unknown" : u.release);
	}
	p->pin_fd = -1;
	p->cpu_wait = probes__cpu_wait();
	p->stats_fd = -1;
	p->cleanup = opts->cleanup_on_exit;
	p->end_idle_ns = opts->end_idle_ns ? opts->end_idle_ns : 10ULL * 1000000000ULL;
	snprintf(p->docker_root, sizeof(p->docker_root), "%s", opts->docker_root ? opts->docker_root : "");
	snprintf(p->runtime_root, sizeof(p->runtime_root), "%s",
		 opts->runtime_root ? opts->runtime_root : "");
	snprintf(p->kubelet_log_dir, sizeof(p->kubelet_log_dir), "%s",
		 opts->kubelet_log_dir ? opts->kubelet_log_dir : "");
	p->mode = opts->attach == ATTACH_RAW_TP ? ATTACH_RAW_TP : ATTACH_TP_BTF;
	if (opts->pin_path && opts->pin_path[0]) {
		if (snprintf(p->pin_path, sizeof(p->pin_path), "%s", opts->pin_path) >=
		    (int)sizeof(p->pin_path)) {
			pr_err("--bpf.pin-path is too long");
			err = -ENAMETOOLONG;
			goto fail;
		}
		p->pin_fd = pin__dir_open(p->pin_path, 1);
		if (p->pin_fd < 0) {
			err = p->pin_fd;
			p->pin_path[0] = '\0'; /* not ours to clean up */
			goto fail;
		}
	}
	err = probes_setup(p, opts);
	if (err) {
		pr_err("failed to load BPF programs (%s): %s%s%s; --log.level=debug shows the "
		       "verifier's whole log",
		       probes__attach_name(p), strerror(-err), probes_reject_reason()[0] ? ": " : "",
		       probes_reject_reason());
		goto fail;
	}
	if (opts->stats)
		probes_enable_stats(p);
	err = probes_map_bits(p);
	if (err) {
		pr_err("failed to map procs_bits: %s", strerror(-err));
		goto fail;
	}
	probes_bits_ready(p);
	if (!probes_percpu_reads())
		pr_info("kernel lacks bpf_map_lookup_percpu_elem() or bpf_loop() (Linux 5.19): a "
			"container's CPU at its removal is what the last pass read, its memory peak "
			"and OOM kills are the kernel's");
	pr_info("bpf programs attached via %s%s on Linux %s%s%s", probes__attach_name(p),
		p->mode == ATTACH_RAW_TP && p->raw_cur ? " (current read through a helper)" : "",
		p->kernel, p->pin_path[0] ? ", pinned under " : ", not pinned", p->pin_path);
	return p;
fail:
	if (p->pin_path[0] && p->cleanup)
		pin__dir_clear(p->pin_path, 1);
	p->cleanup = 0;
	probes__free(p);
	errno = -err;
	return NULL;
}

void probes__free(struct probes *p)
{
	if (!p)
		return;

	ring_buffer__free(p->rb);
	if (p->cleanup && p->pin_path[0]) {
		int n = pin__dir_clear(p->pin_path, 1);

		if (n < 0)
			pr_warn("cannot remove %s: %s", p->pin_path, strerror(-n));
		else
			pr_info("detached and unpinned everything under %s", p->pin_path);
	}
	if (p->bits)
		munmap((void *)p->bits, RS_BITS_WORDS * sizeof(__u64));
	runnerscope_bpf__destroy(p->skel);
	if (p->pin_fd >= 0)
		close(p->pin_fd);
	if (p->stats_fd >= 0)
		close(p->stats_fd);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
