// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdio.h>
#include <string.h>
#include "kernel/bpflog.h"

/* the lines a verifier ends its log with, whatever it rejected: not the reason */
static int stats_line(const char *l, size_t n)
{
	static const char *const skip[] = { "processed ", "verification time", "stack depth" };

	if (!n)
		return 1;
	for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
		if (n >= strlen(skip[i]) && !strncmp(l, skip[i], strlen(skip[i])))
			return 1;
	return 0;
}

int bpflog_reason(const char *log, char *out, size_t sz)
{
	const char *last[2] = { "", "" };
	size_t lens[2] = { 0, 0 };
	int found = 0;

	for (const char *line = log; *line;) {
		size_t n = strcspn(line, "\n");

		if (!stats_line(line, n)) {
			last[0] = last[1];
			lens[0] = lens[1];
			last[1] = line;
			lens[1] = n;
			found++;
		}
		line += n + (line[n] == '\n');
	}
	if (sz)
		snprintf(out, sz, "%.*s%s%.*s", (int)lens[0], last[0], lens[0] ? "; " : "",
			 (int)lens[1], last[1]);
	return found < 2 ? found : 2;
}
