/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * gzip (RFC 1952), made of its parts: a header, raw deflate blocks, a trailer with the CRC-32
 * and length of what was deflated. A whole body is the three in a row; a kept /metrics page is
 * the header and its blocks made once, left open, and each request's tail adds its own final
 * blocks and the trailer of the whole (see pages.h).
 */
#ifndef RUNNERSCOPE_GZIP_H
#define RUNNERSCOPE_GZIP_H

#include <stddef.h>
#include <stdint.h>
#include "lib/buf.h"

#define GZIP_HEADER_LEN	 10
#define GZIP_TRAILER_LEN 8

enum {
	/* the last blocks of the stream; without it they end flushed to a byte, for more */
	GZIP_FINAL = 1 << 0,
	/* a 512-byte window and the least memory: for an input of a few KiB, made often */
	GZIP_SMALL = 1 << 1,
};

/* appends the header: deflate, no name, no time, OS unknown */
void gzip_header(struct buf *out);
/* appends raw deflate blocks of in (NULL when len is 0); 0 or -errno (out then unchanged) */
int gzip_deflate_raw(const char *in, size_t len, unsigned int flags, struct buf *out);
/* appends the trailer of a stream whose input had CRC-32 crc and len bytes */
void gzip_trailer(struct buf *out, uint32_t crc, uint64_t len);

/* the CRC-32 of in continued from crc (0 to begin) */
uint32_t gzip_crc32(uint32_t crc, const char *in, size_t len);
/* the CRC-32 of a then b, from their two CRCs and b's length */
uint32_t gzip_crc32_combine(uint32_t crc_a, uint32_t crc_b, size_t len_b);

/* one whole gzip member of in into out; 0 or -errno (out is then freed) */
int gzip_body(const char *in, size_t len, struct buf *out);

#endif
