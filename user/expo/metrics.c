// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <bpf/libbpf.h>
#include "lib/clock.h"
#include "expo/metrics.h"
#include "enrich/containers.h"
#include "ci/detect.h"
#include "expo/eventlog.h"
#include "kernel/probes.h"
#include "enrich/procfs.h"
#include "state/state.h"

#define NS "runnerscope_"

/* one sample per runner, labelled kind and runner; *present = 0 leaves it out */
struct runner_series {
	const char *name;
	const char *type;
	const char *help;
	double (*value)(const struct runner *r, int *present);
};

static double runner_up(const struct runner *r, int *present)
{
	(void)present;
	return r->agents > 0;
}

static double runner_start(const struct runner *r, int *present)
{
	*present = r->start_ns != 0;
	return clock_boot_to_wall(r->start_ns);
}

static double jobs_running(const struct runner *r, int *present)
{
	(void)present;
	return r->jobs_running;
}

static double job_start(const struct runner *r, int *present)
{
	*present = r->oldest_job_ns != 0;
	return clock_boot_to_wall(r->oldest_job_ns);
}

static double jobs_started(const struct runner *r, int *present)
{
	(void)present;
	return (double)r->st.jobs_started;
}

static double job_oom_kills(const struct runner *r, int *present)
{
	(void)present;
	return (double)r->st.oom_kills;
}

static double job_procs(const struct runner *r, int *present)
{
	(void)present;
	return (double)r->job_procs;
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
	{ NS "jobs_started_total", "counter", "Jobs the runner started.", jobs_started },
	{ NS "job_oom_kills_total", "counter",
	  "Processes of the runner's jobs the OOM killer chose.", job_oom_kills },
	{ NS "job_processes", "gauge",
	  "Live processes of the runner's jobs, including ones left running after their job ended.",
	  job_procs },
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
		struct label l[3 + JL_MAX] = { { "kind", detect_kind_name(r->kind) },
					      { "runner", r->name } };
		int n = 2;

		if (result >= 0)
			l[n++] = (struct label){ "result", detect_result_name(result) };
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
			{ "kind", detect_kind_name(r->kind) },
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
			struct label l[] = { { "kind", detect_kind_name(r->kind) },
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
			struct label l[] = { { "kind", detect_kind_name(r->kind) },
					     { "runner", r->name },
					     { "result", detect_result_name(i) } };
			expo_sample(b, NS "jobs_finished_total", l, 3, (double)r->st.jobs_finished[i]);
		}
	}
	expo_family(b, NS "job_cpu_seconds_total", "counter",
		    "CPU time of the processes of the runner's jobs: exited ones at their exit, "
		    "running ones so far.");
	for (r = state__runners(s); r; r = r->hh.next) {
		struct label lu[] = { { "kind", detect_kind_name(r->kind) },
				      { "runner", r->name },
				      { "mode", "user" } };
		struct label ls[] = { { "kind", detect_kind_name(r->kind) },
				      { "runner", r->name },
				      { "mode", "system" } };

		expo_sample(b, NS "job_cpu_seconds_total", lu, 3, (double)r->st.cpu_user_ns / 1e9);
		expo_sample(b, NS "job_cpu_seconds_total", ls, 3, (double)r->st.cpu_system_ns / 1e9);
	}
	expo_family(b, NS "job_max_rss_bytes", "histogram",
		    "Per finished job, the largest peak resident set size among its processes.");
	for (r = state__runners(s); r; r = r->hh.next) {
		struct label l[] = { { "kind", detect_kind_name(r->kind) }, { "runner", r->name } };
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
			struct label l[] = { { "kind", detect_kind_name(r->kind) },
					     { "runner", r->name },
					     { "result", detect_result_name(i) } };
			uint64_t counts[RS_DURATION_BUCKETS];
			struct histogram h = view(state_duration_bounds, RS_DURATION_BUCKETS,
						  r->st.duration_buckets[i],
						  (double)r->st.duration_ns_sum[i] / 1e9, counts);

			if (h.count)
				expo_histogram(b, NS "job_duration_seconds", l, 3, &h);
		}
	}
}

/* one sample per container that has the stats behind `bit` */
#define FOR_CONTAINERS(bit) \
	for (x = containers__list(c); x; x = x->hh.next) \
		if (x->stats.have & (bit))

static void render_containers(struct buf *b, struct containers *c)
{
	static const char *const psi_names[CG_PSI_RES_MAX] = { "cpu", "memory", "io" };
	static const unsigned int psi_bits[CG_PSI_RES_MAX] = { CG_PSI_CPU, CG_PSI_MEMORY,
							       CG_PSI_IO };
	struct container *x;

	containers__lock(c);
	expo_family(b, NS "container_info", "gauge",
		    "Containers hosting runners (or every container, with --containers=all).");
	for (x = containers__list(c); x; x = x->hh.next) {
		struct label l[] = {
			{ "container_id", x->id },
			{ "container", x->names.name },
			{ "pod", x->names.pod },
			{ "namespace", x->names.ns },
			{ "runtime", cgroup_runtime_name(x->runtime) },
			{ "kind", x->kind ? detect_kind_name(x->kind) : "" },
			{ "runner", x->runner },
		};
		expo_sample(b, NS "container_info", l, 7, 1);
	}
	expo_family(b, NS "container_cpu_seconds_total", "counter",
		    "CPU time of the container's cgroup, by mode.");
	FOR_CONTAINERS(CG_CPU) {
		struct label lu[] = { { "container_id", x->id }, { "mode", "user" } };
		struct label ls[] = { { "container_id", x->id }, { "mode", "system" } };

		expo_sample(b, NS "container_cpu_seconds_total", lu, 2, (double)x->cpu_user_ns / 1e9);
		expo_sample(b, NS "container_cpu_seconds_total", ls, 2,
			    (double)x->cpu_system_ns / 1e9);
	}
	struct {
		const char *name, *type, *help;
		unsigned int bit;
		size_t off;
		double scale;
	} const gauges[] = {
		{ NS "container_memory_usage_bytes", "gauge", "Memory charged to the container.",
		  CG_MEMORY, offsetof(struct container_stats, mem_usage), 1 },
		{ NS "container_memory_working_set_bytes", "gauge",
		  "Memory usage less inactive file cache.", CG_MEMORY,
		  offsetof(struct container_stats, mem_working_set), 1 },
		{ NS "container_memory_rss_bytes", "gauge", "Anonymous memory of the container.",
		  CG_MEMORY, offsetof(struct container_stats, mem_rss), 1 },
		{ NS "container_memory_limit_bytes", "gauge",
		  "The container's memory limit; absent when unlimited.", CG_LIMIT,
		  offsetof(struct container_stats, mem_limit), 1 },
		{ NS "container_oom_kills_total", "counter",
		  "Processes of the container killed by the OOM killer.", CG_OOM,
		  offsetof(struct container_stats, oom_kills), 1 },
		{ NS "container_cpu_throttled_seconds_total", "counter",
		  "Time the container's CPU quota held it back.", CG_THROTTLE,
		  offsetof(struct container_stats, throttled_ns), 1e-9 },
	};
	for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++) {
		expo_family(b, gauges[i].name, gauges[i].type, gauges[i].help);
		FOR_CONTAINERS(gauges[i].bit) {
			struct label l[] = { { "container_id", x->id } };
			uint64_t v = *(const uint64_t *)((const char *)&x->stats + gauges[i].off);

			expo_sample(b, gauges[i].name, l, 1, (double)v * gauges[i].scale);
		}
	}
	expo_family(b, NS "container_pressure_waiting_seconds_total", "counter",
		    "Time some of the container's tasks waited for a resource (PSI some).");
	for (int r = 0; r < CG_PSI_RES_MAX; r++) {
		FOR_CONTAINERS(psi_bits[r]) {
			struct label l[] = { { "container_id", x->id }, { "resource", psi_names[r] } };

			expo_sample(b, NS "container_pressure_waiting_seconds_total", l, 2,
				    (double)x->stats.psi_some_us[r] / 1e6);
		}
	}
	containers__unlock(c);
}
#undef FOR_CONTAINERS

static void render_bpf(struct buf *b, struct probes *p)
{
	struct rs_event_count c[RS_EV_MAX];
	struct probes_prog_stat ps[PROBES_PROGS];
	struct probes_map_stat ms[PROBES_MAPS];
	int n;

	if (!p)
		return;
	expo_family(b, NS "bpf_attach_info", "gauge",
		    "The flavour the BPF tracepoint programs are attached with (tp_btf, or raw_tp "
		    "where the kernel rejects tp_btf) and the kernel release they run on.");
	{
		struct label l[] = { { "attach", probes__attach_name(p) },
				     { "kernel", probes__kernel_release(p) } };
		expo_sample(b, NS "bpf_attach_info", l, 2, 1);
	}
	n = probes__prog_stats(p, ps);
	if (n >= 0) {
		expo_family(b, NS "bpf_program_run_seconds_total", "counter",
			    "Time the kernel spent running each BPF program (BPF run-time "
			    "statistics).");
		for (int i = 0; i < n; i++) {
			struct label l[] = { { "program", ps[i].name } };
			expo_sample(b, NS "bpf_program_run_seconds_total", l, 1,
				    (double)ps[i].run_ns / 1e9);
		}
		expo_family(b, NS "bpf_program_runs_total", "counter",
			    "Times the kernel ran each BPF program.");
		for (int i = 0; i < n; i++) {
			struct label l[] = { { "program", ps[i].name } };
			expo_sample(b, NS "bpf_program_runs_total", l, 1, (double)ps[i].runs);
		}
	}
	n = probes__map_stats(p, ms);
	expo_family(b, NS "bpf_map_entries", "gauge", "Entries in each BPF hash map.");
	for (int i = 0; i < n; i++) {
		struct label l[] = { { "map", ms[i].name } };
		expo_sample(b, NS "bpf_map_entries", l, 1, (double)ms[i].entries);
	}
	expo_family(b, NS "bpf_map_capacity", "gauge",
		    "Entries each BPF hash map can hold; a full map loses new entries, counted in "
		    "runnerscope_bpf_events_lost_total.");
	for (int i = 0; i < n; i++) {
		struct label l[] = { { "map", ms[i].name } };
		expo_sample(b, NS "bpf_map_capacity", l, 1, (double)ms[i].capacity);
	}
	if (probes__event_counts(p, c))
		return;
	expo_family(b, NS "bpf_events_total", "counter",
		    "Events the BPF programs recorded, by event.");
	for (int t = 0; t < RS_EV_MAX; t++) {
		struct label l[] = { { "event", probes_event_name(t) } };
		expo_sample(b, NS "bpf_events_total", l, 1, (double)c[t].sent);
	}
	expo_family(b, NS "bpf_events_lost_total", "counter",
		    "Events the BPF programs could not deliver (ring buffer or map full), by event.");
	for (int t = 0; t < RS_EV_MAX; t++) {
		struct label l[] = { { "event", probes_event_name(t) } };
		expo_sample(b, NS "bpf_events_lost_total", l, 1, (double)c[t].lost);
	}
}

static void render_process(struct buf *b)
{
	char text[1024];
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct proc_stat st;
	struct rlimit rl;
	struct dirent *de;
	int fds = 0;
	DIR *d;

	/* our own, wherever --proc.root points */
	if (procfs_read_file("/proc/self/stat", text, sizeof(text), NULL) ||
	    procfs_parse_stat(text, tck, &st))
		return;
	expo_family(b, "process_cpu_seconds_total", "counter",
		    "Total user and system CPU time spent in seconds.");
	expo_sample(b, "process_cpu_seconds_total", NULL, 0,
		    (double)(st.utime_ns + st.stime_ns) / 1e9);
	expo_family(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
	expo_sample(b, "process_resident_memory_bytes", NULL, 0,
		    (double)st.rss_pages * (double)page);
	expo_family(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
	expo_sample(b, "process_virtual_memory_bytes", NULL, 0, (double)st.vsize);
	expo_family(b, "process_start_time_seconds", "gauge",
		    "Start time of the process since unix epoch in seconds.");
	expo_sample(b, "process_start_time_seconds", NULL, 0, clock_boot_to_wall(st.start_ns));
	d = opendir("/proc/self/fd");
	if (d) {
		while ((de = readdir(d)))
			fds += de->d_name[0] != '.';
		closedir(d);
		expo_family(b, "process_open_fds", "gauge", "Number of open file descriptors.");
		expo_sample(b, "process_open_fds", NULL, 0, fds - 1); /* less the one reading */
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		expo_family(b, "process_max_fds", "gauge",
			    "Maximum number of open file descriptors.");
		expo_sample(b, "process_max_fds", NULL, 0, (double)rl.rlim_cur);
	}
}

static void render_web(struct buf *b, struct web_stats *w)
{
	expo_family(b, NS "http_requests_total", "counter",
		    "HTTP requests answered, by path and status code.");
	for (int r = 0; r < WEB_ROUTE_MAX; r++) {
		for (int c = 0; c < WEB_CODE_MAX; c++) {
			uint64_t v = atomic_load(&w->requests[r][c]);
			char code[8];
			struct label l[] = { { "path", web_route_name(r) }, { "code", code } };

			/* each path's usual answer always, any other once it happened */
			if (!v && c != (r == WEB_ROUTE_OTHER ? WEB_CODE_404 : WEB_CODE_200))
				continue;
			snprintf(code, sizeof(code), "%d", web_code_status(c));
			expo_sample(b, NS "http_requests_total", l, 2, (double)v);
		}
	}
	expo_family(b, NS "http_requests_in_flight", "gauge",
		    "Pages (/metrics and /) being built or sent now, this one included.");
	expo_sample(b, NS "http_requests_in_flight", NULL, 0, (double)atomic_load(&w->in_flight));
	expo_family(b, NS "http_connections_timed_out_total", "counter",
		    "Connections closed for not completing a request and its response within "
		    "--web.timeout.");
	expo_sample(b, NS "http_connections_timed_out_total", NULL, 0,
		    (double)atomic_load(&w->timeouts));
}

const char *web_route_name(enum web_route r)
{
	static const char *const names[WEB_ROUTE_MAX] = { "/metrics", "/", "/healthz", "other" };

	return r < WEB_ROUTE_MAX ? names[r] : "other";
}

int web_code_status(enum web_code c)
{
	static const int codes[WEB_CODE_MAX] = { 200, 401, 403, 404, 405, 429, 500, 503 };

	return c < WEB_CODE_MAX ? codes[c] : 500;
}

double metrics_render_page(struct buf *b, const struct metrics_src *src, int refresh)
{
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	char libbpf_version[32];

	if (refresh && src->refresh)
		src->refresh(src->refresh_ctx);
	snprintf(libbpf_version, sizeof(libbpf_version), "%u.%u", libbpf_major_version(),
		 libbpf_minor_version());
	expo_family(b, NS "build_info", "gauge",
		    "A metric with a constant '1' value labeled by version, revision and libbpf "
		    "version.");
	{
		struct label l[] = { { "version", src->version },
				     { "revision", src->revision },
				     { "libbpf_version", libbpf_version } };
		expo_sample(b, NS "build_info", l, 3, 1);
	}
	state__lock(src->state);
	render_runners(b, src->state);
	state__unlock(src->state);
	if (src->containers)
		render_containers(b, src->containers);
	render_bpf(b, src->probes);
	if (src->events) {
		expo_family(b, NS "event_log_lines_total", "counter",
			    "Lines written to the job event log.");
		expo_sample(b, NS "event_log_lines_total", NULL, 0,
			    (double)eventlog__lines(src->events));
		expo_family(b, NS "event_log_errors_total", "counter",
			    "Job event log lines lost to a failed write (full disk, closed pipe).");
		expo_sample(b, NS "event_log_errors_total", NULL, 0,
			    (double)eventlog__errors(src->events));
	}
	render_process(b);
	return (double)(clock_ns(CLOCK_MONOTONIC) - t0) / 1e9;
}

void metrics_render_tail(struct buf *b, const struct metrics_src *src, double page_seconds)
{
	if (src->web)
		render_web(b, src->web);
	expo_family(b, NS "scrape_pages_built_total", "counter",
		    "/metrics pages built; the other scrapes were answered with a page built "
		    "before, while nothing it shows could have changed.");
	expo_sample(b, NS "scrape_pages_built_total", NULL, 0,
		    (double)atomic_load(&src->pages_built));
	expo_family(b, NS "scrape_duration_seconds", "gauge",
		    "How long building the page this scrape was answered with took.");
	expo_sample(b, NS "scrape_duration_seconds", NULL, 0, page_seconds);
	expo_finish(b);
}
