/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A growing text buffer: what the exposition, the pages and gzip write into. */
#ifndef RUNNERSCOPE_BUF_H
#define RUNNERSCOPE_BUF_H

#include <stddef.h>

struct buf {
	char *p;
	size_t len;
	size_t cap;
	int oom; /* an allocation failed: the content is incomplete */
	int fmt; /* what its writer writes (expo.h's enum expo_format); buf_init() makes it 0 */
};

void buf_init(struct buf *b);
/* its memory let go; it stays in its format */
void buf_free(struct buf *b);
void buf_putn(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
