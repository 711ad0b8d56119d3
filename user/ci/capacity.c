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

int capacity_key_number(const char *k, const char *eol, const char *key, char sep)
{
	const char *v = config_key_value(k, eol, key, sep);
	size_t n = 0;
	char num[16];

	if (!v)
		return -ENOENT;
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

long long capacity_id(const char *s, size_t n)
{
	long long v = 0;

	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}
