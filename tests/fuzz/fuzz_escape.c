// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Names a job or a container controls, on their way out: sanitized to a label value, escaped
 * in the text and OpenMetrics formats, in the status page's HTML and text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "expo/expo.h"
#include "lib/utf8.h"
#include "expo/status.h"
#include "expo/status_format.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char clean[256];
	struct buf b;

	utf8_sanitize(clean, sizeof(clean), (const char *)data, size);
	/* a sanitized value is valid UTF-8 with no NUL: what the formats are given */
	for (int fmt = 0; fmt < 2; fmt++) {
		struct label l[] = { { "runner", clean }, { "kind", "github" } };

		buf_init(&b);
		b.fmt = fmt ? EXPO_OPENMETRICS : EXPO_TEXT;
		expo_family(&b, "runnerscope_fuzz", "gauge", clean);
		expo_sample(&b, "runnerscope_fuzz", l, 2, 1);
		expo_escape_label(&b, clean);
		expo_finish(&b);
		buf_free(&b);
	}
	buf_init(&b);
	status_escape_html(&b, clean);
	status_escape_text(&b, clean);
	buf_free(&b);
	return 0;
}
