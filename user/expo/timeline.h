/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What ran when, for the status page's timeline: the finished jobs of the last day, kept in a
 * ring bounded by count, age and bytes, fed by the state's finished-job callback; and a view
 * of one window of it (with the running jobs the page adds): rows by runner, each runner's
 * busy fraction, the busy ones first, the rest folded.
 */
#ifndef RUNNERSCOPE_TIMELINE_H
#define RUNNERSCOPE_TIMELINE_H

#include <stddef.h>
#include <stdint.h>
#include <uthash.h>
#include "ci/context.h"
#include "lib/utf8.h"

/* the bounds: whichever is reached first drops the oldest jobs */
#define TIMELINE_JOBS 10000
#define TIMELINE_KEEP_NS (24ULL * 3600 * 1000000000ULL)
#define TIMELINE_BYTES (4U << 20)

#define TIMELINE_RUNNING (-1) /* timeline_job.result of a job still running */

/*
 * One job as the timeline keeps it: its figures, then its names packed after it (the runner
 * first), so that a job costs what its names take and no more.
 */
struct timeline_job {
	uint64_t start_ns; /* CLOCK_BOOTTIME */
	uint64_t end_ns; /* CLOCK_BOOTTIME; a running job's: when the page was begun */
	uint64_t cpu_ns; /* user + system; a running job's: so far */
	uint64_t max_rss; /* bytes; 0: not known (a running job) */
	uint32_t oom_kills;
	uint32_t pid;
	int32_t exit_code; /* wait status */
	int16_t result; /* enum job_result, or TIMELINE_RUNNING */
	uint8_t kind;
	uint8_t have_ctx;
	uint16_t o_group, o_repository, o_workflow, o_job; /* offsets into s */
	uint16_t len; /* bytes of s */
	char s[];
};

static inline const char *timeline_job_runner(const struct timeline_job *j)
{
	return j->s;
}

static inline const char *timeline_job_group(const struct timeline_job *j)
{
	return j->s + j->o_group;
}

static inline const char *timeline_job_repository(const struct timeline_job *j)
{
	return j->s + j->o_repository;
}

static inline const char *timeline_job_workflow(const struct timeline_job *j)
{
	return j->s + j->o_workflow;
}

static inline const char *timeline_job_name(const struct timeline_job *j)
{
	return j->s + j->o_job;
}

/* what a timeline_job is made from: a finished job's record, or a running job of the state */
struct timeline_src {
	int kind;
	const char *runner;
	const char *group; /* its container or pod: timeline_group() */
	const struct job_context *ctx; /* NULL: not known */
	uint32_t pid;
	uint64_t start_ns, end_ns, cpu_ns, max_rss;
	uint64_t oom_kills;
	int exit_code;
	int result; /* enum job_result, or TIMELINE_RUNNING */
};

/* NULL with errno set; free() frees it */
struct timeline_job *timeline_job_new(const struct timeline_src *src);
/* the bytes a job takes in the timeline (its allocation, as counted against TIMELINE_BYTES) */
size_t timeline_job_size(const struct timeline_job *j);

/* the name of a runner's container or pod as the page shows it: "ns/pod", the container's
 * name, its id's first 12 characters, or "(host)" */
const char *timeline_group(char *out, size_t sz, const char *pod, const char *ns,
			   const char *name, const char *id);

struct timeline;
struct job_record;

struct timeline_opts {
	unsigned int max_jobs; /* 0: TIMELINE_JOBS */
	uint64_t keep_ns; /* 0: TIMELINE_KEEP_NS */
	size_t max_bytes; /* 0: TIMELINE_BYTES */
};

/* opts NULL: the defaults. NULL with errno set */
struct timeline *timeline__new(const struct timeline_opts *opts);
void timeline__free(struct timeline *t);
/* keeps a finished job (a started one is ignored, and one kept already: the same runner, pid
 * and start, job_same_start()); drops the oldest past the bounds */
void timeline_add(struct timeline *t, const struct job_record *r);
/* timeline_add() as the state's subscriber (state_opts.on_job), the timeline being ctx */
void timeline__on_job(void *ctx, const struct job_record *r);

/* the jobs are read between these: the ring does not change meanwhile */
void timeline_lock(struct timeline *t);
void timeline_unlock(struct timeline *t);
/* under the lock: the i-th kept job, the oldest first; NULL past the last */
const struct timeline_job *timeline_job_at(const struct timeline *t, unsigned int i);

struct timeline_stats {
	unsigned int jobs;
	size_t bytes; /* the jobs' allocations and the ring */
	/* the newest end of a job dropped for the count or the bytes (not its age): the timeline
	 * has nothing before this; 0 when none was */
	uint64_t dropped_end_ns;
	uint64_t dropped; /* jobs dropped for any bound */
};
void timeline_stats(struct timeline *t, struct timeline_stats *out);

/* ---- a view: one window of jobs, in rows by runner ---- */

enum timeline_class {
	TIMELINE_CLASS_RUNNING, /* a job runs on it now */
	TIMELINE_CLASS_ACTIVE, /* it ran jobs in the window */
	TIMELINE_CLASS_IDLE, /* none: folded into one line */
};

struct timeline_row {
	UT_hash_handle hh;
	char key[NAME_LEN + 16]; /* "<kind>/<runner>" */
	int kind;
	char runner[NAME_LEN];
	char group[2 * NAME_LEN + 2];
	int id; /* in order of adding */
	int running; /* jobs running on it now */
	int first, n; /* its jobs: items[first .. first + n) */
	uint64_t busy_ns; /* the union of its jobs' intervals within the window */
	enum timeline_class cls;
	double gbusy; /* the busiest of its group (in its class): what orders the groups */
};

struct timeline_item {
	const struct timeline_job *job;
	struct timeline_row *row;
	int drawn; /* 0: past max_bars, counted but not drawn */
};

struct timeline_view_opts {
	uint64_t w0, w1; /* the window, CLOCK_BOOTTIME */
	int max_rows; /* rows drawn; the other active runners are folded (listed) */
	int max_bars; /* bars drawn; the oldest beyond are counted, not drawn */
};

struct timeline_view {
	struct timeline_view_opts o;
	struct timeline_row *hash;
	struct timeline_row **rows; /* in order, after timeline_view_finish() */
	int nrows, rows_cap;
	int shown; /* rows[0 .. shown) are drawn */
	int active; /* rows[shown .. active) are active but folded; [active .. nrows) idle */
	struct timeline_item *items;
	int nitems, items_cap;
	int undrawn; /* jobs of drawn rows in the window not drawn (max_bars) */
	struct timeline_job **owned; /* the running jobs' */
	int nowned, owned_cap;
	int oom;
};

void timeline_view_init(struct timeline_view *v, const struct timeline_view_opts *o);
void timeline_view_free(struct timeline_view *v);
/* a runner the state knows (running: its jobs running now): it has a row, jobs or none */
void timeline_view_runner(struct timeline_view *v, int kind, const char *runner, const char *group,
			  int running);
/* a job: in the view when it overlaps the window (a runner not seen yet gets a row) */
void timeline_view_job(struct timeline_view *v, const struct timeline_job *j);
/* as timeline_view_job(), and the view frees j */
void timeline_view_job_owned(struct timeline_view *v, struct timeline_job *j);
/* every finished job of the timeline, under its lock: the view points at them, so the lock
 * is held until the view is done with */
void timeline_view_timeline(struct timeline_view *v, const struct timeline *t);
/* busy fractions, classes, order, folding, the bars drawn */
void timeline_view_finish(struct timeline_view *v);

/* [start, end] within [w0, w1] as *a, *b: 0, or -1 when they do not meet */
int timeline_clip(uint64_t start, uint64_t end, uint64_t w0, uint64_t w1, uint64_t *a, uint64_t *b);
/* the time within [w0, w1] covered by any of the n intervals (starts ascending) */
uint64_t timeline_busy_ns(const uint64_t (*spans)[2], int n, uint64_t w0, uint64_t w1);

#endif
