/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Metrics exposition into a growing buffer (lib/buf.h): escaping, samples and histograms, in
 * the Prometheus text format 0.0.4 or OpenMetrics 1.0.
 */
#ifndef RUNNERSCOPE_EXPO_H
#define RUNNERSCOPE_EXPO_H

#include <stddef.h>
#include <stdint.h>
#include "lib/buf.h"

enum expo_format {
	EXPO_TEXT, /* text/plain; version=0.0.4 */
	EXPO_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
	EXPO_FORMAT_MAX,
};


/* appends a label value escaped for the text format: \\, \" and \n */
void expo_escape_label(struct buf *b, const char *v);

struct label {
	const char *key;
	const char *value;
};

/*
 * A family's metadata. name is the sample name (counters end in _total); in OpenMetrics the
 * family drops that suffix, and families named *_seconds or *_bytes get a # UNIT line.
 */
void expo_family(struct buf *b, const char *name, const char *type, const char *help);
/* what ends an exposition: "# EOF" in OpenMetrics, nothing in the text format */
void expo_finish(struct buf *b);
/* the Content-Type header of a format */
const char *expo__content_type(enum expo_format fmt);
void expo_sample(struct buf *b, const char *name, const struct label *labels, int n, double v);

struct histogram {
	const double *bounds; /* upper bounds, ascending; +Inf is implicit */
	int nbounds;
	uint64_t *buckets; /* nbounds + 1 counts, not cumulative; the last one is +Inf */
	double sum;
	uint64_t count;
};

void expo_histogram(struct buf *b, const char *name, const struct label *labels, int n,
		    const struct histogram *h);

#endif
