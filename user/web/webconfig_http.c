// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "lib/duration.h"
#include "lib/log.h"
#include "web/webconfig_priv.h"

/*
 * Headers exporter-toolkit lets a config set, with the values it allows (NULL: any): the
 * response's security headers, never ones that change what it means.
 */
static const struct {
	const char *name;
	const char *const values[3];
} allowed_headers[] = {
	{ "Strict-Transport-Security", { NULL } },
	{ "X-Content-Type-Options", { "nosniff", NULL } },
	{ "X-Frame-Options", { "deny", "sameorigin", NULL } },
	{ "X-XSS-Protection", { NULL } },
	{ "Content-Security-Policy", { NULL } },
};

static void header_pair(struct webconfig_doc *x, const yaml_node_t *k, const yaml_node_t *v,
			void *arg)
{
	struct webconfig *c = arg;
	const char *name = webconfig_scalar(k), *value = webconfig_scalar(v);
	size_t i, j;
	struct webconfig_header *h;

	for (i = 0; i < sizeof(allowed_headers) / sizeof(allowed_headers[0]); i++)
		if (!strcmp(name, allowed_headers[i].name))
			break;
	if (i == sizeof(allowed_headers) / sizeof(allowed_headers[0])) {
		webconfig_fail(
			x, k,
			"HTTP header %s can not be configured: want Strict-Transport-Security, "
			"X-Content-Type-Options, X-Frame-Options, X-XSS-Protection or "
			"Content-Security-Policy",
			name);
		return;
	}
	if (!value) {
		webconfig_fail(x, v, "%s: want a string", name);
		return;
	}
	for (j = 0; allowed_headers[i].values[j]; j++)
		if (!strcmp(value, allowed_headers[i].values[j]))
			break;
	if (allowed_headers[i].values[0] && !allowed_headers[i].values[j]) {
		webconfig_fail(x, v, "invalid value for %s: %s", name, value);
		return;
	}
	/* a value is one header line: no CR or LF to split the response with */
	if (strpbrk(value, "\r\n")) {
		webconfig_fail(x, v, "invalid value for %s: a line break", name);
		return;
	}
	h = realloc(c->headers, (size_t)(c->nheaders + 1) * sizeof(*h));
	if (h)
		c->headers = h;
	if (h && !webconfig_dup_two(x, v, name, value, &h[c->nheaders].name, &h[c->nheaders].value))
		c->nheaders++;
	else if (!h)
		webconfig_fail(x, v, "out of memory");
}

void webconfig_http_pair(struct webconfig_doc *x, const yaml_node_t *k, const yaml_node_t *v,
			 void *arg)
{
	struct webconfig *c = arg;
	const char *key = webconfig_scalar(k);

	if (!strcmp(key, "http2")) {
		int on;

		/*
		 * exporter-toolkit's configs carry it, so it is taken and checked as there; but
		 * the server speaks HTTP/1.1 only, which is said once, at load
		 */
		if (webconfig_is_null(v) || webconfig_get_bool(x, v, key, &on))
			return;
		if (on)
			pr_info("%s: http2 is on, but runnerscope serves HTTP/1.1 only", x->name);
	} else if (!strcmp(key, "headers")) {
		webconfig_each_pair(x, v, "headers", header_pair, c);
	} else {
		webconfig_fail(x, k, "unknown key %s in http_server_config", key);
	}
}

void webconfig_rate_pair(struct webconfig_doc *x, const yaml_node_t *k, const yaml_node_t *v,
			 void *arg)
{
	struct webconfig *c = arg;
	const char *key = webconfig_scalar(k), *s = webconfig_scalar(v);

	if (webconfig_is_null(v))
		return;
	if (!strcmp(key, "interval")) {
		if (!s || duration_parse(s, &c->rate_interval_ns))
			webconfig_fail(x, v,
				       "rate_limit: interval: want a duration such as 1s or 100ms");
	} else if (!strcmp(key, "burst")) {
		char *end;
		unsigned long b = s ? strtoul(s, &end, 10) : 0;

		if (!s || !*s || *end || *s == '-' || b > 1000000)
			webconfig_fail(x, v, "rate_limit: burst: want a number from 0 to 1000000");
		else
			c->rate_burst = (unsigned int)b;
	} else {
		webconfig_fail(x, k, "unknown key %s in rate_limit", key);
	}
}
