/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A state_store_ops in memory for the unit tests: the state's counters without the pinned
 * maps, and a daemon killed after its nth write (writes_left).
 */
#ifndef RS_TEST_MEM_STORE_H
#define RS_TEST_MEM_STORE_H

#include <errno.h>
#include <string.h>
#include "state/state.h"

/* a table of the store: at most MEM_ENTRIES keys, in the order they were first written */
#define MEM_ENTRIES 16
struct mem_table {
	size_t ksize, vsize;
	int used[MEM_ENTRIES];
	unsigned char key[MEM_ENTRIES][sizeof(struct rs_runner_key)];
	unsigned char val[MEM_ENTRIES][sizeof(struct rs_runner_stats)];
};

struct mem_store {
	struct mem_table t[STATE_TABLES];
	/* writes still to be made; those after are lost, as a daemon killed then loses them.
	 * Negative: no limit */
	int writes_left;
	int writes;
};

static int find(struct mem_table *t, const void *key)
{
	for (int i = 0; i < MEM_ENTRIES; i++)
		if (t->used[i] && !memcmp(t->key[i], key, t->ksize))
			return i;
	return -1;
}

static int mem_lookup(void *ctx, enum state_table tt, const void *key, void *val)
{
	struct mem_table *t = &((struct mem_store *)ctx)->t[tt];
	int i = find(t, key);

	if (i < 0)
		return -ENOENT;
	memcpy(val, t->val[i], t->vsize);
	return 0;
}

static int mem_update(void *ctx, enum state_table tt, const void *key, const void *val)
{
	struct mem_store *m = ctx;
	struct mem_table *t = &m->t[tt];
	int i = find(t, key);

	m->writes++;
	if (m->writes_left == 0)
		return 0;
	if (m->writes_left > 0)
		m->writes_left--;
	for (int j = 0; i < 0 && j < MEM_ENTRIES; j++)
		if (!t->used[j])
			i = j;
	if (i < 0)
		return -E2BIG;
	t->used[i] = 1;
	memcpy(t->key[i], key, t->ksize);
	memcpy(t->val[i], val, t->vsize);
	return 0;
}

static int mem_remove(void *ctx, enum state_table tt, const void *key)
{
	struct mem_store *m = ctx;
	struct mem_table *t = &m->t[tt];
	int i = find(t, key);

	if (m->writes_left == 0)
		return 0;
	if (i < 0)
		return -ENOENT;
	t->used[i] = 0;
	return 0;
}

/* as a BPF hash map: an unknown key gives the first */
static int mem_next_key(void *ctx, enum state_table tt, const void *key, void *next)
{
	struct mem_table *t = &((struct mem_store *)ctx)->t[tt];
	int i = key ? find(t, key) + 1 : 0;

	for (; i < MEM_ENTRIES; i++)
		if (t->used[i]) {
			memcpy(next, t->key[i], t->ksize);
			return 0;
		}
	return -ENOENT;
}

static const struct state_store_ops mem_ops = { mem_lookup, mem_update, mem_remove,
						mem_next_key };

static void mem_init(struct mem_store *m)
{
	static const size_t k[STATE_TABLES] = {
		[STATE_RUNNER_STATS] = sizeof(struct rs_runner_key), [STATE_JOB_ACCT] = 16,
		[STATE_AGENT_ACCT] = 16, [STATE_JOBS] = 16, [STATE_AGENTS] = 16, [STATE_CTX] = 16,
	};
	static const size_t v[STATE_TABLES] = {
		[STATE_RUNNER_STATS] = sizeof(struct rs_runner_stats),
		[STATE_JOB_ACCT] = sizeof(struct rs_job_acct),
		[STATE_AGENT_ACCT] = sizeof(struct rs_runner_key),
		[STATE_JOBS] = sizeof(struct rs_job),
		[STATE_AGENTS] = sizeof(struct rs_agent),
		[STATE_CTX] = sizeof(__u32),
	};

	memset(m, 0, sizeof(*m));
	m->writes_left = -1;
	for (int i = 0; i < STATE_TABLES; i++) {
		m->t[i].ksize = k[i];
		m->t[i].vsize = v[i];
	}
}

#endif
