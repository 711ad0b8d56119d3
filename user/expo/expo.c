// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "expo/expo.h"

/* backslashes and newlines, and double quotes when asked (label values, OpenMetrics HELP) */
static void escape(struct buf *b, const char *v, int quotes)
{
	const char *run = v;

	for (; *v; v++) {
		const char *esc = NULL;

		if (*v == '\\')
			esc = "\\\\";
		else if (*v == '"' && quotes)
			esc = "\\\"";
		else if (*v == '\n')
			esc = "\\n";
		if (!esc)
			continue;
		buf_putn(b, run, (size_t)(v - run));
		buf_puts(b, esc);
		run = v + 1;
	}
	buf_putn(b, run, (size_t)(v - run));
}

void expo_escape_label(struct buf *b, const char *v)
{
	escape(b, v, 1);
}

static int has_suffix(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len > n && !memcmp(s + len - n, suffix, n);
}

void expo_family(struct buf *b, const char *name, const char *type, const char *help)
{
	size_t len = strlen(name);

	if (b->fmt != EXPO_OPENMETRICS) {
		buf_printf(b, "# HELP %s ", name);
		escape(b, help, 0);
		buf_printf(b, "\n# TYPE %s %s\n", name, type);
		return;
	}
	/* a counter family is named without the _total its samples carry */
	if (!strcmp(type, "counter") && has_suffix(name, len, "_total"))
		len -= strlen("_total");
	buf_printf(b, "# TYPE %.*s %s\n# HELP %.*s ", (int)len, name, type, (int)len, name);
	escape(b, help, 1);
	buf_putn(b, "\n", 1);
	if (has_suffix(name, len, "_seconds"))
		buf_printf(b, "# UNIT %.*s seconds\n", (int)len, name);
	else if (has_suffix(name, len, "_bytes"))
		buf_printf(b, "# UNIT %.*s bytes\n", (int)len, name);
}

void expo_finish(struct buf *b)
{
	if (b->fmt == EXPO_OPENMETRICS)
		buf_puts(b, "# EOF\n");
}

const char *expo__content_type(enum expo_format fmt)
{
	return fmt == EXPO_OPENMETRICS ? "application/openmetrics-text; version=1.0.0; charset=utf-8" :
					 "text/plain; version=0.0.4; charset=utf-8";
}

/* an unsigned integer in decimal, without printf: most samples are counts */
static void put_u64(struct buf *b, uint64_t v)
{
	char s[24];
	int i = sizeof(s);

	do {
		s[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_putn(b, s + i, sizeof(s) - (size_t)i);
}

static void put_value(struct buf *b, double v)
{
	char s[32];

	if (isnan(v)) {
		buf_puts(b, "NaN");
	} else if (isinf(v)) {
		buf_puts(b, v > 0 ? "+Inf" : "-Inf");
	} else if (v == floor(v) && fabs(v) < 1e15) {
		if (v < 0)
			buf_putn(b, "-", 1);
		put_u64(b, (uint64_t)fabs(v));
	} else {
		/* the shortest form that reads back as v: 15 digits lose counters past 2^53 */
		for (int prec = 15; prec <= 17; prec++) {
			snprintf(s, sizeof(s), "%.*g", prec, v);
			if (strtod(s, NULL) == v)
				break;
		}
		buf_puts(b, s);
	}
}

/* {k="v",…, without the closing brace: a histogram's buckets share it */
static void put_label_prefix(struct buf *b, const struct label *labels, int n)
{
	buf_putn(b, "{", 1);
	for (int i = 0; i < n; i++) {
		if (i)
			buf_putn(b, ",", 1);
		buf_puts(b, labels[i].key);
		buf_putn(b, "=\"", 2);
		expo_escape_label(b, labels[i].value ? labels[i].value : "");
		buf_putn(b, "\"", 1);
	}
}

static void put_labels(struct buf *b, const struct label *labels, int n)
{
	if (!n)
		return;
	put_label_prefix(b, labels, n);
	buf_putn(b, "}", 1);
}

void expo_sample(struct buf *b, const char *name, const struct label *labels, int n, double v)
{
	buf_puts(b, name);
	put_labels(b, labels, n);
	buf_putn(b, " ", 1);
	put_value(b, v);
	buf_putn(b, "\n", 1);
}

void expo_histogram(struct buf *b, const char *name, const struct label *labels, int n,
		    const struct histogram *h)
{
	size_t nl = strlen(name);
	char metric[256];
	struct buf prefix;
	uint64_t cum = 0;

	if (nl > sizeof(metric) - 8)
		return;
	/* name_bucket{labels, rendered once for every bucket */
	buf_init(&prefix);
	buf_putn(&prefix, name, nl);
	buf_puts(&prefix, "_bucket");
	put_label_prefix(&prefix, labels, n);
	buf_puts(&prefix, n ? ",le=\"" : "le=\"");
	if (prefix.oom) {
		buf_free(&prefix);
		b->oom = 1;
		return;
	}
	for (int i = 0; i <= h->nbounds; i++) {
		cum += h->buckets[i];
		buf_putn(b, prefix.p, prefix.len);
		if (i == h->nbounds)
			buf_puts(b, "+Inf");
		else
			put_value(b, h->bounds[i]);
		buf_putn(b, "\"} ", 3);
		put_u64(b, cum);
		buf_putn(b, "\n", 1);
	}
	buf_free(&prefix);
	snprintf(metric, sizeof(metric), "%s_sum", name);
	expo_sample(b, metric, labels, n, h->sum);
	snprintf(metric, sizeof(metric), "%s_count", name);
	expo_sample(b, metric, labels, n, (double)h->count);
}
