// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <json-c/json.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "expo/history.h"
#include "expo/timeline.h"
#include "state/state.h"
#include "ci/kinds/kinds.h"

#define CHUNK (64U << 10)
#define STARTED "{\"event\":\"job_started\","
#define NS 1000000000LL
/* CPU seconds or a duration beyond this are not a job's (and would not fit in nanoseconds) */
#define MAX_SECONDS 1e9
#define MAX_WALL_S 8000000000LL

static int fail(char *why, size_t sz, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t sz, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sz, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* a string value (absent or null: "") as valid UTF-8, cut to dst's size; -EINVAL: not a string */
static int get_str(struct json_object *o, const char *key, char *dst, size_t sz)
{
	struct json_object *v;

	dst[0] = '\0';
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	utf8_sanitize(dst, sz, json_object_get_string(v), (size_t)json_object_get_string_len(v));
	return 0;
}

/* an integer in [0, max] (absent or null: 0, or -ENOENT when required) */
static int get_uint(struct json_object *o, const char *key, uint64_t max, int required,
		    uint64_t *out)
{
	struct json_object *v;
	int64_t n;

	*out = 0;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return required ? -ENOENT : 0;
	if (!json_object_is_type(v, json_type_int))
		return -EINVAL;
	n = json_object_get_int64(v);
	if (n < 0 || (uint64_t)n > max)
		return -ERANGE;
	*out = (uint64_t)n;
	return 0;
}

/* seconds, as nanoseconds (absent or null: 0) */
static int get_seconds(struct json_object *o, const char *key, uint64_t *ns)
{
	struct json_object *v;
	double d;

	*ns = 0;
	if (!json_object_object_get_ex(o, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
		return -EINVAL;
	d = json_object_get_double(v);
	if (!isfinite(d) || d < 0 || d > MAX_SECONDS)
		return -ERANGE;
	*ns = (uint64_t)llround(d * 1e9);
	return 0;
}

/* n digits at s as a number; -1 when one is not a digit */
static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* "2026-11-23T09:20:06.127Z" (the fraction optional, up to nanoseconds) as ns since the epoch */
static int parse_time(const char *s, int64_t *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	struct tm tm = { 0 };
	int64_t frac = 0, scale = NS;
	int y, mo, d, h, mi, sec;
	time_t t;

	if (strlen(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':')
		return -EINVAL;
	y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	h = digits(s + 11, 2), mi = digits(s + 14, 2), sec = digits(s + 17, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h < 0 || h > 23 ||
	    mi < 0 || mi > 59 || sec < 0 || sec > 60)
		return -EINVAL;
	s += 19;
	if (*s == '.') {
		int n = 0;

		for (s++; *s >= '0' && *s <= '9'; s++, n++) {
			if (n == 9)
				return -EINVAL;
			frac = frac * 10 + (*s - '0');
			scale /= 10;
		}
		if (!n)
			return -EINVAL;
	}
	if (strcmp(s, "Z"))
		return -EINVAL;
	tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
	tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec;
	t = timegm(&tm);
	/* past 2223 its nanoseconds, with a job's longest duration added, leave int64_t */
	if (t < 0 || t > MAX_WALL_S)
		return -EINVAL;
	*out = (int64_t)t * NS + frac * scale;
	return 0;
}

static int get_time(struct json_object *o, const char *key, int64_t *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !v)
		return -ENOENT;
	if (!json_object_is_type(v, json_type_string))
		return -EINVAL;
	return parse_time(json_object_get_string(v), out);
}

/* a name one of names(0 … n-1) gives: its index, or -1 */
static int name_index(const char *s, int first, int n, const char *(*names)(int))
{
	for (int i = first; i < n; i++)
		if (!strcmp(s, names(i)))
			return i;
	return -1;
}

static const char *result_name(int i)
{
	return detect__result_name((enum job_result)i);
}

static const char *reason_name(int i)
{
	return detect__reason_name((enum job_reason)i);
}

/* the job's names and context: strings or null, cut to their fields */
static int get_names(struct json_object *o, struct job_record *r, char *why, size_t why_sz)
{
	struct job_context *c = &r->ctx;
	const struct {
		const char *key;
		char *dst;
		size_t sz;
	} f[] = {
		{ "runner", r->runner, sizeof(r->runner) },
		{ "container_id", r->container_id, sizeof(r->container_id) },
		{ "container", r->container, sizeof(r->container) },
		{ "pod", r->pod, sizeof(r->pod) },
		{ "namespace", r->ns, sizeof(r->ns) },
		{ "repository", c->repository, sizeof(c->repository) },
		{ "workflow", c->workflow, sizeof(c->workflow) },
		{ "job", c->job, sizeof(c->job) },
		{ "run_id", c->run_id, sizeof(c->run_id) },
		{ "run_attempt", c->run_attempt, sizeof(c->run_attempt) },
		{ "tracking_id", c->tracking_id, sizeof(c->tracking_id) },
	};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (get_str(o, f[i].key, f[i].dst, f[i].sz))
			return fail(why, why_sz, "%s is not a string", f[i].key);
	r->have_ctx = c->repository[0] || c->workflow[0] || c->job[0];
	return 0;
}

/* who had the job's CPUs (cpu_neighbours), as many as the record keeps; bad entries are left */
static void get_neighbours(struct json_object *o, struct job_record *r)
{
	static const char *const types[] = { [NB_JOB] = "job", [NB_CONTAINER] = "container",
					     [NB_HOST] = "host" };
	struct json_object *a;
	char type[16];

	if (!json_object_object_get_ex(o, "cpu_neighbours", &a) ||
	    !json_object_is_type(a, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(a) && r->nneighbours < JOB_NEIGHBOURS_MAX;
	     i++) {
		struct json_object *e = json_object_array_get_idx(a, i);
		struct job_record_neighbour *nb = &r->neighbours[r->nneighbours];
		uint64_t pid = 0;
		int t;

		memset(nb, 0, sizeof(*nb));
		if (!json_object_is_type(e, json_type_object) ||
		    get_str(e, "type", type, sizeof(type)) ||
		    get_seconds(e, "cpu_seconds", &nb->cpu_ns))
			continue;
		for (t = NB_JOB; t <= NB_HOST && strcmp(type, types[t]); t++)
			;
		if (t > NB_HOST || get_str(e, t == NB_JOB ? "runner" : "container", nb->name,
					   sizeof(nb->name)) ||
		    get_str(e, "job", nb->job, sizeof(nb->job)) ||
		    get_uint(e, "pid", UINT32_MAX, 0, &pid))
			continue;
		nb->type = t;
		nb->pid = (uint32_t)pid;
		r->nneighbours++;
	}
}

/* the figures: CPU, memory, I/O, OOM kills, processes, and the wait status */
static int get_figures(struct json_object *o, struct job_record *r, char *why, size_t why_sz)
{
	const struct {
		const char *key;
		uint64_t max;
		uint64_t *dst;
	} f[] = {
		{ "max_rss_bytes", INT64_MAX, &r->max_rss },
		{ "io_read_bytes", INT64_MAX, &r->io_read_bytes },
		{ "io_write_bytes", INT64_MAX, &r->io_write_bytes },
		{ "oom_kills", UINT32_MAX, &r->oom_kills },
	};
	struct json_object *v;
	uint64_t procs, code, sig;

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
		if (get_uint(o, f[i].key, f[i].max, 0, f[i].dst))
			return fail(why, why_sz, "%s is not a count", f[i].key);
	if (get_uint(o, "processes", UINT32_MAX, 0, &procs))
		return fail(why, why_sz, "processes is not a count");
	r->processes = (uint32_t)procs;
	if (get_seconds(o, "cpu_user_seconds", &r->cpu_user_ns) ||
	    get_seconds(o, "cpu_system_seconds", &r->cpu_system_ns) ||
	    get_seconds(o, "cpu_wait_seconds", &r->cpu_wait_ns))
		return fail(why, why_sz, "a CPU time is not a number of seconds");
	/* a wait of null: the kernel did not keep it */
	r->has_wait = json_object_object_get_ex(o, "cpu_wait_seconds", &v) && v;
	get_neighbours(o, r);
	/* the wait status again: an exit code, or the signal that ended it */
	if (get_uint(o, "exit_code", 255, 0, &code) || get_uint(o, "signal", 127, 0, &sig))
		return fail(why, why_sz, "exit_code or signal is out of range");
	r->exit_code = sig ? (int)sig : (int)(code << 8);
	return 0;
}

int history_parse_line(const char *line, size_t len, const struct history_clock *clk,
		       struct job_record *out, char *why, size_t why_sz)
{
	struct json_tokener *tok;
	struct json_object *o = NULL, *v;
	char name[64];
	int64_t start, end;
	uint64_t pid, dur;
	int err = -EINVAL, i;

	memset(out, 0, sizeof(*out));
	/* the writer puts the event first; a job_started line has nothing the page reads, and
	 * not parsing it halves the time a long log takes */
	if (len >= sizeof(STARTED) - 1 && !memcmp(line, STARTED, sizeof(STARTED) - 1))
		return 0;
	tok = json_tokener_new();
	if (!tok)
		return fail(why, why_sz, "out of memory");
	/* the log is UTF-8 JSON: anything else is a damaged line */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	if (len <= INT32_MAX)
		o = json_tokener_parse_ex(tok, line, (int)len);
	if (!o) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		fail(why, why_sz, "not JSON: %s",
		     e == json_tokener_continue ? "it ends too soon" : json_tokener_error_desc(e));
		goto out;
	}
	if (json_tokener_get_parse_end(tok) != len) {
		fail(why, why_sz, "not JSON: more after the object");
		goto out;
	}
	if (!json_object_is_type(o, json_type_object)) {
		fail(why, why_sz, "not a JSON object");
		goto out;
	}
	if (get_str(o, "event", name, sizeof(name)) || !name[0]) {
		fail(why, why_sz, "no event");
		goto out;
	}
	if (strcmp(name, "job_finished")) {
		err = 0;
		goto out;
	}
	if (get_names(o, out, why, why_sz) || get_figures(o, out, why, why_sz))
		goto out;
	if (get_str(o, "kind", name, sizeof(name)) ||
	    (name[0] && !(i = kinds__by_name(name)))) {
		fail(why, why_sz, "kind is not one of runnerscope's");
		goto out;
	}
	out->kind = name[0] ? i : 0;
	out->has_runner = out->kind && out->runner[0];
	if (get_str(o, "result", name, sizeof(name)) ||
	    (i = name_index(name, 0, RESULT_MAX, result_name)) < 0) {
		fail(why, why_sz, "result is not one of runnerscope's");
		goto out;
	}
	out->result = i;
	/* a reason of an older version (worker_crashed, exit_code) is not shown */
	if (get_str(o, "reason", name, sizeof(name))) {
		fail(why, why_sz, "reason is not a string");
		goto out;
	}
	i = name_index(name, 0, REASON_MAX, reason_name);
	out->reason = detect__reason_name(i < 0 ? REASON_NONE : (enum job_reason)i);
	if (get_uint(o, "pid", UINT32_MAX, 1, &pid)) {
		fail(why, why_sz, "no pid, or not a pid");
		goto out;
	}
	out->pid = (uint32_t)pid;
	if (get_time(o, "start_time", &start) || get_time(o, "end_time", &end)) {
		fail(why, why_sz, "start_time or end_time is not a time");
		goto out;
	}
	/* the duration is to the microsecond, the times to the millisecond */
	if (json_object_object_get_ex(o, "duration_seconds", &v) && v) {
		if (get_seconds(o, "duration_seconds", &dur)) {
			fail(why, why_sz, "duration_seconds is not a number of seconds");
			goto out;
		}
		end = start + (int64_t)dur;
	}
	if (end < start) {
		fail(why, why_sz, "it ends before it starts");
		goto out;
	}
	/* the timeline and the page count from this boot: nothing before it has a place there */
	if (start < clk->wall_off_ns) {
		fail(why, why_sz, "it began before this boot");
		err = -ERANGE;
		goto out;
	}
	out->start_ns = (uint64_t)(start - clk->wall_off_ns);
	out->end_ns = (uint64_t)(end - clk->wall_off_ns);
	/* a second for the clocks' two readings; more is a wall clock set back since */
	if (out->end_ns > clk->now_ns + NS) {
		fail(why, why_sz, "it ends after now");
		goto out;
	}
	out->finished = 1;
	err = 1;
out:
	json_object_put(o);
	json_tokener_free(tok);
	return err;
}

/* the file, read a chunk at a time, cut into lines */
struct reader {
	struct timeline *t;
	struct state *s;
	struct history_clock clk;
	struct job_record rec;
	struct history_stats st;
	char first_bad[160]; /* the first line not read, and why */
};

static void bad_line(struct reader *rd, long long at, const char *why)
{
	if (!rd->st.bad++)
		snprintf(rd->first_bad, sizeof(rd->first_bad), "at byte %lld: %s", at, why);
}

static void take_line(struct reader *rd, const char *line, size_t len, long long at, int last)
{
	char why[128];
	int n;

	if (!len)
		return;
	n = history_parse_line(line, len, &rd->clk, &rd->rec, why, sizeof(why));
	if (n == -ERANGE) {
		rd->st.before_boot++;
	} else if (n < 0) {
		/* a daemon stopped in the middle of a write leaves half a line */
		bad_line(rd, at, last ? "the last line is unfinished" : why);
	} else if (n > 0) {
		rd->st.jobs++;
		state__add_recent(rd->s, &rd->rec);
		/* what the timeline's day has no room for is in the last jobs only */
		if (rd->rec.end_ns + TIMELINE_KEEP_NS >= rd->clk.now_ns)
			timeline_add(rd->t, &rd->rec);
	}
}

/* from off to the end: each whole line, and one unfinished at the end */
static int read_lines(struct reader *rd, int fd, off_t off, off_t size)
{
	char *chunk = malloc(CHUNK), *line = malloc(HISTORY_LINE_MAX), c;
	size_t have = 0; /* bytes of the line so far */
	long long at = off; /* where that line began */
	int skip = 0, too_long = 0, err = 0;

	if (!chunk || !line) {
		err = -ENOMEM;
		goto cleanup;
	}
	/* a tail that begins within a line skips what is left of it */
	skip = off > 0 && (pread(fd, &c, 1, off - 1) != 1 || c != '\n');
	while (off < size) {
		size_t want = size - off < CHUNK ? (size_t)(size - off) : CHUNK;
		ssize_t n = pread(fd, chunk, want, off);
		char *p, *end, *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : 0;
			break;
		}
		for (p = chunk, end = chunk + n; p < end; p = nl + 1) {
			size_t part;

			nl = memchr(p, '\n', (size_t)(end - p));
			part = (size_t)((nl ? nl : end) - p);
			if (have + part < HISTORY_LINE_MAX) {
				memcpy(line + have, p, part);
				have += part;
			} else {
				too_long = 1;
			}
			if (!nl)
				break;
			if (too_long && !skip)
				bad_line(rd, at, "it is longer than any line the event log writes");
			else if (!skip)
				take_line(rd, line, have, at, 0);
			at = off + (nl - chunk) + 1;
			have = 0;
			skip = too_long = 0;
		}
		off += n;
	}
	if (too_long && !skip)
		bad_line(rd, at, "it is longer than any line the event log writes");
	else if (have && !skip)
		take_line(rd, line, have, at, 1);
cleanup:
	free(line);
	free(chunk);
	return err;
}

int history__load(const char *path, struct timeline *t, struct state *s,
		  struct history_stats *st)
{
	char tail[32] = "", boot[64] = "";
	struct reader *rd;
	struct stat sb;
	off_t off;
	int fd, err;

	if (st)
		memset(st, 0, sizeof(*st));
	/* O_NONBLOCK: a FIFO must not hold the start-up until a writer comes */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT)
			return 0;
		pr_warn("cannot read back the event log %s: %s", path, strerror(-err));
		return err;
	}
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		pr_info("event log %s is not a regular file: no jobs are read back from it", path);
		close(fd);
		return 0;
	}
	rd = calloc(1, sizeof(*rd));
	if (!rd) {
		close(fd);
		return -ENOMEM;
	}
	rd->t = t;
	rd->s = s;
	rd->clk.now_ns = clock_ns(CLOCK_BOOTTIME);
	rd->clk.wall_off_ns = (int64_t)clock_ns(CLOCK_REALTIME) - (int64_t)rd->clk.now_ns;
	off = sb.st_size > (off_t)HISTORY_TAIL_BYTES ? sb.st_size - (off_t)HISTORY_TAIL_BYTES : 0;
	rd->st.tail = off > 0;
	err = read_lines(rd, fd, off, sb.st_size);
	close(fd);
	if (err)
		pr_warn("cannot read back the event log %s: %s", path, strerror(-err));
	if (rd->st.bad)
		pr_warn("event log %s: %u line%s not read back (the first %s)", path, rd->st.bad,
			rd->st.bad == 1 ? "" : "s", rd->first_bad);
	if (rd->st.tail)
		snprintf(tail, sizeof(tail), " (its last %u MiB)", HISTORY_TAIL_BYTES >> 20);
	if (rd->st.before_boot)
		snprintf(boot, sizeof(boot), "; %u that began before this boot left out",
			 rd->st.before_boot);
	pr_info("read back %u finished jobs from the event log %s%s%s", rd->st.jobs, path, tail,
		boot);
	if (st)
		*st = rd->st;
	free(rd);
	return err;
}
