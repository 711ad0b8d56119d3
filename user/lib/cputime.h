/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef RUNNERSCOPE_CPUTIME_H
#define RUNNERSCOPE_CPUTIME_H

#include <stdint.h>

/*
 * The kernel's cputime_adjust(): a measured runtime split into user and system in the ratio of
 * the tick-sampled times, which alone can disagree with it (or, summed, exceed it).
 */
static inline void cputime_split(uint64_t run, uint64_t utime, uint64_t stime, uint64_t *user,
				 uint64_t *sys)
{
	if (!stime)
		*user = run;
	else if (!utime)
		*user = 0;
	else
		*user = (uint64_t)((unsigned __int128)run * utime / (utime + stime));
	*sys = run - *user;
}

#endif
