// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdatomic.h>
#include "lib/clock.h"

/*
 * The two clocks are read one after the other, so each reading of their difference is off by
 * the time between the reads: the difference is kept, and replaced only when the wall clock
 * has really moved (a step of more than a millisecond), so that a start time read twice is
 * the same number twice.
 */
double clock_boot_to_wall(uint64_t boot_ns)
{
	static _Atomic int64_t kept;
	int64_t off = (int64_t)clock_ns(CLOCK_REALTIME) - (int64_t)clock_ns(CLOCK_BOOTTIME);
	int64_t k = atomic_load(&kept);

	if (!k || off - k > 1000000 || k - off > 1000000) {
		atomic_store(&kept, off);
		k = off;
	}
	return (double)((int64_t)boot_ns + k) / 1e9;
}
