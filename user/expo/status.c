// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include "lib/clock.h"
#include "expo/status.h"
#include "expo/status_format.h"
#include "expo/status_style.h"
#include "expo/status_table.h"
#include "ci/detect.h"
#include "ci/kinds/kinds.h"
#include "expo/metrics.h"
#include "expo/timeline_svg.h"
#include "state/state.h"

#define REFRESH_S 5

static const char *container_of(const struct runner *r, char *out, size_t sz)
{
	if (r->names.pod[0])
		snprintf(out, sz, "%s/%s", r->names.ns, r->names.pod);
	else if (r->names.name[0])
		snprintf(out, sz, "%s", r->names.name);
	else if (r->ctr.id[0])
		snprintf(out, sz, "%.12s", r->ctr.id);
	else
		snprintf(out, sz, "(host)");
	return out;
}

/* "owner/repo · workflow · job", or what there is of it */
static const char *job_name(const struct job_context *ctx, int have, uint32_t pid, char *out,
			    size_t sz)
{
	if (!have || (!ctx->repository[0] && !ctx->workflow[0] && !ctx->job[0])) {
		snprintf(out, sz, "pid %u", pid);
		return out;
	}
	snprintf(out, sz, "%s%s%s%s%s", ctx->repository, ctx->workflow[0] ? " · " : "",
		 ctx->workflow, ctx->job[0] ? " · " : "", ctx->job);
	return out;
}

static void render_runners(struct buf *b, struct state *s, int html, const struct timeline_view *v,
			   const char *window)
{
	char busy_head[32];
	const char *const heads[] = { "Kind", "Runner", "Container", "State", busy_head, "Jobs" };
	static const int widths[] = { 9, 24, 20, 8, 8, 40 };
	struct status_table t = { b, html, 6, heads, widths, 0 };
	struct runner *r;
	int n = 0;

	snprintf(busy_head, sizeof(busy_head), "Busy %s", window);
	for (r = state__runners(s); r; r = r->hh.next)
		n++;
	status_table_begin(&t, html ? "Runners" : "RUNNERS", "No runner seen yet.", n);
	for (r = state__runners(s); r; r = r->hh.next) {
		char ctr[2 * NAME_LEN + 2], jobs[256], busy[16] = "", key[NAME_LEN + 16];
		const char *st = !r->agents ? "down" : r->jobs_running ? "busy" : "idle";
		const char *cls[] = { NULL, "name", NULL, st, NULL, NULL };
		const char *cells[] = { kinds__name(r->kind), r->name,
					container_of(r, ctr, sizeof(ctr)), st, busy, jobs };
		const char *sep = ": ";
		const struct timeline_row *row;
		uint64_t total = 0;
		size_t off;

		snprintf(key, sizeof(key), "%d/%s", r->kind, r->name);
		HASH_FIND_STR(v->hash, key, row);
		if (row)
			timeline_busy(busy, sizeof(busy), v, row);
		for (int i = 0; i < RESULT_MAX; i++)
			total += r->st.jobs_finished[i];
		off = (size_t)snprintf(jobs, sizeof(jobs), "%llu finished", (unsigned long long)total);
		for (int i = 0; i < RESULT_MAX && off < sizeof(jobs); i++) {
			if (!r->st.jobs_finished[i])
				continue;
			off += (size_t)snprintf(jobs + off, sizeof(jobs) - off, "%s%llu %s", sep,
						(unsigned long long)r->st.jobs_finished[i],
						detect__result_name(i));
			sep = ", ";
		}
		if (r->jobs_running && off < sizeof(jobs))
			snprintf(jobs + off, sizeof(jobs) - off, "; %d running", r->jobs_running);
		status_table_row(&t, cells, cls);
	}
	status_table_end(&t, n);
}

/* a job's wait for a CPU, "-" where the kernel does not keep it */
static void wait_cell(char *out, size_t sz, int known, uint64_t ns)
{
	if (known)
		status_duration(out, sz, ns);
	else
		snprintf(out, sz, "-");
}

/* "12.5 GiB" of "50 GiB", "25%": the share a job can no longer write; "-" when not read */
static void share(char *out, size_t sz, uint64_t part, uint64_t whole)
{
	if (whole)
		snprintf(out, sz, "%.0f%%", 100.0 * (double)part / (double)whole);
	else
		snprintf(out, sz, "-");
}

/* the first of a finished job's neighbours, when it waited for a CPU over a tenth of its time */
static void behind_cell(char *out, size_t sz, const struct job_record *f)
{
	const struct job_record_neighbour *nb = &f->neighbours[0];
	char cpu[32];

	out[0] = '\0';
	if (!f->has_wait || !f->nneighbours || f->cpu_wait_ns * 10 <= f->end_ns - f->start_ns)
		return;
	status_duration(cpu, sizeof(cpu), nb->cpu_ns);
	if (nb->type == NB_JOB && nb->job[0])
		snprintf(out, sz, "%s · %s %s", nb->name, nb->job, cpu);
	else if (nb->type == NB_JOB && nb->pid)
		snprintf(out, sz, "%s · pid %u %s", nb->name, nb->pid, cpu);
	else if (nb->type == NB_JOB)
		snprintf(out, sz, "%s %s", nb->name, cpu);
	else if (nb->type == NB_CONTAINER)
		snprintf(out, sz, "container %s %s", nb->name, cpu);
	else
		snprintf(out, sz, "host %s", cpu);
}

/*
 * a path's end, w characters at most: "…" and the last w - 1 of a longer one (its head is
 * the same for every runner on a host, its tail says which folder it is)
 */
static const char *path_tail(const char *s, int w, char *out, size_t sz)
{
	const char *p = s + strlen(s);
	int n = 0;

	while (p > s && n < w) {
		p--;
		if (((unsigned char)*p & 0xc0) != 0x80)
			n++;
	}
	if (p == s)
		return s;
	/* the "…" takes the place of one more character */
	while (((unsigned char)*++p & 0xc0) == 0x80)
		;
	snprintf(out, sz, "\xe2\x80\xa6%s", p);
	return out;
}

/* each runner's work filesystem, as the last pass read it */
static void render_disks(struct buf *b, struct state *s, int html)
{
	static const char *const heads[] = { "Runner", "Used",	      "Size",
					     "Used %", "Inodes used", "Work folder" };
	static const int widths[] = { 20, 10, 10, 7, 11, 0 };
	struct status_table t = { b, html, 6, heads, widths, 0 };
	struct runner *r;
	int n = 0;

	for (r = state__runners(s); r; r = r->hh.next)
		n++;
	status_table_begin(&t, html ? "Work filesystems" : "WORK FILESYSTEMS",
			   "No runner seen yet.", n);
	for (r = state__runners(s); r; r = r->hh.next) {
		const struct workfs *fs = &r->fs;
		uint64_t used = fs->size_bytes - fs->avail_bytes;
		char u[32] = "-", size[32] = "-", pct[16] = "-", inodes[16] = "-", dir[WORKDIR_LEN];
		const char *cls[] = { "name", NULL, NULL, NULL, NULL, NULL };
		const char *cells[] = { r->name, u, size, pct, inodes, r->workdir[0] ? r->workdir : "/" };

		/* a terminal's line stays within 132 columns */
		if (!html)
			cells[5] = path_tail(cells[5], 60, dir, sizeof(dir));
		if (r->have_fs && fs->size_bytes >= fs->avail_bytes) {
			status_bytes(u, sizeof(u), used);
			status_bytes(size, sizeof(size), fs->size_bytes);
			share(pct, sizeof(pct), used, fs->size_bytes);
			share(inodes, sizeof(inodes), fs->files - fs->files_free, fs->files);
			/* past the alert's 85 % (RunnerscopeRunnerDiskFilling) */
			if (used * 100 > fs->size_bytes * 85)
				cls[3] = "full";
		}
		status_table_row(&t, cells, cls);
	}
	status_table_end(&t, n);
}

static void render_running(struct buf *b, struct state *s, int html, uint64_t now)
{
	static const char *const heads[] = { "Runner",	   "Job",	 "PID",
					     "Started",	   "Elapsed",	 "CPU so far",
					     "CPU wait",   "Memory now" };
	static const int widths[] = { 20, 36, 8, 20, 8, 10, 8, 10 };
	struct status_table t = { b, html, 8, heads, widths, 0 };
	struct job *j;
	int n = 0;

	for (j = state__jobs(s); j; j = j->hh.next)
		n += !j->finished && j->runner;
	status_table_begin(&t, html ? "Running jobs" : "RUNNING JOBS", "No job is running.", n);
	for (j = state__jobs(s); j; j = j->hh.next) {
		char name[3 * NAME_LEN + 16], pid[16], started[32], elapsed[32], cpu[32], wait[32],
			mem[32];
		const char *cls[] = { "name", NULL, NULL, NULL, "running", NULL, NULL, NULL };
		const char *cells[] = { j->runner ? j->runner->name : "", name, pid, started,
					elapsed, cpu, wait, mem };
		time_t t0;
		struct tm tm;

		if (j->finished || !j->runner)
			continue;
		job_name(&j->ctx, j->have_ctx, j->key.tgid, name, sizeof(name));
		snprintf(pid, sizeof(pid), "%u", j->key.tgid);
		t0 = (time_t)clock_boot_to_wall(j->start_ns);
		gmtime_r(&t0, &tm);
		strftime(started, sizeof(started), "%Y-%m-%d %H:%M:%SZ", &tm);
		status_duration(elapsed, sizeof(elapsed), now > j->start_ns ? now - j->start_ns : 0);
		/* what the last pass read of its processes (and its containers') */
		status_duration(cpu, sizeof(cpu),
				j->acct.seen.cpu_user_ns + j->acct.seen.cpu_system_ns);
		wait_cell(wait, sizeof(wait), state__cpu_wait(s), j->acct.seen.cpu_wait_ns);
		/* resident in its processes (its containers' included) at the last pass */
		if (j->rss)
			status_bytes(mem, sizeof(mem), j->rss);
		else
			snprintf(mem, sizeof(mem), "-");
		status_table_row(&t, cells, cls);
	}
	status_table_end(&t, n);
}

static void render_recent(struct buf *b, struct state *s, int html, uint64_t now)
{
	static const char *const heads[] = { "Runner",	 "Job",	     "Result",
					     "Duration", "CPU",	     "CPU wait",
					     "Peak memory", "Ended", "Waited behind" };
	static const int widths[] = { 18, 30, 19, 8, 8, 8, 11, 8, 24 };
	struct status_table t = { b, html, 9, heads, widths, 0 };
	const struct job_record *f;
	int n = 0;

	while (state__recent(s, n))
		n++;
	status_table_begin(&t, html ? "Last finished jobs" : "LAST FINISHED JOBS",
			   "No job has finished since runnerscope started.", n);
	for (int i = 0; (f = state__recent(s, i)); i++) {
		char name[3 * NAME_LEN + 16], result[64], dur[32], cpu[32], wait[32], rss[32],
			ago[48], behind[2 * NAME_LEN + 48];
		const char *res = detect__result_name(f->result);
		const char *cls[] = { "name", NULL, res, NULL, NULL, NULL, NULL, NULL, NULL };
		const char *cells[] = { f->runner, name, result, dur, cpu, wait, rss, ago, behind };

		job_name(&f->ctx, f->have_ctx, f->pid, name, sizeof(name));
		if (WIFSIGNALED(f->exit_code))
			snprintf(result, sizeof(result), "%s (signal %d)", res, WTERMSIG(f->exit_code));
		else
			snprintf(result, sizeof(result), "%s", res);
		if (f->oom_kills)
			snprintf(result + strlen(result), sizeof(result) - strlen(result), ", OOM");
		status_duration(dur, sizeof(dur), f->end_ns - f->start_ns);
		status_duration(cpu, sizeof(cpu), f->cpu_user_ns + f->cpu_system_ns);
		wait_cell(wait, sizeof(wait), f->has_wait, f->cpu_wait_ns);
		behind_cell(behind, sizeof(behind), f);
		status_bytes(rss, sizeof(rss), f->max_rss);
		status_duration(ago, sizeof(ago), now > f->end_ns ? now - f->end_ns : 0);
		snprintf(ago + strlen(ago), sizeof(ago) - strlen(ago), " ago");
		status_table_row(&t, cells, cls);
	}
	status_table_end(&t, n);
}

int status__window(const char *arg, struct status_opts *o)
{
	unsigned long n;
	char *end;

	o->window_ns = STATUS_WINDOW_NS;
	snprintf(o->window, sizeof(o->window), "1h");
	if (!arg || !arg[0] || arg[0] < '0' || arg[0] > '9')
		return arg && arg[0] ? -EINVAL : 0;
	errno = 0;
	n = strtoul(arg, &end, 10);
	if (errno || !n || n > 24 * 60 || (strcmp(end, "m") && strcmp(end, "h")))
		return -EINVAL;
	if (*end == 'h')
		n *= 60;
	if (n > 24 * 60)
		return -EINVAL;
	o->window_ns = (uint64_t)n * 60 * 1000000000ULL;
	if (n % 60)
		snprintf(o->window, sizeof(o->window), "%lum", n);
	else
		snprintf(o->window, sizeof(o->window), "%luh", n / 60);
	return 0;
}

/* the runners, the running jobs and the finished ones of the window, as rows */
static void build_view(struct timeline_view *v, const struct metrics_src *src, uint64_t now)
{
	struct state *s = src->state;
	struct runner *r;
	struct job *j;

	for (r = state__runners(s); r; r = r->hh.next) {
		char group[2 * NAME_LEN + 2];

		timeline_view_runner(v, r->kind, r->name, container_of(r, group, sizeof(group)),
				     r->jobs_running);
	}
	for (j = state__jobs(s); j; j = j->hh.next) {
		char group[2 * NAME_LEN + 2];
		struct timeline_src t = {
			.pid = j->key.tgid,
			.start_ns = j->start_ns,
			.end_ns = now,
			.cpu_ns = j->acct.seen.cpu_user_ns + j->acct.seen.cpu_system_ns,
			.result = TIMELINE_RUNNING,
			.ctx = j->have_ctx ? &j->ctx : NULL,
		};
		struct timeline_job *tj;

		if (j->finished || !j->runner)
			continue;
		t.kind = j->runner->kind;
		t.runner = j->runner->name;
		t.group = container_of(j->runner, group, sizeof(group));
		tj = timeline_job_new(&t);
		if (tj)
			timeline_view_job_owned(v, tj);
	}
	if (src->timeline)
		timeline_view_timeline(v, src->timeline);
	timeline_view_finish(v);
}

void status__render(struct buf *b, const struct metrics_src *src, int html,
		    const struct status_opts *opts)
{
	struct status_opts dflt;
	uint64_t now = clock_ns(CLOCK_BOOTTIME);
	time_t wall = time(NULL);
	struct timeline_stats ts = { 0 };
	struct timeline_view v;
	char when[32];
	struct tm tm;

	if (!opts) {
		status__window(NULL, &dflt);
		dflt.refresh = 1;
		opts = &dflt;
	}
	if (src->refresh)
		src->refresh(src->refresh_ctx);
	gmtime_r(&wall, &tm);
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	if (html) {
		buf_puts(b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
			    "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n");
		if (opts->refresh)
			buf_printf(b, "<meta http-equiv=\"refresh\" content=\"%d\">\n", REFRESH_S);
		buf_puts(b, "<title>runnerscope on ");
		status_escape_html(b, src->host ? src->host : "");
		buf_puts(b, "</title>\n");
		buf_puts(b, status_style);
		buf_puts(b, status_style_timeline);
		buf_puts(b, "</head><body>\n<header><h1>runnerscope on ");
		status_escape_html(b, src->host ? src->host : "");
		buf_printf(b, "</h1><p>%s · version ", when);
		status_escape_html(b, src->version);
		/* a reader who tabs through the bars can stop the page moving under them */
		if (opts->refresh)
			buf_printf(b, " · refreshes every %ds (<a href=\"?window=%s&amp;refresh=0\">"
				      "stop</a>)",
				   REFRESH_S, opts->window);
		else
			buf_printf(b, " · not refreshing (<a href=\"?window=%s\">refresh every %ds"
				      "</a>)",
				   opts->window, REFRESH_S);
		buf_puts(b, " · <a href=\"/metrics\">metrics</a> · <a href=\"/healthz\">health</a>"
			    "</p></header>\n");
	} else {
		buf_puts(b, "runnerscope on ");
		status_escape_text(b, src->host ? src->host : "");
		buf_printf(b, ", %s, version ", when);
		status_escape_text(b, src->version);
		buf_puts(b, "\n");
	}
	if (src->timeline)
		timeline_stats(src->timeline, &ts);
	timeline_view_init(&v, &(struct timeline_view_opts){
				       .w0 = now > opts->window_ns ? now - opts->window_ns : 0,
				       .w1 = now,
				       .max_rows = TIMELINE_MAX_ROWS,
				       .max_bars = TIMELINE_MAX_BARS,
			       });
	/* the state's lock, then the timeline's: the order the finished-job callback takes them */
	state__lock(src->state);
	if (src->timeline)
		timeline_lock(src->timeline);
	build_view(&v, src, now);
	if (html) {
		struct timeline_render ro = {
			.now = now,
			.wall_now = clock_boot_to_wall(now),
			.window = opts->window,
			.refresh = opts->refresh,
			.dropped_end_ns = ts.dropped_end_ns,
			.keep_jobs = TIMELINE_JOBS,
		};

		timeline_render_html(b, &v, &ro);
	}
	if (src->timeline)
		timeline_unlock(src->timeline);
	render_runners(b, src->state, html, &v, opts->window);
	render_disks(b, src->state, html);
	render_running(b, src->state, html, now);
	render_recent(b, src->state, html, now);
	state__unlock(src->state);
	timeline_view_free(&v);
	if (html)
		buf_puts(b, "</body></html>\n");
}
