// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The status page's values as it writes them: text escaped for HTML or a terminal, durations,
 * sizes. What the page, its tables and its timeline all write with; it calls none of them.
 */
#include <stdio.h>
#include "expo/status_format.h"

#define FFFD "\xef\xbf\xbd"

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
