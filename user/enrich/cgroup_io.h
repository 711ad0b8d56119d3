/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The parsers of a cgroup's block I/O and pids files: text in, numbers out, no file touched
 * (cgroup_io.c reads the files too, for cgroup_stats.c: cgroupfs_priv.h).
 */
#ifndef RUNNERSCOPE_CGROUP_IO_H
#define RUNNERSCOPE_CGROUP_IO_H

#include <stddef.h>
#include <stdint.h>

/* by enum cg_io_dir: read, write */
struct io_totals {
	uint64_t bytes[2];
	uint64_t ops[2];
};

/*
 * cgroup2's io.stat, "<maj>:<min> rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N …" a line
 * per device: rbytes, wbytes, rios and wios summed over the devices. 0; -ENOENT when it lists
 * no device (nothing accounted yet); -EINVAL for anything else the kernel would not write.
 */
int cgroup_io_stat_parse(const char *text, size_t len, struct io_totals *out);

/*
 * v1 blkio's blkio.throttle.io_service_bytes(_recursive) or io_serviced(_recursive):
 * "<maj>:<min> Read N" and "… Write N" summed over the devices into out[0] and out[1] (Sync,
 * Async, Discard, the devices' and the whole "Total" lines are not used). 0, -ENOENT when it
 * lists no device, -EINVAL.
 */
int cgroup_io_blkio_parse(const char *text, size_t len, uint64_t out[2]);

/*
 * pids.max or pids.current: one number and a newline, or "max" (pids.max only): 0 and *v,
 * -ERANGE for "max", -EINVAL.
 */
int cgroup_io_pids_parse(const char *text, size_t len, uint64_t *v);

#endif
