// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The table of CI systems, and what the rest of the daemon asks of them through it. */
#include <pthread.h>
#include <string.h>
#include "ci/kinds/kinds.h"

static const struct kind_ops *const table[KIND_COUNT] = {
	[KIND_GITHUB] = &kind_github,	    [KIND_GITEA] = &kind_gitea,
	[KIND_GITLAB] = &kind_gitlab,	    [KIND_BUILDKITE] = &kind_buildkite,
	[KIND_FORGEJO] = &kind_forgejo,
};
#define TABLE_LEN KIND_COUNT
_Static_assert(KIND_COUNT <= KINDS_MAX, "KINDS_MAX");

/* the order kinds__classify() and kinds__mark() ask them in: a fork before the kind it was
 * forked from (its processes carry both's variables); a label that names a job before marks
 * that only a runner's containers carry */
static const struct kind_ops *const claim_order[] = {
	&kind_gitlab, &kind_forgejo, &kind_gitea, &kind_buildkite, &kind_github,
};
_Static_assert(sizeof(claim_order) / sizeof(claim_order[0]) == TABLE_LEN - 1, "claim_order");

const struct kind_ops *kinds__get(int kind)
{
	return kind > KIND_NONE && kind < TABLE_LEN ? table[kind] : NULL;
}

int kinds_count(void)
{
	return TABLE_LEN;
}

const char *kinds__name(int kind)
{
	const struct kind_ops *k = kinds__get(kind);

	return k ? k->name : "unknown";
}

int kinds__by_name(const char *name)
{
	for (int i = 1; i < TABLE_LEN; i++)
		if (!strcmp(table[i]->name, name))
			return i;
	return KIND_NONE;
}

static int kind_of(const struct kind_ops *k)
{
	for (int i = 1; i < TABLE_LEN; i++)
		if (table[i] == k)
			return i;
	return KIND_NONE;
}

int kinds__has(int kind, enum kind_trait t)
{
	const struct kind_ops *k = kinds__get(kind);

	return k && (k->traits & t);
}

__u32 kinds__with(enum kind_trait t)
{
	__u32 mask = 0;

	for (int i = 1; i < TABLE_LEN; i++)
		if (table[i]->traits & t)
			mask |= 1U << i;
	return mask;
}

static const char *keys[KINDS_KEYS_MAX + 1];
static int n_keys, n_env_keys;
static pthread_once_t keys_once = PTHREAD_ONCE_INIT;

static int key_index(const char *key)
{
	for (int i = 0; i < n_keys; i++)
		if (!strcmp(keys[i], key))
			return i;
	return -1;
}

/* environment variables first (no ':' in their names), each key once */
static void keys_init(void)
{
	for (int env = 1; env >= 0; env--)
		for (int i = 1; i < TABLE_LEN; i++)
			for (const char *const *k = table[i]->keys; k && *k; k++)
				if ((strchr(*k, ':') == NULL) == env && key_index(*k) < 0 &&
				    n_keys < KINDS_KEYS_MAX) {
					keys[n_keys++] = *k;
					n_env_keys += env;
				}
}

const char *const *kinds__keys(int *n, int *n_env)
{
	pthread_once(&keys_once, keys_init);
	*n = n_keys;
	if (n_env)
		*n_env = n_env_keys;
	return keys;
}

struct kind_vals kinds__vals(const char *const *vals)
{
	pthread_once(&keys_once, keys_init);
	return (struct kind_vals){ keys, vals, vals ? n_keys : 0 };
}

int kinds__classify(const char *ctr_name, const struct kind_vals *v, struct job_hint *out)
{
	int known = 0;

	if (ctr_name && !ctr_name[0])
		ctr_name = NULL;
	for (size_t i = 0; i < sizeof(claim_order) / sizeof(claim_order[0]); i++) {
		const struct kind_ops *k = claim_order[i];
		int r;

		if (!k->classify)
			continue;
		memset(out, 0, sizeof(*out));
		r = k->classify(ctr_name, v, out);
		if (r > 0) {
			out->kind = kind_of(k);
			return 1;
		}
		known |= r < 0;
	}
	memset(out, 0, sizeof(*out));
	return known ? -1 : 0;
}

int kinds__mark(const char *pod, const struct kind_vals *v, struct job_mark *out)
{
	for (size_t i = 0; i < sizeof(claim_order) / sizeof(claim_order[0]); i++) {
		const struct kind_ops *k = claim_order[i];

		memset(out, 0, sizeof(*out));
		if (k->mark && k->mark(pod, v, out)) {
			out->kind = kind_of(k);
			return 1;
		}
	}
	memset(out, 0, sizeof(*out));
	return 0;
}

int kinds__marks_job(const struct job_mark *m, const struct kind_runner *r, const char *track)
{
	const struct kind_ops *k = kinds__get(m->kind);

	return k && k->marks_job && k->marks_job(m, r, track ? track : "");
}

int kinds__tag_eq(int kind, const char *runner_tag, const char *job_tag)
{
	const struct kind_ops *k = kinds__get(kind);

	if (!runner_tag[0] || !job_tag[0])
		return 0;
	return k && k->tag_eq ? k->tag_eq(runner_tag, job_tag) : !strcmp(runner_tag, job_tag);
}

const char *kinds__role(int kind, const struct job_hint *h, const char *ctr_name,
			const struct kind_vals *v)
{
	const struct kind_ops *k = kinds__get(kind);

	return k && k->role ? k->role(h, ctr_name, v) : "step";
}
