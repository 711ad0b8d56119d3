// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What a client's request headers reach: Accept and Accept-Encoding negotiation, the Basic
 * credentials, and (from the flag) the listen address; gzip round trips of the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "web/auth.h"
#include "expo/expo.h"
#include "web/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const offers[] = { "application/openmetrics-text", "text/plain",
					      "text/html", "*/*" };
	char *s = malloc(size + 1), user[128], pass[128], host[256], port[16];
	const char *version;
	struct buf out;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	http_accept_pick(s, offers, 4);
	http_metrics_format(s, &version);
	http_accepts_gzip(s);
	auth_parse_basic(s, user, sizeof(user), pass, sizeof(pass));
	http_parse_listen(s, host, sizeof(host), port, sizeof(port));
	buf_init(&out);
	if (!http_gzip((const char *)data, size, &out)) {
		/* what was compressed comes back the same */
		uLongf n = size + 1;
		char *back = malloc(n);
		z_stream z = { 0 };

		if (back && inflateInit2(&z, 16 + MAX_WBITS) == Z_OK) {
			z.next_in = (Bytef *)out.p;
			z.avail_in = (uInt)out.len;
			z.next_out = (Bytef *)back;
			z.avail_out = (uInt)n;
			if (inflate(&z, Z_FINISH) != Z_STREAM_END || z.total_out != size ||
			    memcmp(back, data, size))
				abort();
			inflateEnd(&z);
		}
		free(back);
	}
	buf_free(&out);
	free(s);
	return 0;
}
