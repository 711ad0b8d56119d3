// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include <strings.h>
#include "web/negotiate.h"

struct token {
	const char *p;
	size_t len;
};

static int token_eq(struct token t, const char *s)
{
	return t.len == strlen(s) && !strncasecmp(t.p, s, t.len);
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* up to one of stop (or the end), without trailing whitespace */
static struct token take(const char **pp, const char *stop)
{
	const char *p = skip_ows(*pp);
	struct token t = { p, strcspn(p, stop) };

	*pp = p + t.len;
	while (t.len && (t.p[t.len - 1] == ' ' || t.p[t.len - 1] == '\t'))
		t.len--;
	return t;
}

/* "0", "0.5", "1", "1.000": RFC 9110's qvalue; anything else counts as 0 */
static double qvalue(struct token t)
{
	double q = 0, scale = 1;
	size_t i = 0;

	if (!t.len || (t.p[0] != '0' && t.p[0] != '1'))
		return 0;
	q = t.p[0] - '0';
	if (t.len == 1)
		return q;
	if (t.p[1] != '.' || t.len > 5)
		return 0;
	for (i = 2; i < t.len; i++) {
		if (t.p[i] < '0' || t.p[i] > '9')
			return 0;
		scale /= 10;
		q += (t.p[i] - '0') * scale;
	}
	return q > 1 ? 0 : q;
}

/* one element of the header: "type/sub;version=v;q=0.5" (or a coding: "gzip;q=1") */
struct range {
	struct token type;
	struct token version; /* len 0: none */
	double q;
};

/* the next range at *pp, or 0 at the end */
static int next_range(const char **pp, struct range *r)
{
	const char *p = *pp;

	while (*p == ',' || *p == ' ' || *p == '\t')
		p++;
	if (!*p)
		return 0;
	memset(r, 0, sizeof(*r));
	r->q = 1;
	r->type = take(&p, ";,");
	while (*p == ';') {
		struct token name, value;

		p++;
		name = take(&p, "=;,");
		if (*p != '=')
			continue;
		p = skip_ows(p + 1);
		if (*p == '"') {
			/* a quoted string: up to the closing quote, escapes skipped over */
			const char *s = ++p;

			while (*p && *p != '"')
				p += p[0] == '\\' && p[1] ? 2 : 1;
			value = (struct token){ s, (size_t)(p - s) };
			if (*p == '"')
				p++;
			take(&p, ";,"); /* whatever follows it, up to the next parameter */
		} else {
			value = take(&p, ";,");
		}
		if (token_eq(name, "q"))
			r->q = qvalue(value);
		else if (token_eq(name, "version"))
			r->version = value;
	}
	*pp = p;
	return 1;
}

/* how specifically range r names offer (type, version); -1 when it does not */
static int specificity(const struct range *r, struct token type, struct token version)
{
	const char *slash = memchr(type.p, '/', type.len);

	if (token_eq(r->type, "*/*") || token_eq(r->type, "*"))
		return 0;
	if (slash && r->type.len == (size_t)(slash - type.p) + 2 &&
	    !strncasecmp(r->type.p, type.p, (size_t)(slash - type.p) + 1) &&
	    r->type.p[r->type.len - 1] == '*')
		return 1;
	if (r->type.len != type.len || strncasecmp(r->type.p, type.p, type.len))
		return -1;
	if (!r->version.len)
		return 2;
	return r->version.len == version.len && !memcmp(r->version.p, version.p, version.len) ? 3 :
											       -1;
}

int http_accept_pick(const char *header, const char *const *offers, int n)
{
	double q[8];
	int spec[8], best = -1;

	if (!header || !*skip_ows(header))
		return n > 0 ? 0 : -1;
	if (n > 8)
		return -1;
	for (int i = 0; i < n; i++) {
		q[i] = 0;
		spec[i] = -1;
	}
	for (struct range r; next_range(&header, &r);) {
		for (int i = 0; i < n; i++) {
			const char *o = offers[i];
			struct token type = { o, strcspn(o, ";") }, version = { "", 0 };
			const char *v = strstr(o, ";version=");
			int s;

			if (v)
				version = (struct token){ v + 9, strlen(v + 9) };
			s = specificity(&r, type, version);
			if (s > spec[i]) {
				spec[i] = s;
				q[i] = r.q;
			}
		}
	}
	for (int i = 0; i < n; i++)
		if (q[i] > 0 && (best < 0 || q[i] > q[best]))
			best = i;
	return best;
}

enum expo_format http_metrics_format(const char *accept, const char **version)
{
	static const char *const offers[] = {
		"text/plain;version=0.0.4",
		"application/openmetrics-text;version=1.0.0",
		"application/openmetrics-text;version=0.0.1",
	};
	int i = http_accept_pick(accept, offers, 3);

	/* as the Prometheus client libraries do, the text format when nothing else fits */
	*version = i == 2 ? "0.0.1" : i == 1 ? "1.0.0" : "0.0.4";
	return i > 0 ? EXPO_OPENMETRICS : EXPO_TEXT;
}

int http_accepts_gzip(const char *accept_encoding)
{
	static const char *const offers[] = { "gzip", "x-gzip" };

	/* an empty header asks for no coding at all */
	return accept_encoding && *skip_ows(accept_encoding) &&
	       http_accept_pick(accept_encoding, offers, 2) >= 0;
}

int http_no_cache(const char *cache_control)
{
	const char *p = cache_control;

	while (p && *p) {
		struct token name = take(&p, ",=");
		struct token value = {};

		if (*p == '=') {
			p++;
			value = take(&p, ",");
			/* a quoted value: "0" is 0 */
			if (value.len >= 2 && value.p[0] == '"' && value.p[value.len - 1] == '"') {
				value.p++;
				value.len -= 2;
			}
		}
		if (token_eq(name, "no-cache") ||
		    (token_eq(name, "max-age") && value.len && strspn(value.p, "0") >= value.len))
			return 1;
		if (*p == ',')
			p++;
	}
	return 0;
}

int http_wants_html(const char *accept)
{
	static const char *const offers[] = { "text/plain", "text/html" };

	return http_accept_pick(accept, offers, 2) == 1;
}
