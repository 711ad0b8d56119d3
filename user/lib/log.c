// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Logs on stderr, one line each: logfmt (ts=… level=… msg="…") or JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <pthread.h>
#include <bpf/libbpf.h>
#include "lib/log.h"

static enum log_level cur_level = LOG_INFO;
static enum log_format cur_format = LOG_FMT_LOGFMT;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *const level_names[] = { "error", "warn", "info", "debug" };

int log_parse_level(const char *s, enum log_level *out)
{
	for (unsigned int i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (!strcasecmp(s, level_names[i])) {
			*out = i;
			return 0;
		}
	}
	return -1;
}

int log_parse_format(const char *s, enum log_format *out)
{
	if (!strcmp(s, "logfmt"))
		*out = LOG_FMT_LOGFMT;
	else if (!strcmp(s, "json"))
		*out = LOG_FMT_JSON;
	else
		return -1;
	return 0;
}

void log_setup(enum log_level level, enum log_format format)
{
	cur_level = level;
	cur_format = format;
}

int log_enabled(enum log_level level)
{
	return level <= cur_level;
}

/* quote for logfmt or JSON: both escape quotes, backslashes and control characters */
static void put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* one line, however long: a message with line breaks in it is still one record */
static void put_line(enum log_level level, const char *msg)
{
	char ts[64];
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	gmtime_r(&now.tv_sec, &tm);
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(now.tv_nsec / 1000000));

	pthread_mutex_lock(&log_lock);
	if (cur_format == LOG_FMT_JSON) {
		fprintf(stderr, "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":", ts, level_names[level]);
		put_quoted(stderr, msg);
		fputs("}\n", stderr);
	} else {
		fprintf(stderr, "ts=%s level=%s msg=", ts, level_names[level]);
		put_quoted(stderr, msg);
		fputc('\n', stderr);
	}
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
}

/* the message formatted whole, never cut; trailing line breaks dropped */
static char *format(const char *fmt, va_list ap)
{
	char *msg;
	size_t len;

	if (vasprintf(&msg, fmt, ap) < 0)
		return NULL;
	len = strlen(msg);
	while (len && msg[len - 1] == '\n')
		msg[--len] = '\0';
	return msg;
}

static void vlog(enum log_level level, const char *fmt, va_list ap)
{
	char *msg = format(fmt, ap);

	put_line(level, msg ? msg : fmt);
	free(msg);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

int log_libbpf(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum log_level l = level == LIBBPF_WARN ? LOG_WARN : LOG_DEBUG;
	char *msg, *line, *next;

	/* libbpf warns at length about each failed load attempt: the caller says it in one line */
	if (l == LOG_WARN && !log_enabled(LOG_DEBUG))
		return 0;
	if (!log_enabled(l) || !(msg = format(fmt, ap)))
		return 0;
	/* a verifier's log comes as one message of thousands of lines: a record each */
	for (line = msg; line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		put_line(l, line);
	}
	free(msg);
	return 0;
}
