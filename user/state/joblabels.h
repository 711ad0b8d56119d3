/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --metrics.job-labels: job context (repository, workflow, job) as labels on the job counters,
 * with at most --metrics.job-labels-limit distinct values per label; later values become
 * "other". Counts by label value are kept for the jobs this daemon saw start and finish.
 */
#ifndef RUNNERSCOPE_JOBLABELS_H
#define RUNNERSCOPE_JOBLABELS_H

#include <stdint.h>
#include <uthash.h>
#include "ci/detect.h"
#include "ci/identity.h"

enum jl_label {
	JL_REPOSITORY,
	JL_WORKFLOW,
	JL_JOB,
	JL_MAX,
};

extern const char *const jl_names[JL_MAX];

/* one combination of label values of one runner, and its counts */
struct jl_series {
	UT_hash_handle hh;
	char key[8 + JL_MAX * NAME_LEN]; /* runner pointer and values, for the hash */
	const void *runner;
	const char *vals[JL_MAX]; /* interned: "" (unknown), a kept value or "other" */
	uint64_t started;
	uint64_t finished[RESULT_MAX];
};

struct jl_value {
	UT_hash_handle hh;
	char v[]; /* NUL-terminated */
};

struct joblabels {
	unsigned int mask; /* 1 << JL_* of the labels asked for; 0: off */
	unsigned int limit;
	struct jl_value *seen[JL_MAX];
	unsigned int nseen[JL_MAX];
	struct jl_series *series;
};

/* "repository,workflow": 0 and *mask set; -EINVAL with *bad pointing at an unknown name */
int joblabels__parse(const char *list, unsigned int *mask, const char **bad);

void joblabels__init(struct joblabels *jl, unsigned int mask, unsigned int limit);
void joblabels__free(struct joblabels *jl);

/* the value exported for v of label l: v itself while under the limit, else "other" */
const char *joblabels_value(struct joblabels *jl, enum jl_label l, const char *v);

/* the counts of a runner's jobs with these values (unwanted labels are ""); NULL if out of
 * memory */
struct jl_series *joblabels_series(struct joblabels *jl, const void *runner,
				   const char *const vals[JL_MAX]);

/* a runner is gone: so are its series */
void joblabels_drop(struct joblabels *jl, const void *runner);

#endif
