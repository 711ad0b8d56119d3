// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <zlib.h>
#include "web/gzip.h"

void gzip_header(struct buf *out)
{
	/* RFC 1952: magic, deflate, no flags, no time, no extra flags, OS unknown */
	static const char head[GZIP_HEADER_LEN] = {
		0x1f, (char)0x8b, 8, 0, 0, 0, 0, 0, 0, (char)255
	};

	buf_putn(out, head, sizeof(head));
}

static void put_le32(struct buf *b, uint32_t v)
{
	char le[4] = { (char)v, (char)(v >> 8), (char)(v >> 16), (char)(v >> 24) };

	buf_putn(b, le, 4);
}

void gzip_trailer(struct buf *out, uint32_t crc, uint64_t len)
{
	put_le32(out, crc);
	/* the length modulo 2^32, as RFC 1952 has it */
	put_le32(out, (uint32_t)(len & 0xffffffffu));
}

/*
 * Each call is a stream of its own, with no dictionary from the blocks before it, which is what
 * lets a request's tail follow a page deflated long before. GZIP_SMALL: a tail is a few KiB,
 * made for every request; a 512-byte window and the least memory (about 6 KiB of state instead
 * of 256 KiB) do for it, and any inflater reads the blocks.
 */
int gzip_deflate_raw(const char *in, size_t len, unsigned int flags, struct buf *out)
{
	int final = flags & GZIP_FINAL, small = flags & GZIP_SMALL;
	z_stream z = {};
	size_t room;
	uLong bound;
	int err;

	if (out->oom)
		return -ENOMEM;
	if (len > UINT_MAX)
		return -EFBIG;
	if (deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, small ? -9 : -15, small ? 1 : 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	/* a sync flush adds an empty stored block: 5 bytes, and a few for the bit buffer */
	bound = deflateBound(&z, (uLong)len) + 16;
	/* and after the blocks, room for the trailer and buf's NUL, so that neither reallocates */
	room = out->len + bound + GZIP_TRAILER_LEN + 1;
	if (room > out->cap) {
		char *p = realloc(out->p, room);

		if (!p) {
			deflateEnd(&z);
			return -ENOMEM;
		}
		out->p = p;
		out->cap = room;
	}
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = (Bytef *)out->p + out->len;
	z.avail_out = (uInt)bound;
	err = deflate(&z, final ? Z_FINISH : Z_SYNC_FLUSH);
	deflateEnd(&z);
	/* all in, and all out: room was left, so nothing is pending in the stream */
	if (err != (final ? Z_STREAM_END : Z_OK) || z.avail_in || !z.avail_out)
		return -EIO;
	out->len += z.total_out;
	out->p[out->len] = '\0';
	return 0;
}

uint32_t gzip_crc32(uint32_t crc, const char *in, size_t len)
{
	return (uint32_t)crc32_z(crc, (const Bytef *)in, len);
}

uint32_t gzip_crc32_combine(uint32_t crc_a, uint32_t crc_b, size_t len_b)
{
	return (uint32_t)crc32_combine(crc_a, crc_b, (z_off_t)len_b);
}

int gzip_body(const char *in, size_t len, struct buf *out)
{
	int err;

	buf_init(out);
	gzip_header(out);
	err = gzip_deflate_raw(in, len, GZIP_FINAL, out);
	if (!err)
		gzip_trailer(out, gzip_crc32(0, in, len), len);
	if (!err && out->oom)
		err = -ENOMEM;
	if (err)
		buf_free(out);
	return err;
}
