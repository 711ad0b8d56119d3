/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Metrics exposition: a growing buffer, escaping, samples and histograms, in the Prometheus
 * text format 0.0.4 or OpenMetrics 1.0.
 */
#ifndef RUNNERSCOPE_EXPO_H
#define RUNNERSCOPE_EXPO_H

#include <stddef.h>
#include <stdint.h>

enum expo_format {
	EXPO_TEXT, /* text/plain; version=0.0.4 */
	EXPO_OPENMETRICS, /* application/openmetrics-text; version=1.0.0 */
	EXPO_FORMAT_MAX,
};

struct buf {
	char *p;
	size_t len;
	size_t cap;
	int oom; /* an allocation failed: the content is incomplete */
	enum expo_format fmt; /* how expo_* write into it; buf_init() makes it EXPO_TEXT */
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_putn(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

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
const char *expo_content_type(enum expo_format fmt);
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
