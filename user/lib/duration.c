// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "lib/duration.h"

int duration_parse(const char *s, uint64_t *ns)
{
	static const struct {
		const char *name;
		double ns;
	} units[] = {
		/* "ms" before "m" */
		{ "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 }, { "d", 86400e9 },
		{ "w", 604800e9 },
	};
	double total = 0;

	if (!*s)
		return -EINVAL;
	while (*s) {
		char *end;
		double v;
		size_t i;

		size_t digits = strspn(s, "0123456789.");

		/* digits and a point only: strtod would take signs, hex, exponents, "inf" */
		if (!digits)
			return -EINVAL;
		v = strtod(s, &end);
		if (end != s + digits)
			return -EINVAL;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strncmp(end, units[i].name, strlen(units[i].name)))
				break;
		if (i == sizeof(units) / sizeof(units[0]))
			return -EINVAL;
		total += v * units[i].ns;
		s = end + strlen(units[i].name);
	}
	if (total >= 18e18)
		return -EINVAL;
	*ns = (uint64_t)total;
	return 0;
}
