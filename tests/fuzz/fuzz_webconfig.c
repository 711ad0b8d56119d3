// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* --web.config.file: YAML, as an operator (or a mistake) could write it */
#include <stdint.h>
#include <stddef.h>
#include "lib/log.h"
#include "web/webconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int quiet;
	char err[512];
	struct webconfig *c;

	/* a config that sets http2 is noted at info level: not on every input */
	if (!quiet) {
		log_setup(LOG_WARN, LOG_FMT_LOGFMT);
		quiet = 1;
	}
	c = webconfig_parse((const char *)data, size, "fuzz.yml", "/nonexistent", err, sizeof(err));
	webconfig__free(c);
	return 0;
}
