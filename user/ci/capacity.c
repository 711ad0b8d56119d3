// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "ci/capacity.h"
#include "ci/runner_file.h"

int capacity_number(const char *s)
{
	long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (*s - '0');
		if (v > CAPACITY_MAX)
			return -EINVAL;
	}
	return v ? (int)v : -EINVAL;
}

/* the number after "key" and sep on a line (k: the key's start, eol: its end), or -ENOENT */
static int key_number(const char *k, const char *eol, const char *key, char sep)
{
	size_t klen = strlen(key), n = 0;
	const char *v = k + klen;
	char num[16];

	if ((size_t)(eol - k) <= klen || memcmp(k, key, klen))
		return -ENOENT;
	while (v < eol && (*v == ' ' || *v == '\t'))
		v++;
	if (v >= eol || *v++ != sep)
		return -ENOENT;
	while (v < eol && (*v == ' ' || *v == '\t'))
		v++;
	/* an integer, then blanks or a comment; YAML may quote it */
	if (sep == ':' && v < eol && (*v == '"' || *v == '\''))
		v++;
	while (v + n < eol && v[n] >= '0' && v[n] <= '9' && n < sizeof(num) - 1) {
		num[n] = v[n];
		n++;
	}
	num[n] = '\0';
	return capacity_number(num);
}

/*
 * YAML as act_runner writes it: the top-level "runner:" mapping, its keys indented under it,
 * one of them "capacity: N". Flow style and anchors are not followed (nobody writes them for
 * this key); what is not understood leaves the default.
 */
int gitea_config_capacity(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	long indent = -1;
	int in_runner = 0, v;
	struct config_line l;

	if (len > RUNNER_FILE_MAX)
		return -E2BIG;
	while (config_next_line(&p, end, &l)) {
		if (l.key == l.line) {
			/* a top-level key: the runner mapping starts, or the one before ends */
			if (in_runner)
				break;
			in_runner = l.eol - l.key >= 7 && !memcmp(l.key, "runner:", 7);
			continue;
		}
		if (!in_runner)
			continue;
		/* the runner mapping's own keys are those at its first key's indent */
		if (indent < 0)
			indent = l.key - l.line;
		if (l.key - l.line == indent && (v = key_number(l.key, l.eol, "capacity", ':')) > 0)
			return v;
	}
	return 1;
}

int gitlab_config_capacity(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	int concurrent = 1, limit = 0, table = 0, v;
	struct config_line l;

	if (len > RUNNER_FILE_MAX)
		return -E2BIG;
	while (config_next_line(&p, end, &l)) {
		if (*l.key == '[') {
			/* the top level, then the first [[runners]] table's own keys */
			if (table == 1)
				break;
			table = l.eol - l.key >= 11 && !strncmp(l.key, "[[runners]]", 11) ? 1 : 2;
			continue;
		}
		if (table == 0 && (v = key_number(l.key, l.eol, "concurrent", '=')) > 0)
			concurrent = v;
		else if (table == 1 && (v = key_number(l.key, l.eol, "limit", '=')) > 0)
			limit = v;
	}
	return limit && limit < concurrent ? limit : concurrent;
}

int capacity_arg(const char *args, size_t len, const char *shortopt, const char *longopt,
		 char *out, size_t sz)
{
	size_t i = 0, ll = strlen(longopt);

	while (i < len) {
		const char *a = args + i, *next = memchr(a, '\0', len - i), *v = NULL;
		size_t alen;

		if (!next)
			next = args + len;
		alen = (size_t)(next - a);
		if (((shortopt && alen == strlen(shortopt) && !memcmp(a, shortopt, alen)) ||
		     (alen == ll && !memcmp(a, longopt, ll))) &&
		    next + 1 < args + len)
			v = next + 1;
		else if (alen > ll && !memcmp(a, longopt, ll) && a[ll] == '=')
			v = a + ll + 1;
		if (v) {
			size_t n = strnlen(v, (size_t)(args + len - v));

			if (n >= sz)
				return -ENAMETOOLONG;
			memcpy(out, v, n);
			out[n] = '\0';
			return 0;
		}
		i = (size_t)(next - args) + 1;
	}
	return -ENOENT;
}
