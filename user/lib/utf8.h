/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Names read from files and environments, made safe to carry as label values. */
#ifndef RUNNERSCOPE_UTF8_H
#define RUNNERSCOPE_UTF8_H

#include <stddef.h>

#define NAME_LEN 256 /* label values are cut to this many bytes, on a character boundary */

/*
 * Copies src to dst as valid UTF-8 of at most dst_sz - 1 bytes: invalid sequences become
 * U+FFFD, NUL bytes are dropped, the cut falls on a character boundary. Returns dst's length.
 */
size_t utf8_sanitize(char *dst, size_t dst_sz, const char *src, size_t src_len);

#endif
