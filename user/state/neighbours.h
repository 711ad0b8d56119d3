/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who had the CPUs a job may run on while it ran: its CPU wait's neighbours. Each pass, the
 * CPU every other job and every container that is no job's used since the last pass is
 * shared out over the CPUs it may run on; what of it fell on a job's CPUs, for the part of
 * the interval the job ran, is that neighbour's for the job. What the host's CPUs were busy
 * with beyond that (and beyond the job itself) is "host". No program on the context switch:
 * the figures are as fine as the passes (a second), and a neighbour's CPU is taken as spread
 * evenly over the CPUs it may use.
 */
#ifndef RUNNERSCOPE_NEIGHBOURS_H
#define RUNNERSCOPE_NEIGHBOURS_H

#include <stdint.h>
#include <linux/types.h>
#include "jobs.h"
#include "state/job_record.h"

#define NB_KEEP 8 /* neighbours a running job keeps; past it the smallest gives way */

/* who, and how much: names are looked up when the job is published (a running job keeps
 * a few of these, so they are small) */
struct nb_entry {
	int type; /* enum nb_type; NB_NONE: free */
	struct rs_key key; /* a job's */
	char id[CONTAINER_ID_LEN + 1]; /* a container's */
	uint64_t cpu_ns;
};

/* a job's neighbours so far */
struct nb_acc {
	int seen; /* a pass has taken its CPU total as a starting point */
	uint64_t cpu_last; /* its CPU total at the last pass */
	uint64_t host_ns;
	struct nb_entry e[NB_KEEP];
};

/* what another job or a container used in a pass's interval */
struct nb_source {
	int type; /* NB_JOB, NB_CONTAINER */
	struct rs_key key; /* a job's */
	const char *id; /* a container's */
	uint64_t delta_ns; /* its CPU in the interval */
	uint64_t cpus; /* the CPUs it may run on, the first 64; 0: any */
};

/*
 * One pass's interval for one job (self): share, the part of the interval it ran (0 to 1);
 * cpus, where it may run (0: any); own, its CPU in the interval; busy, how long the CPUs it
 * may run on were busy in the interval (/proc/stat), all on a host of ncpus CPUs.
 */
void nb_account(struct nb_acc *acc, const struct rs_key *self, uint64_t cpus, int ncpus,
		double share, uint64_t own, uint64_t busy, const struct nb_source *src, int n);

/* the largest of acc's neighbours, largest first: indices into acc->e, NB_KEEP for the host's
 * share; how many (up to max) */
int nb_top(const struct nb_acc *acc, int *idx, int max);

/* the CPUs a mask names on a host of ncpus (0 or a host past 64 CPUs: every one) */
int nb_cpus(uint64_t mask, int ncpus);

#endif
