// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * What a client's request headers reach: Accept and Accept-Encoding negotiation, the Basic
 * credentials, and (from the flag) the listen address; gzip round trips of the input, whole
 * and as a page and a tail.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "web/auth.h"
#include "expo/expo.h"
#include "web/gzip.h"
#include "web/http.h"
#include "web/negotiate.h"

/* z must be one gzip member of exactly want */
static void gunzip_same(const char *z, size_t len, const uint8_t *want, size_t want_len)
{
	uLongf n = want_len + 1;
	char *back = malloc(n);
	z_stream zs = { 0 };

	if (back && inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK) {
		zs.next_in = (Bytef *)(uintptr_t)z;
		zs.avail_in = (uInt)len;
		zs.next_out = (Bytef *)back;
		zs.avail_out = (uInt)n;
		if (inflate(&zs, Z_FINISH) != Z_STREAM_END || zs.total_out != want_len ||
		    zs.avail_in || memcmp(back, want, want_len))
			abort();
		inflateEnd(&zs);
	}
	free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const offers[] = { "application/openmetrics-text", "text/plain",
					      "text/html", "*/*" };
	char *s = malloc(size + 1), user[128], pass[128], host[256], port[16];
	const char *version, *page, *rest;
	struct buf out, tail;
	uint32_t crc;
	size_t cut;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	http_accept_pick(s, offers, 4);
	http_metrics_format(s, &version);
	http_accepts_gzip(s);
	auth_parse_basic(s, user, sizeof(user), pass, sizeof(pass));
	http_parse_listen(s, host, sizeof(host), port, sizeof(port));
	if (!gzip_body((const char *)data, size, &out))
		gunzip_same(out.p, out.len, data, size);
	buf_free(&out);
	/* as a kept page and a request's tail: the input cut in two at its first byte's value */
	cut = size ? data[0] % (size + 1) : 0;
	page = (const char *)data;
	rest = page + cut;
	buf_init(&out);
	gzip_header(&out);
	buf_init(&tail);
	if (!gzip_deflate_raw(page, cut, 0, &out) &&
	    !gzip_deflate_raw(rest, size - cut, GZIP_FINAL | GZIP_SMALL, &tail)) {
		crc = gzip_crc32_combine(gzip_crc32(0, page, cut), gzip_crc32(0, rest, size - cut),
					 size - cut);
		gzip_trailer(&tail, crc, size);
		buf_putn(&out, tail.p, tail.len);
		if (!out.oom)
			gunzip_same(out.p, out.len, data, size);
	}
	buf_free(&tail);
	buf_free(&out);
	free(s);
	return 0;
}
