// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "state/joblabels.h"

const char *const jl_names[JL_MAX] = {
	[JL_REPOSITORY] = "repository",
	[JL_WORKFLOW] = "workflow",
	[JL_JOB] = "job",
};

int joblabels__parse(const char *list, unsigned int *mask, const char **bad)
{
	const char *p = list;

	*mask = 0;
	while (p && *p) {
		size_t n = strcspn(p, ",");
		int found = 0;

		for (int l = 0; l < JL_MAX && n; l++) {
			if (strlen(jl_names[l]) == n && !strncmp(p, jl_names[l], n)) {
				*mask |= 1u << l;
				found = 1;
			}
		}
		if (!found) {
			*bad = p;
			return -EINVAL;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

void joblabels__init(struct joblabels *jl, unsigned int mask, unsigned int limit)
{
	memset(jl, 0, sizeof(*jl));
	jl->mask = mask;
	jl->limit = limit;
}

void joblabels__free(struct joblabels *jl)
{
	struct jl_series *s, *st;
	struct jl_value *v, *vt;

	HASH_ITER(hh, jl->series, s, st) {
		HASH_DEL(jl->series, s);
		free(s);
	}
	for (int l = 0; l < JL_MAX; l++) {
		HASH_ITER(hh, jl->seen[l], v, vt) {
			HASH_DEL(jl->seen[l], v);
			free(v);
		}
	}
	memset(jl, 0, sizeof(*jl));
}

const char *joblabels_value(struct joblabels *jl, enum jl_label l, const char *v)
{
	struct jl_value *x;
	size_t n;

	if (!(jl->mask & (1u << l)) || !v || !v[0])
		return "";
	HASH_FIND_STR(jl->seen[l], v, x);
	if (x)
		return x->v;
	if (jl->nseen[l] >= jl->limit)
		return "other";
	n = strlen(v) + 1;
	x = malloc(sizeof(*x) + n);
	if (!x)
		return "other";
	memcpy(x->v, v, n);
	HASH_ADD_STR(jl->seen[l], v, x);
	jl->nseen[l]++;
	return x->v;
}

struct jl_series *joblabels_series(struct joblabels *jl, const void *runner,
				   const char *const vals[JL_MAX])
{
	struct jl_series *s;
	char key[sizeof(s->key)];
	size_t off = sizeof(runner);

	memset(key, 0, sizeof(key));
	memcpy(key, &runner, sizeof(runner));
	for (int l = 0; l < JL_MAX; l++) {
		size_t n = strnlen(vals[l], NAME_LEN - 1);

		memcpy(key + off, vals[l], n);
		off += n + 1;
	}
	HASH_FIND(hh, jl->series, key, off, s);
	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	memcpy(s->key, key, off);
	s->runner = runner;
	/* interned values outlive every series: the seen sets only grow */
	for (int l = 0; l < JL_MAX; l++)
		s->vals[l] = vals[l];
	HASH_ADD(hh, jl->series, key, off, s);
	return s;
}

void joblabels_drop(struct joblabels *jl, const void *runner)
{
	struct jl_series *s, *st;

	HASH_ITER(hh, jl->series, s, st) {
		if (s->runner == runner) {
			HASH_DEL(jl->series, s);
			free(s);
		}
	}
}
