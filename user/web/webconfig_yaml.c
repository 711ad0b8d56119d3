// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The web config's YAML read as Prometheus' exporter-toolkit (Go's yaml) reads it: scalars,
 * booleans, mappings with no key twice, lists of strings; and the first error, with its line.
 * What every part of the parser uses; it calls none of them.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "web/webconfig_priv.h"

void webconfig_fail(struct webconfig_doc *x, const yaml_node_t *n, const char *fmt, ...)
{
	size_t off;
	va_list ap;

	if (x->failed)
		return;
	x->failed = 1;
	off = (size_t)snprintf(x->err, x->err_sz, "%s:%lu: ", x->name,
			       n ? (unsigned long)n->start_mark.line + 1 : 1UL);
	if (off >= x->err_sz)
		return;
	va_start(ap, fmt);
	vsnprintf(x->err + off, x->err_sz - off, fmt, ap);
	va_end(ap);
}

const char *webconfig_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int webconfig_is_null(const yaml_node_t *n)
{
	const char *s = webconfig_scalar(n);

	return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
		!strcmp(s, "NULL"));
}

char *webconfig_dup_scalar(struct webconfig_doc *x, const yaml_node_t *n, const char *key)
{
	const char *s = webconfig_scalar(n);
	char *d;

	if (!s) {
		webconfig_fail(x, n, "%s: want a string", key);
		return NULL;
	}
	if (strlen(s) != n->data.scalar.length) {
		webconfig_fail(x, n, "%s: a NUL byte in the value", key);
		return NULL;
	}
	d = strdup(s);
	if (!d)
		webconfig_fail(x, n, "out of memory");
	return d;
}

int webconfig_get_bool(struct webconfig_doc *x, const yaml_node_t *n, const char *key, int *out)
{
	const char *s = webconfig_scalar(n);
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "on", "On" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "off", "Off" };

	for (size_t i = 0; s && i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
			*out = !strcmp(s, yes[i]);
			return 0;
		}
	}
	webconfig_fail(x, n, "%s: want true or false", key);
	return -EINVAL;
}

void webconfig_each_pair(struct webconfig_doc *x, const yaml_node_t *map, const char *what,
			 webconfig_pair_fn fn, void *arg)
{
	if (webconfig_is_null(map))
		return;
	if (map->type != YAML_MAPPING_NODE) {
		webconfig_fail(x, map, "%s: want a mapping", what);
		return;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     !x->failed && p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(x->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(x->doc, p->value);

		if (!webconfig_scalar(k)) {
			webconfig_fail(x, k, "%s: keys must be strings", what);
			return;
		}
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			if (!strcmp(webconfig_scalar(yaml_document_get_node(x->doc, q->key)),
				    webconfig_scalar(k))) {
				webconfig_fail(x, k, "%s: %s is set twice", what,
					       webconfig_scalar(k));
				return;
			}
		}
		fn(x, k, v, arg);
	}
}

char **webconfig_string_list(struct webconfig_doc *x, const yaml_node_t *n, const char *key,
			     int *count)
{
	char **out;
	int i = 0;

	*count = 0;
	if (webconfig_is_null(n))
		return NULL;
	if (n->type != YAML_SEQUENCE_NODE) {
		webconfig_fail(x, n, "%s: want a list", key);
		return NULL;
	}
	out = calloc((size_t)(n->data.sequence.items.top - n->data.sequence.items.start) + 1,
		     sizeof(*out));
	if (!out) {
		webconfig_fail(x, n, "out of memory");
		return NULL;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     !x->failed && it < n->data.sequence.items.top; it++) {
		out[i] = webconfig_dup_scalar(x, yaml_document_get_node(x->doc, *it), key);
		i += out[i] != NULL;
	}
	*count = i;
	return out;
}

void webconfig_free_list(char **l, int n)
{
	for (int i = 0; l && i < n; i++)
		free(l[i]);
	free(l);
}

int webconfig_dup_two(struct webconfig_doc *x, const yaml_node_t *at, const char *a,
		      const char *b, char **oa, char **ob)
{
	*oa = strdup(a);
	*ob = strdup(b);
	if (*oa && *ob)
		return 0;
	free(*oa);
	free(*ob);
	webconfig_fail(x, at, "out of memory");
	return -ENOMEM;
}
