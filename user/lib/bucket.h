/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef RUNNERSCOPE_BUCKET_H
#define RUNNERSCOPE_BUCKET_H

/*
 * The histogram bucket v falls in, of nbounds ascending upper bounds and +Inf: 0..nbounds.
 * Bounds are inclusive, as Prometheus' le: v == bound lands in that bucket.
 */
static inline int bucket_index(const double *bounds, int nbounds, double v)
{
	int i = 0;

	while (i < nbounds && v > bounds[i])
		i++;
	return i;
}

#endif
