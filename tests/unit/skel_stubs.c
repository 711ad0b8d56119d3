// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The functions of the objects built on the BPF skeleton (user/kernel/, user/intake/) that the
 * exposition and the pages call, for the unit tests, which link neither the skeleton nor those
 * objects. A unit test has no probes: each stub answers as the real function does for a NULL
 * one, or aborts where that one would not be called. A unit test whose link fails on another
 * such function wants it added here.
 */
#include <stdlib.h>
#include "intake/intake.h"
#include "kernel/probes.h"

uint64_t intake__events_taken(struct probes *p)
{
	(void)p;
	return 0;
}

int intake__events_waiting(struct probes *p)
{
	(void)p;
	return 0;
}

/* the rest are only reached with probes */
const char *intake__event_name(int type)
{
	(void)type;
	abort();
}

int intake__event_counts(struct probes *p, struct rs_event_count out[RS_EV_MAX])
{
	(void)p, (void)out;
	abort();
}

void intake__cgroup_walks(struct probes *p, uint64_t *startup, uint64_t *lost)
{
	(void)p, (void)startup, (void)lost;
	abort();
}

const char *probes__attach_name(const struct probes *p)
{
	(void)p;
	abort();
}

const char *probes__kernel_release(const struct probes *p)
{
	(void)p;
	abort();
}

int probes__prog_stats(struct probes *p, struct probes_prog_stat out[PROBES_PROGS])
{
	(void)p, (void)out;
	abort();
}

int probes__map_stats(struct probes *p, struct probes_map_stat out[PROBES_MAPS])
{
	(void)p, (void)out;
	abort();
}
