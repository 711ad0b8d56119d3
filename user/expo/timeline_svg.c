// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include "ci/detect.h"
#include "expo/status_format.h"
#include "expo/timeline_svg.h"

/*
 * The chart in its own units (the SVG scales to the page's width, and scrolls sideways on a
 * phone rather than shrink its text): runner labels, the plot, the busy column.
 */
#define W 1100
#define LABEL_W 222
#define PLOT_X0 230.0
#define PLOT_X1 1040.0
#define TOP 44 /* above the first row: the time axis, and room for its bars' tips */
#define ROW_H 28
#define BAR_Y 5
#define BAR_H 18
#define MIN_BAR 2.0 /* a job of a second in a day is still a mark to point at */
#define LETTER_MIN 12.0 /* bars this wide carry their result's letter */
#define LABEL_CHARS 30

static const char *const letters[RESULT_MAX] = {
	[RESULT_SUCCESS] = "S",	  [RESULT_SUCCESS_WITH_ISSUES] = "W", [RESULT_FAILURE] = "F",
	[RESULT_CANCELLED] = "C", [RESULT_SKIPPED] = "K",	      [RESULT_ABANDONED] = "A",
};

const char *timeline_letter(int result)
{
	if (result >= 0 && result < RESULT_MAX)
		return letters[result];
	return "R";
}

static const char *class_of(int result)
{
	return result == TIMELINE_RUNNING ? "running" : detect__result_name(result);
}

void timeline_busy(char *out, size_t sz, const struct timeline_view *v,
		   const struct timeline_row *r)
{
	uint64_t len = v->o.w1 > v->o.w0 ? v->o.w1 - v->o.w0 : 1;
	double pct = 100.0 * (double)r->busy_ns / (double)len;

	if (r->busy_ns && pct < 0.5)
		snprintf(out, sz, "<1%%");
	else
		snprintf(out, sz, "%.0f%%", pct);
}

static double x_of(const struct timeline_view *v, uint64_t t)
{
	uint64_t len = v->o.w1 > v->o.w0 ? v->o.w1 - v->o.w0 : 1;

	if (t <= v->o.w0)
		return PLOT_X0;
	if (t >= v->o.w1)
		return PLOT_X1;
	return PLOT_X0 + (PLOT_X1 - PLOT_X0) * (double)(t - v->o.w0) / (double)len;
}

static double wall_of(const struct timeline_render *o, uint64_t t)
{
	return t <= o->now ? o->wall_now - (double)(o->now - t) / 1e9
			   : o->wall_now + (double)(t - o->now) / 1e9;
}

static void put_clock(struct buf *b, double wall, int secs)
{
	time_t t = (time_t)wall;
	struct tm tm;
	char s[16];

	gmtime_r(&t, &tm);
	strftime(s, sizeof(s), secs ? "%H:%M:%S" : "%H:%M", &tm);
	buf_puts(b, s);
}

/* s cut to n characters, ending in "…" when cut: 1 when it was */
static int put_cut(struct buf *b, const char *s, int n)
{
	char cut[4 * LABEL_CHARS + 32];
	size_t i = 0, keep = 0;
	int k = 0;

	while (s[i] && k < n) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		if (++k == n - 1)
			keep = i;
	}
	if (!s[i]) {
		status_escape_html(b, s);
		return 0;
	}
	snprintf(cut, sizeof(cut), "%.*s\xe2\x80\xa6", (int)keep, s);
	status_escape_html(b, cut);
	return 1;
}

static void job_title(struct buf *b, const struct timeline_job *j)
{
	if (!j->have_ctx) {
		buf_printf(b, "pid %u", j->pid);
		return;
	}
	status_escape_html(b, timeline_job_repository(j));
	if (timeline_job_workflow(j)[0]) {
		buf_puts(b, " · ");
		status_escape_html(b, timeline_job_workflow(j));
	}
	if (timeline_job_name(j)[0]) {
		buf_puts(b, " · ");
		status_escape_html(b, timeline_job_name(j));
	}
}

/* the second line of a job's details: result, times, CPU, memory */
static void job_facts(struct buf *b, const struct timeline_job *j, const struct timeline_render *o)
{
	char dur[32], cpu[32], rss[32];

	status_duration(dur, sizeof(dur), j->end_ns - j->start_ns);
	status_duration(cpu, sizeof(cpu), j->cpu_ns);
	if (j->result == TIMELINE_RUNNING) {
		buf_puts(b, "running since ");
		put_clock(b, wall_of(o, j->start_ns), 1);
		buf_printf(b, " UTC, %s so far, CPU %s", dur, cpu);
		return;
	}
	buf_puts(b, detect__result_name(j->result));
	if (WIFSIGNALED(j->exit_code))
		buf_printf(b, " (signal %d)", WTERMSIG(j->exit_code));
	buf_puts(b, ", ");
	put_clock(b, wall_of(o, j->start_ns), 1);
	buf_puts(b, "–");
	put_clock(b, wall_of(o, j->end_ns), 1);
	status_bytes(rss, sizeof(rss), j->max_rss);
	buf_printf(b, " UTC, %s, CPU %s, peak memory %s", dur, cpu, rss);
	if (j->oom_kills)
		buf_printf(b, ", %u OOM kill%s", j->oom_kills, j->oom_kills == 1 ? "" : "s");
}

static void bar(struct buf *b, const struct timeline_view *v, const struct timeline_item *it,
		double y, const struct timeline_render *o)
{
	const struct timeline_job *j = it->job;
	double x0 = x_of(v, j->start_ns), x1 = x_of(v, j->end_ns), w = x1 - x0, tx;

	if (w < MIN_BAR) {
		w = MIN_BAR;
		if (x0 + w > PLOT_X1)
			x0 = PLOT_X1 - w;
	}
	buf_printf(b, "<g class=\"j %s\" tabindex=\"0\"><title>", class_of(j->result));
	job_title(b, j);
	buf_puts(b, "\n");
	job_facts(b, j, o);
	buf_printf(b, "</title><rect x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%d\"/>", x0,
		   y + BAR_Y, w, BAR_H);
	if (w >= LETTER_MIN)
		buf_printf(b, "<text class=\"l\" x=\"%.1f\" y=\"%.0f\">%s</text>", x0 + w / 2,
			   y + BAR_Y + 13, timeline_letter(j->result));
	/*
	 * The details again, shown above the bar on hover and on keyboard focus (a <title> is a
	 * tooltip for the mouse only): drawn after the rows above it, so over them.
	 */
	tx = x0 < (PLOT_X0 + PLOT_X1) / 2 ? x0 : x0 + w;
	buf_printf(b, "<text class=\"tip%s\" x=\"%.1f\" y=\"%.0f\">",
		   x0 < (PLOT_X0 + PLOT_X1) / 2 ? "" : " e", tx, y - 16);
	job_title(b, j);
	buf_printf(b, "<tspan x=\"%.1f\" dy=\"15\">", tx);
	job_facts(b, j, o);
	buf_puts(b, "</tspan></text></g>\n");
}

static void axis(struct buf *b, const struct timeline_view *v, const struct timeline_render *o,
		 double y1)
{
	static const unsigned int steps[] = { 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200,
					      10800, 21600, 43200, 86400 };
	double len = (double)(v->o.w1 - v->o.w0) / 1e9, t0 = wall_of(o, v->o.w0);
	unsigned int step = steps[sizeof(steps) / sizeof(steps[0]) - 1];

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
		if (len / steps[i] <= 8) {
			step = steps[i];
			break;
		}
	buf_puts(b, "<g class=\"axis\" aria-hidden=\"true\">");
	for (double t = ((long long)(t0 / step) + 1) * (double)step; t < t0 + len; t += step) {
		double x = PLOT_X0 + (PLOT_X1 - PLOT_X0) * (t - t0) / len;

		buf_printf(b, "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%d\" y2=\"%.0f\"/>", x, x, TOP - 6,
			   y1);
		/* a time right beside "now" would run into it */
		if (x > PLOT_X1 - 40)
			continue;
		buf_printf(b, "<text x=\"%.1f\" y=\"%d\">", x, TOP - 10);
		put_clock(b, t, step < 60);
		buf_puts(b, "</text>");
	}
	buf_printf(b, "<line class=\"now\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%d\" y2=\"%.0f\"/>"
		      "<text x=\"%.0f\" y=\"%d\">now</text>"
		      "<text class=\"e\" x=\"%d\" y=\"%d\">busy</text></g>\n",
		   PLOT_X1, PLOT_X1, TOP - 6, y1, PLOT_X1, TOP - 10, W - 4, TOP - 10);
}

static void row(struct buf *b, const struct timeline_view *v, const struct timeline_row *r, int i,
		const struct timeline_render *o)
{
	double y = TOP + (double)i * ROW_H;
	char busy[16];

	buf_puts(b, "<g class=\"row\" data-runner=\"");
	status_escape_html(b, r->runner);
	buf_puts(b, "\">");
	if (i % 2)
		buf_printf(b, "<rect class=\"z\" x=\"0\" y=\"%.0f\" width=\"%d\" height=\"%d\"/>", y,
			   W, ROW_H);
	buf_printf(b, "<text class=\"rn\" x=\"0\" y=\"%.0f\">", y + 13);
	if (put_cut(b, r->runner, LABEL_CHARS)) {
		buf_puts(b, "<title>");
		status_escape_html(b, r->runner);
		buf_puts(b, "</title>");
	}
	buf_printf(b, "</text><text class=\"rg\" x=\"0\" y=\"%.0f\">", y + 25);
	put_cut(b, r->group, LABEL_CHARS + 6);
	timeline_busy(busy, sizeof(busy), v, r);
	buf_printf(b, "</text><text class=\"e\" x=\"%d\" y=\"%.0f\">%s</text>\n", W - 4, y + 18,
		   busy);
	for (int k = r->first; k < r->first + r->n; k++)
		if (v->items[k].drawn)
			bar(b, v, &v->items[k], y, o);
	buf_puts(b, "</g>\n");
}

/* Okabe & Ito's colours, told apart with every common colour blindness; failures hatched */
static const char defs[] =
	"<defs><pattern id=\"hf\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\" "
	"patternTransform=\"rotate(45)\"><rect width=\"6\" height=\"6\" fill=\"#D55E00\"/>"
	"<rect width=\"2\" height=\"6\" fill=\"#7a2f00\"/></pattern>"
	"<pattern id=\"ha\" width=\"6\" height=\"6\" patternUnits=\"userSpaceOnUse\">"
	"<rect width=\"6\" height=\"6\" fill=\"#E69F00\"/><path d=\"M0 0L6 6M6 0L0 6\" "
	"stroke=\"#6b4a00\"/></pattern></defs>\n";

static void legend(struct buf *b)
{
	buf_puts(b, "<ul class=\"legend\"><li><span class=\"sw running\">R</span>running</li>");
	for (int i = 0; i < RESULT_MAX; i++)
		buf_printf(b, "<li><span class=\"sw %s\">%s</span>%s</li>", detect__result_name(i),
			   letters[i], detect__result_name(i));
	buf_puts(b, "</ul>\n");
}

static void summary(struct buf *b, const struct timeline_view *v)
{
	int by[RESULT_MAX] = { 0 }, running = 0;

	for (int i = 0; i < v->nitems; i++) {
		int r = v->items[i].job->result;

		if (r == TIMELINE_RUNNING)
			running++;
		else if (r >= 0 && r < RESULT_MAX)
			by[r]++;
	}
	buf_printf(b, "%d runners, %d with jobs in the window; %d jobs", v->nrows, v->active,
		   v->nitems);
	for (int i = 0; i < RESULT_MAX; i++)
		if (by[i])
			buf_printf(b, ", %d %s", by[i], detect__result_name(i));
	if (running)
		buf_printf(b, ", %d running", running);
	buf_puts(b, ".");
}

static void window_links(struct buf *b, const struct timeline_render *o)
{
	static const char *const wins[] = { "1h", "6h", "24h" };

	buf_puts(b, "<nav class=\"win\" aria-label=\"Timeline window\">Window:");
	for (size_t i = 0; i < sizeof(wins) / sizeof(wins[0]); i++)
		buf_printf(b, " <a href=\"?window=%s%s\"%s>%s</a>", wins[i],
			   o->refresh ? "" : "&amp;refresh=0",
			   strcmp(o->window, wins[i]) ? "" : " aria-current=\"page\"", wins[i]);
	buf_puts(b, "</nav>\n");
}

static void folded(struct buf *b, const struct timeline_view *v)
{
	char busy[16];

	if (v->active > v->shown) {
		buf_printf(b, "<details class=\"fold\"><summary>and %d less busy runners</summary>"
			      "<ul>",
			   v->active - v->shown);
		for (int i = v->shown; i < v->active; i++) {
			const struct timeline_row *r = v->rows[i];

			timeline_busy(busy, sizeof(busy), v, r);
			buf_puts(b, "<li data-runner=\"");
			status_escape_html(b, r->runner);
			buf_puts(b, "\"><b>");
			status_escape_html(b, r->runner);
			buf_puts(b, "</b> (");
			status_escape_html(b, r->group);
			buf_printf(b, "): %s busy, %d job%s</li>", busy, r->n, r->n == 1 ? "" : "s");
		}
		buf_puts(b, "</ul></details>\n");
	}
	if (v->nrows > v->active) {
		buf_printf(b, "<details class=\"fold\"><summary>and %d idle runner%s</summary><ul>",
			   v->nrows - v->active, v->nrows - v->active == 1 ? "" : "s");
		for (int i = v->active; i < v->nrows; i++) {
			buf_puts(b, "<li data-runner=\"");
			status_escape_html(b, v->rows[i]->runner);
			buf_puts(b, "\">");
			status_escape_html(b, v->rows[i]->runner);
			buf_puts(b, " (");
			status_escape_html(b, v->rows[i]->group);
			buf_puts(b, ")</li>");
		}
		buf_puts(b, "</ul></details>\n");
	}
}

void timeline_render_html(struct buf *b, const struct timeline_view *v,
			  const struct timeline_render *o)
{
	double h = TOP + (double)v->shown * ROW_H + 4;

	buf_puts(b, "<section class=\"tl\"><h2>Timeline</h2>\n");
	window_links(b, o);
	if (!v->nrows) {
		buf_puts(b, "<p class=\"empty\">No runner seen yet.</p></section>\n");
		return;
	}
	if (!v->shown) {
		buf_printf(b, "<p class=\"empty\">No job in the last %s.</p>\n", o->window);
	} else {
		buf_printf(b,
			   "<div class=\"tlw\"><svg id=\"timeline\" viewBox=\"0 0 %d %.0f\" "
			   "role=\"group\" aria-labelledby=\"tl-t\" aria-describedby=\"tl-d\">"
			   "<title id=\"tl-t\">Jobs by runner, the last %s</title><desc id=\"tl-d\">",
			   W, h, o->window);
		summary(b, v);
		buf_puts(b, " Each bar is a job, from its start to its end (a running job's "
			    "reaches now), with its result's letter; the tables below list the "
			    "runners, the running and the last finished jobs.</desc>\n");
		buf_puts(b, defs);
		axis(b, v, o, h - 4);
		for (int i = 0; i < v->shown; i++)
			row(b, v, v->rows[i], i, o);
		buf_puts(b, "</svg></div>\n");
		legend(b);
	}
	if (v->undrawn)
		buf_printf(b, "<p class=\"note\">%d older jobs in this window are not drawn (a page "
			      "draws the newest %d); the busy figures count them.</p>\n",
			   v->undrawn, TIMELINE_MAX_BARS);
	if (o->dropped_end_ns > v->o.w0) {
		buf_printf(b, "<p class=\"note\">The timeline keeps the last %u jobs: none that "
			      "ended before ",
			   o->keep_jobs);
		put_clock(b, wall_of(o, o->dropped_end_ns), 0);
		buf_puts(b, " UTC is shown.</p>\n");
	}
	folded(b, v);
	buf_puts(b, "</section>\n");
}
