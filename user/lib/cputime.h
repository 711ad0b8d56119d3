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

/*
 * The rest of cputime_adjust(): a new split (user + sys, the runtime so far) taken on from the
 * one shown before (*shown_user, *shown_sys), so that neither part steps back and the two add
 * up to the runtime. Keeping each part at its own highest instead lets their sum pass the
 * runtime as the sampled ratio shifts. Nothing changes while the runtime has not grown.
 */
static inline void cputime_keep(uint64_t user, uint64_t sys, uint64_t *shown_user,
				uint64_t *shown_sys)
{
	uint64_t run = user + sys;

	if (run <= *shown_user + *shown_sys)
		return;
	if (sys < *shown_sys)
		sys = *shown_sys;
	user = run - sys;
	if (user < *shown_user) {
		user = *shown_user;
		sys = run - user;
	}
	*shown_user = user;
	*shown_sys = sys;
}

#endif
