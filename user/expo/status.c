// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include "lib/clock.h"
#include "expo/status.h"
#include "ci/detect.h"
#include "expo/metrics.h"
#include "expo/timeline_svg.h"
#include "state/state.h"

#define FFFD "\xef\xbf\xbd"
#define REFRESH_S 5

/* the escapes of one output: HTML entities, or a terminal's safe subset */
static void escape(struct buf *b, const char *s, int html)
{
	const char *run = s;

	while (*s) {
		unsigned char c = (unsigned char)s[0], next = (unsigned char)s[1];
		const char *esc = NULL;
		size_t n = 1;

		if (c < 0x20 || c == 0x7f)
			esc = FFFD;
		/* C1 controls (U+0080 … U+009F) steer a terminal as ESC does */
		else if (c == 0xc2 && next >= 0x80 && next <= 0x9f)
			esc = FFFD, n = 2;
		else if (html && c == '&')
			esc = "&amp;";
		else if (html && c == '<')
			esc = "&lt;";
		else if (html && c == '>')
			esc = "&gt;";
		else if (html && c == '"')
			esc = "&quot;";
		else if (html && c == '\'')
			esc = "&#39;";
		if (esc) {
			buf_putn(b, run, (size_t)(s - run));
			buf_puts(b, esc);
			run = s + n;
		}
		s += n;
	}
	buf_putn(b, run, (size_t)(s - run));
}

void status_escape_html(struct buf *b, const char *s)
{
	escape(b, s, 1);
}

void status_escape_text(struct buf *b, const char *s)
{
	escape(b, s, 0);
}

void status_duration(char *out, size_t sz, uint64_t ns)
{
	uint64_t s = ns / 1000000000ULL;

	if (ns < 1000000000ULL)
		snprintf(out, sz, "%llums", (unsigned long long)(ns / 1000000));
	else if (s < 60)
		snprintf(out, sz, "%.1fs", (double)ns / 1e9);
	else if (s < 3600)
		snprintf(out, sz, "%llum%02llus", (unsigned long long)(s / 60),
			 (unsigned long long)(s % 60));
	else if (s < 86400)
		snprintf(out, sz, "%lluh%02llum", (unsigned long long)(s / 3600),
			 (unsigned long long)(s / 60 % 60));
	else
		snprintf(out, sz, "%llud%02lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s / 3600 % 24));
}

void status_bytes(char *out, size_t sz, uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, sz, "%llu B", (unsigned long long)bytes);
	else
		snprintf(out, sz, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
}

/* ---- the page as rows of cells, written as HTML or as text ---- */

enum { COLS_MAX = 8 };

struct table {
	struct buf *b;
	int html;
	int ncols;
	const char *const *heads;
	const int *widths; /* text: column widths, in characters */
	int rows;
};

/* how many characters (code points) of s fit in w: the byte length to print */
static size_t fit(const char *s, int w, int *chars)
{
	size_t i = 0;
	int n = 0;

	while (s[i] && n < w) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		n++;
	}
	*chars = n;
	return i;
}

static void table_begin(struct table *t, const char *title, const char *empty, int any)
{
	struct buf *b = t->b;

	if (t->html) {
		buf_printf(b, "<section><h2>%s</h2>\n", title);
		if (!any) {
			buf_printf(b, "<p class=\"empty\">%s</p></section>\n", empty);
			return;
		}
		buf_puts(b, "<table><thead><tr>");
		for (int i = 0; i < t->ncols; i++)
			buf_printf(b, "<th>%s</th>", t->heads[i]);
		buf_puts(b, "</tr></thead><tbody>\n");
		return;
	}
	buf_printf(b, "\n%s\n", title);
	if (!any) {
		buf_printf(b, "  %s\n", empty);
		return;
	}
	buf_puts(b, " ");
	for (int i = 0; i < t->ncols; i++)
		buf_printf(b, " %-*s", i < t->ncols - 1 ? t->widths[i] : 0, t->heads[i]);
	buf_puts(b, "\n");
}

static void table_end(struct table *t, int any)
{
	if (t->html && any)
		buf_puts(t->b, "</tbody></table></section>\n");
}

/* one row; cls gives a cell a class (HTML) or NULL */
static void table_row(struct table *t, const char *const *cells, const char *const *cls)
{
	struct buf *b = t->b;

	if (t->html) {
		buf_puts(b, "<tr>");
		for (int i = 0; i < t->ncols; i++) {
			buf_printf(b, "<td data-label=\"%s\"", t->heads[i]);
			if (cls && cls[i])
				buf_printf(b, " class=\"%s\"", cls[i]);
			buf_puts(b, ">");
			status_escape_html(b, cells[i]);
			buf_puts(b, "</td>");
		}
		buf_puts(b, "</tr>\n");
		return;
	}
	buf_puts(b, " ");
	for (int i = 0; i < t->ncols; i++) {
		char cut[1024];
		int chars;
		size_t n = fit(cells[i], t->widths[i], &chars);

		/* a cell wider than its column ends in "…"; the last column takes what it needs */
		if (i == t->ncols - 1) {
			snprintf(cut, sizeof(cut), "%s", cells[i]);
		} else if (cells[i][n] && n >= 1) {
			n = fit(cells[i], t->widths[i] - 1, &chars);
			snprintf(cut, sizeof(cut), "%.*s\xe2\x80\xa6", (int)n, cells[i]);
			chars++;
		} else {
			snprintf(cut, sizeof(cut), "%.*s", (int)n, cells[i]);
		}
		buf_puts(b, " ");
		status_escape_text(b, cut);
		if (i < t->ncols - 1)
			buf_printf(b, "%*s", t->widths[i] - chars, "");
	}
	buf_puts(b, "\n");
	t->rows++;
}

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

static void render_runners(struct buf *b, struct state *s, int html, const struct tl_view *v,
			   const char *window)
{
	char busy_head[32];
	const char *const heads[] = { "Kind", "Runner", "Container", "State", busy_head, "Jobs" };
	static const int widths[] = { 9, 24, 20, 8, 8, 40 };
	struct table t = { b, html, 6, heads, widths, 0 };
	struct runner *r;
	int n = 0;

	snprintf(busy_head, sizeof(busy_head), "Busy %s", window);
	for (r = state__runners(s); r; r = r->hh.next)
		n++;
	table_begin(&t, html ? "Runners" : "RUNNERS", "No runner seen yet.", n);
	for (r = state__runners(s); r; r = r->hh.next) {
		char ctr[2 * NAME_LEN + 2], jobs[256], busy[16] = "", key[NAME_LEN + 16];
		const char *st = !r->agents ? "down" : r->jobs_running ? "busy" : "idle";
		const char *cls[] = { NULL, "name", NULL, st, NULL, NULL };
		const char *cells[] = { detect_kind_name(r->kind), r->name,
					container_of(r, ctr, sizeof(ctr)), st, busy, jobs };
		const char *sep = ": ";
		const struct tl_row *row;
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
						detect_result_name(i));
			sep = ", ";
		}
		if (r->jobs_running && off < sizeof(jobs))
			snprintf(jobs + off, sizeof(jobs) - off, "; %d running", r->jobs_running);
		table_row(&t, cells, cls);
	}
	table_end(&t, n);
}

static void render_running(struct buf *b, struct state *s, int html, uint64_t now)
{
	static const char *const heads[] = { "Runner",	"Job",	   "PID",	 "Started",
					     "Elapsed", "CPU so far", "Memory now" };
	static const int widths[] = { 20, 36, 8, 20, 8, 10, 10 };
	struct table t = { b, html, 7, heads, widths, 0 };
	struct job *j;
	int n = 0;

	for (j = state__jobs(s); j; j = j->hh.next)
		n += !j->finished && j->runner;
	table_begin(&t, html ? "Running jobs" : "RUNNING JOBS", "No job is running.", n);
	for (j = state__jobs(s); j; j = j->hh.next) {
		char name[3 * NAME_LEN + 16], pid[16], started[32], elapsed[32], cpu[32], mem[32];
		const char *cls[] = { "name", NULL, NULL, NULL, "running", NULL, NULL };
		const char *cells[] = { j->runner ? j->runner->name : "", name, pid, started,
					elapsed, cpu, mem };
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
		/* resident in its processes (its containers' included) at the last pass */
		if (j->rss)
			status_bytes(mem, sizeof(mem), j->rss);
		else
			snprintf(mem, sizeof(mem), "-");
		table_row(&t, cells, cls);
	}
	table_end(&t, n);
}

static void render_recent(struct buf *b, struct state *s, int html, uint64_t now)
{
	static const char *const heads[] = { "Runner", "Job",	      "Result", "Duration",
					     "CPU",    "Peak memory", "Ended" };
	static const int widths[] = { 18, 30, 19, 8, 8, 11, 8 };
	struct table t = { b, html, 7, heads, widths, 0 };
	const struct job_record *f;
	int n = 0;

	while (state__recent(s, n))
		n++;
	table_begin(&t, html ? "Last finished jobs" : "LAST FINISHED JOBS",
		    "No job has finished since runnerscope started.", n);
	for (int i = 0; (f = state__recent(s, i)); i++) {
		char name[3 * NAME_LEN + 16], result[64], dur[32], cpu[32], rss[32], ago[48];
		const char *res = detect_result_name(f->result);
		const char *cls[] = { "name", NULL, res, NULL, NULL, NULL, NULL };
		const char *cells[] = { f->runner, name, result, dur, cpu, rss, ago };

		job_name(&f->ctx, f->have_ctx, f->pid, name, sizeof(name));
		if (WIFSIGNALED(f->exit_code))
			snprintf(result, sizeof(result), "%s (signal %d)", res, WTERMSIG(f->exit_code));
		else
			snprintf(result, sizeof(result), "%s", res);
		if (f->oom_kills)
			snprintf(result + strlen(result), sizeof(result) - strlen(result), ", OOM");
		status_duration(dur, sizeof(dur), f->end_ns - f->start_ns);
		status_duration(cpu, sizeof(cpu), f->cpu_user_ns + f->cpu_system_ns);
		status_bytes(rss, sizeof(rss), f->max_rss);
		status_duration(ago, sizeof(ago), now > f->end_ns ? now - f->end_ns : 0);
		snprintf(ago + strlen(ago), sizeof(ago) - strlen(ago), " ago");
		table_row(&t, cells, cls);
	}
	table_end(&t, n);
}

/* no external assets: the page has to work on a host with no way out */
static const char style[] =
	"<style>\n"
	":root{color-scheme:light dark;--fg:#1d2430;--mute:#5d6776;--bg:#fff;--line:#dde2e8;"
	"--head:#f3f5f8;--ok:#17803d;--bad:#c2261f;--warn:#a35d00;--busy:#1f5fbf}\n"
	"@media (prefers-color-scheme:dark){:root{--fg:#e3e7ee;--mute:#9aa4b2;--bg:#14181f;"
	"--line:#2c333e;--head:#1c222b;--ok:#4cc277;--bad:#f06d64;--warn:#e0a03a;"
	"--busy:#74a7f5}}\n"
	"body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;"
	"max-width:72rem;padding:1rem;color:var(--fg);background:var(--bg)}\n"
	"h1{font-size:1.4rem;margin:0}h2{font-size:1.1rem;margin:1.6rem 0 .5rem}\n"
	"header p{margin:.2rem 0;color:var(--mute)}a{color:inherit}\n"
	"table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.35rem .6rem;"
	"border-bottom:1px solid var(--line);vertical-align:top}\n"
	"th{background:var(--head);font-weight:600;white-space:nowrap}\n"
	"td{overflow-wrap:anywhere}td.name{font-weight:600}.empty{color:var(--mute)}\n"
	".idle,.success{color:var(--ok)}.down,.failure,.abandoned{color:var(--bad)}\n"
	".success_with_issues,.cancelled,.skipped{color:var(--warn)}.busy,.running{color:var("
	"--busy)}\n"
	/* a phone: each row a card, each cell labelled */
	"@media (max-width:40rem){thead{display:none}table,tbody,tr,td{display:block}"
	"tr{border:1px solid var(--line);border-radius:.4rem;margin:.5rem 0;padding:.3rem 0}"
	"td{border:0;padding:.15rem .7rem;display:grid;grid-template-columns:7.5rem 1fr}"
	"td::before{content:attr(data-label);color:var(--mute);font-weight:400}}\n"
	"</style>\n";

/* the timeline: Okabe & Ito's colours (timeline_svg.c), the same in light and dark */
static const char style_timeline[] =
	"<style>\n"
	".win{margin:.2rem 0 .4rem}.win a[aria-current]{font-weight:700;text-decoration:none}\n"
	".tlw{overflow-x:auto}#timeline{display:block;width:100%;min-width:720px;"
	"font:12px system-ui,sans-serif}\n"
	"#timeline text{fill:var(--fg)}#timeline .e{text-anchor:end}.rn{font-weight:600}"
	"#timeline .rg{fill:var(--mute);font-size:10px}.z{fill:var(--head)}\n"
	".axis line{stroke:var(--line)}.axis .now{stroke:var(--mute);stroke-dasharray:3 3}"
	"#timeline .axis text{fill:var(--mute);font-size:11px;text-anchor:middle}"
	"#timeline .axis text.e{text-anchor:end}\n"
	".j{outline:none}.j.success rect{fill:#009E73}.j.success_with_issues rect{fill:#F0E442}"
	".j.failure rect{fill:url(#hf)}.j.cancelled rect{fill:#CC79A7}.j.skipped rect{fill:#999}"
	".j.abandoned rect{fill:url(#ha)}.j.running rect{fill:#0072B2}\n"
	".j:hover rect,.j:focus rect{stroke:var(--fg);stroke-width:2}\n"
	"#timeline .l{font-size:11px;font-weight:700;text-anchor:middle;fill:#000;"
	"pointer-events:none}#timeline .running .l,#timeline .success .l,"
	"#timeline .failure .l{fill:#fff}\n"
	"#timeline .tip{visibility:hidden;paint-order:stroke;stroke:var(--bg);stroke-width:4px;"
	"stroke-linejoin:round;pointer-events:none}#timeline .tip.e{text-anchor:end}"
	".j:hover .tip,.j:focus .tip{visibility:visible}\n"
	".legend{list-style:none;padding:0;margin:.4rem 0;display:flex;flex-wrap:wrap;"
	"gap:.2rem 1rem}.sw{display:inline-block;min-width:1.1rem;margin-right:.3rem;"
	"text-align:center;font-size:.75rem;font-weight:700;border-radius:2px}\n"
	".sw.success{background:#009E73;color:#fff}.sw.success_with_issues{background:#F0E442;"
	"color:#000}.sw.failure{background:repeating-linear-gradient(45deg,#7a2f00 0 2px,#D55E00"
	" 2px 6px);color:#fff}.sw.cancelled{background:#CC79A7;color:#000}.sw.skipped{"
	"background:#999;color:#000}.sw.abandoned{background:#E69F00;color:#000}.sw.running{"
	"background:#0072B2;color:#fff}\n"
	".note{color:var(--mute)}.fold summary{cursor:pointer;color:var(--mute)}"
	".fold ul{columns:18rem;margin:.3rem 0}\n"
	"</style>\n";

int status_window(const char *arg, struct status_opts *o)
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
static void build_view(struct tl_view *v, const struct metrics_src *src, uint64_t now)
{
	struct state *s = src->state;
	struct runner *r;
	struct job *j;

	for (r = state__runners(s); r; r = r->hh.next) {
		char group[2 * NAME_LEN + 2];

		tl_view_runner(v, r->kind, r->name, container_of(r, group, sizeof(group)),
			       r->jobs_running);
	}
	for (j = state__jobs(s); j; j = j->hh.next) {
		char group[2 * NAME_LEN + 2];
		struct tl_src t = {
			.pid = j->key.tgid,
			.start_ns = j->start_ns,
			.end_ns = now,
			.cpu_ns = j->acct.seen.cpu_user_ns + j->acct.seen.cpu_system_ns,
			.result = TL_RUNNING,
			.ctx = j->have_ctx ? &j->ctx : NULL,
		};
		struct tl_job *tj;

		if (j->finished || !j->runner)
			continue;
		t.kind = j->runner->kind;
		t.runner = j->runner->name;
		t.group = container_of(j->runner, group, sizeof(group));
		tj = tl_job_new(&t);
		if (tj)
			tl_view_job_owned(v, tj);
	}
	if (src->timeline)
		tl_view_timeline(v, src->timeline);
	tl_view_finish(v);
}

void status_render(struct buf *b, const struct metrics_src *src, int html,
		   const struct status_opts *opts)
{
	struct status_opts dflt;
	uint64_t now = clock_ns(CLOCK_BOOTTIME);
	time_t wall = time(NULL);
	struct timeline_stats ts = { 0 };
	struct tl_view v;
	char when[32];
	struct tm tm;

	if (!opts) {
		status_window(NULL, &dflt);
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
		buf_puts(b, style);
		buf_puts(b, style_timeline);
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
		timeline__stats(src->timeline, &ts);
	tl_view_init(&v, &(struct tl_view_opts){
				 .w0 = now > opts->window_ns ? now - opts->window_ns : 0,
				 .w1 = now,
				 .max_rows = TL_MAX_ROWS,
				 .max_bars = TL_MAX_BARS,
			 });
	/* the state's lock, then the timeline's: the order the finished-job callback takes them */
	state__lock(src->state);
	if (src->timeline)
		timeline__lock(src->timeline);
	build_view(&v, src, now);
	if (html) {
		struct tl_render ro = {
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
		timeline__unlock(src->timeline);
	render_runners(b, src->state, html, &v, opts->window);
	render_running(b, src->state, html, now);
	render_recent(b, src->state, html, now);
	state__unlock(src->state);
	tl_view_free(&v);
	if (html)
		buf_puts(b, "</body></html>\n");
}
