// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Runners, their jobs, and with --metrics.job-labels the jobs' labels: one series a runner */
#include <stddef.h>
#include <stdint.h>
#include "lib/clock.h"
#include "ci/detect.h"
#include "ci/kinds/kinds.h"
#include "expo/collect.h"
#include "state/state.h"

#define NS "runnerscope_"

/* one sample per runner, labelled kind and runner; *present = 0 leaves it out */
struct runner_series {
	const char *name;
	const char *type;
	const char *help;
	double (*value)(struct runner *r, int *present);
};

static double runner_up(struct runner *r, int *present)
{
	(void)present;
	return r->agents > 0;
}

static double runner_start(struct runner *r, int *present)
{
	*present = r->start_ns != 0;
	return clock_boot_to_wall(r->start_ns);
}

static double jobs_running(struct runner *r, int *present)
{
	(void)present;
	return r->jobs_running;
}

static double job_start(struct runner *r, int *present)
{
	*present = r->oldest_job_ns != 0;
	return clock_boot_to_wall(r->oldest_job_ns);
}

static double jobs_started(struct runner *r, int *present)
{
	(void)present;
	return (double)r->st.jobs_started;
}

static double job_oom_kills(struct runner *r, int *present)
{
	(void)present;
	return (double)r->st.oom_kills;
}

static double job_procs(struct runner *r, int *present)
{
	(void)present;
	return (double)r->job_procs;
}

static double job_rss(struct runner *r, int *present)
{
	(void)present;
	return (double)r->job_rss;
}

static double busy_seconds(struct runner *r, int *present)
{
	(void)present;
	return (double)r->st.busy_ns / 1e9;
}

static double capacity(struct runner *r, int *present)
{
	*present = r->capacity > 0;
	return r->capacity;
}

static double ctx_missing(struct runner *r, int *present)
{
	*present = 1;
	return (double)r->st.ctx_missing;
}

/* absent until a job's containers' files told it: never 0 where the kernel does not */
static double throttled(struct runner *r, int *present)
{
	*present = !!(r->st.stall_have & RS_STALL_THROTTLE);
	return (double)r->st.cpu_throttled_ns / 1e9;
}

static double mem_stall(struct runner *r, int *present)
{
	*present = !!(r->st.stall_have & RS_STALL_MEMORY);
	return (double)r->st.mem_stall_ns / 1e9;
}

/* its work filesystem, as the last pass (or a job's end) read it; absent when it could not */
static double fs_size(struct runner *r, int *present)
{
	*present = r->have_fs;
	return (double)r->fs.size_bytes;
}

static double fs_avail(struct runner *r, int *present)
{
	*present = r->have_fs;
	return (double)r->fs.avail_bytes;
}

/* no inode count at all (btrfs says 0 of 0) is no series, not a full filesystem */
static double fs_files(struct runner *r, int *present)
{
	*present = r->have_fs && r->fs.files;
	return (double)r->fs.files;
}

static double fs_files_free(struct runner *r, int *present)
{
	*present = r->have_fs && r->fs.files;
	return (double)r->fs.files_free;
}

static const struct runner_series runner_series[] = {
	{ NS "runner_up", "gauge",
	  "1 while the runner's agent process runs; 0 for a grace period after it exits.", runner_up },
	{ NS "runner_start_time_seconds", "gauge",
	  "Start time of the runner's agent process, seconds since the epoch.", runner_start },
	{ NS "jobs_running", "gauge", "Jobs the runner is running now.", jobs_running },
	{ NS "job_start_time_seconds", "gauge",
	  "Start time of the runner's running job (the oldest, if several), seconds since the "
	  "epoch.",
	  job_start },
	{ NS "runner_busy_seconds_total", "counter",
	  "Time the runner had at least one job running, from its jobs' start and end, up to "
	  "the last pass.",
	  busy_seconds },
	{ NS "runner_capacity", "gauge",
	  "Jobs the runner may run at once, as its configuration says.", capacity },
	{ NS "jobs_started_total", "counter", "Jobs the runner started.", jobs_started },
	{ NS "job_oom_kills_total", "counter",
	  "Processes of the runner's jobs the OOM killer chose.", job_oom_kills },
	{ NS "job_processes", "gauge",
	  "Live processes of the runner's jobs, including ones left running after their job ended.",
	  job_procs },
	{ NS "job_resident_memory_bytes", "gauge",
	  "Memory resident now in the live processes of the runner's jobs.", job_rss },
	{ NS "job_context_missing_total", "counter",
	  "Finished jobs of the runner whose context (repository, workflow, job) the "
	  "environment of none of their processes gave.",
	  ctx_missing },
	{ NS "job_cpu_throttled_seconds_total", "counter",
	  "Time the CPU quota (CFS bandwidth) of the containers of the runner's jobs held them "
	  "back, from their cgroups' cpu.stat, added at each job's end.",
	  throttled },
	{ NS "job_memory_stall_seconds_total", "counter",
	  "Time some task of the containers of the runner's jobs stalled on memory, from their "
	  "cgroups' memory.pressure (PSI some), added at each job's end.",
	  mem_stall },
	{ NS "runner_filesystem_size_bytes", "gauge",
	  "Size of the filesystem of the runner's work folder, as the runner sees it.", fs_size },
	{ NS "runner_filesystem_avail_bytes", "gauge",
	  "Bytes free to the runner's jobs on the filesystem of its work folder.", fs_avail },
	{ NS "runner_filesystem_files", "gauge",
	  "Inodes of the filesystem of the runner's work folder.", fs_files },
	{ NS "runner_filesystem_files_free", "gauge",
	  "Free inodes on the filesystem of the runner's work folder.", fs_files_free },
};

/* a histogram over the bucket counts kept in the pinned counters; store holds the counts */
static struct histogram view(const double *bounds, int nbuckets, const __u64 *buckets,
			     double sum, uint64_t *store)
{
	struct histogram h = { bounds, nbuckets - 1, store, sum, 0 };

	for (int i = 0; i < nbuckets; i++) {
		store[i] = buckets[i];
		h.count += buckets[i];
	}
	return h;
}

/*
 * With --metrics.job-labels: jobs_started_total (result -1) or jobs_finished_total for one
 * result, one series per runner and label values; the counts from before this daemon started
 * have empty values, so each runner's series still add up to its counter.
 */
static void render_labelled(struct buf *b, struct state *s, int result)
{
	struct joblabels *jl = state__labels(s);
	const char *name = result < 0 ? NS "jobs_started_total" : NS "jobs_finished_total";
	struct jl_series *x;

	for (x = jl->series; x; x = x->hh.next) {
		const struct runner *r = x->runner;
		struct label l[3 + JL_MAX] = { { "kind", kinds__name(r->kind) },
					      { "runner", r->name } };
		int n = 2;

		if (result >= 0)
			l[n++] = (struct label){ "result", detect__result_name(result) };
		for (int k = 0; k < JL_MAX; k++)
			if (jl->mask & (1u << k))
				l[n++] = (struct label){ jl_names[k], x->vals[k] };
		expo_sample(b, name, l, n,
			    (double)(result < 0 ? x->started : x->finished[result]));
	}
}

static void render_runners(struct buf *b, struct state *s)
{
	struct runner *r;

	expo_family(b, NS "runner_info", "gauge",
		    "Runner agents and where they run; 1 for every runner known.");
	for (r = state__runners(s); r; r = r->hh.next) {
		struct label l[] = {
			{ "kind", kinds__name(r->kind) },
			{ "runner", r->name },
			{ "container_id", r->ctr.id },
			{ "container", r->names.name },
			{ "pod", r->names.pod },
			{ "namespace", r->names.ns },
			{ "version", r->version },
		};
		expo_sample(b, NS "runner_info", l, 7, 1);
	}
	for (size_t i = 0; i < sizeof(runner_series) / sizeof(runner_series[0]); i++) {
		const struct runner_series *rs = &runner_series[i];

		expo_family(b, rs->name, rs->type, rs->help);
		if (rs->value == jobs_started && state__labels(s)) {
			render_labelled(b, s, -1);
			continue;
		}
		for (r = state__runners(s); r; r = r->hh.next) {
			struct label l[] = { { "kind", kinds__name(r->kind) },
					     { "runner", r->name } };
			int present = 1;
			double v = rs->value(r, &present);

			if (present)
				expo_sample(b, rs->name, l, 2, v);
		}
	}
	expo_family(b, NS "jobs_finished_total", "counter", "Jobs the runner finished, by result.");
	for (int i = 0; state__labels(s) && i < RESULT_MAX; i++)
		render_labelled(b, s, i);
	for (r = state__labels(s) ? NULL : state__runners(s); r; r = r->hh.next) {
		for (int i = 0; i < RESULT_MAX; i++) {
			struct label l[] = { { "kind", kinds__name(r->kind) },
					     { "runner", r->name },
					     { "result", detect__result_name(i) } };
			expo_sample(b, NS "jobs_finished_total", l, 3, (double)r->st.jobs_finished[i]);
		}
	}
	expo_family(b, NS "job_cpu_seconds_total", "counter",
		    "CPU time of the processes of the runner's jobs: exited ones at their exit, "
		    "running ones so far.");
	for (r = state__runners(s); r; r = r->hh.next) {
		struct label lu[] = { { "kind", kinds__name(r->kind) },
				      { "runner", r->name },
				      { "mode", "user" } };
		struct label ls[] = { { "kind", kinds__name(r->kind) },
				      { "runner", r->name },
				      { "mode", "system" } };

		expo_sample(b, NS "job_cpu_seconds_total", lu, 3, (double)r->st.cpu_user_ns / 1e9);
		expo_sample(b, NS "job_cpu_seconds_total", ls, 3, (double)r->st.cpu_system_ns / 1e9);
	}
	if (state__cpu_wait(s)) {
		expo_family(b, NS "job_cpu_wait_seconds_total", "counter",
			    "Time the threads of the runner's jobs were runnable but waiting for a "
			    "CPU (the scheduler's run delay): exited ones at their exit, running "
			    "ones so far.");
		for (r = state__runners(s); r; r = r->hh.next) {
			struct label l[] = { { "kind", kinds__name(r->kind) },
					     { "runner", r->name } };

			expo_sample(b, NS "job_cpu_wait_seconds_total", l, 2,
				    (double)r->st.cpu_wait_ns / 1e9);
		}
	}
	expo_family(b, NS "job_failures_total", "counter",
		    "Finished jobs of the runner that did not succeed, by why.");
	for (r = state__runners(s); r; r = r->hh.next) {
		for (int i = 0; i < REASON_MAX; i++) {
			struct label l[] = { { "kind", kinds__name(r->kind) },
					     { "runner", r->name },
					     { "reason", detect__reason_name((enum job_reason)i) } };
			expo_sample(b, NS "job_failures_total", l, 3, (double)r->st.failures[i]);
		}
	}
	expo_family(b, NS "job_io_bytes_total", "counter",
		    "Bytes the processes of the runner's jobs read from and wrote to storage: "
		    "exited ones at their exit, running ones so far.");
	for (r = state__runners(s); r; r = r->hh.next) {
		struct label lr[] = { { "kind", kinds__name(r->kind) },
				      { "runner", r->name },
				      { "direction", "read" } };
		struct label lw[] = { { "kind", kinds__name(r->kind) },
				      { "runner", r->name },
				      { "direction", "write" } };

		expo_sample(b, NS "job_io_bytes_total", lr, 3, (double)r->st.io_read_bytes);
		expo_sample(b, NS "job_io_bytes_total", lw, 3, (double)r->st.io_write_bytes);
	}
	expo_family(b, NS "job_max_rss_bytes", "histogram",
		    "Per finished job, the largest peak resident set size among its processes.");
	for (r = state__runners(s); r; r = r->hh.next) {
		struct label l[] = { { "kind", kinds__name(r->kind) }, { "runner", r->name } };
		uint64_t counts[RS_RSS_BUCKETS];
		struct histogram h = view(state_rss_bounds, RS_RSS_BUCKETS, r->st.max_rss_buckets,
					  (double)r->st.max_rss_sum, counts);

		if (h.count)
			expo_histogram(b, NS "job_max_rss_bytes", l, 2, &h);
	}
	expo_family(b, NS "job_duration_seconds", "histogram",
		    "Duration of finished jobs, from the job process's exec to its exit.");
	for (r = state__runners(s); r; r = r->hh.next) {
		for (int i = 0; i < RESULT_MAX; i++) {
			struct label l[] = { { "kind", kinds__name(r->kind) },
					     { "runner", r->name },
					     { "result", detect__result_name(i) } };
			uint64_t counts[RS_DURATION_BUCKETS];
			struct histogram h = view(state_duration_bounds, RS_DURATION_BUCKETS,
						  r->st.duration_buckets[i],
						  (double)r->st.duration_ns_sum[i] / 1e9, counts);

			if (h.count)
				expo_histogram(b, NS "job_duration_seconds", l, 3, &h);
		}
	}
}

void collect_runners(struct buf *b, struct state *s)
{
	if (!s)
		return;
	state__lock(s);
	render_runners(b, s);
	state__unlock(s);
}
