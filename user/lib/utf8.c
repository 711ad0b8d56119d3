// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <string.h>
#include "lib/utf8.h"

/* length of the valid UTF-8 sequence at s (at most n bytes), 0 when invalid */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned int cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and code points past U+10FFFF */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

size_t utf8_sanitize(char *dst, size_t dst_sz, const char *src, size_t src_len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0;

	if (!dst_sz)
		return 0;
	while (i < src_len) {
		size_t n = utf8_seq(s + i, src_len - i);
		const char *out = (const char *)s + i;
		size_t out_len = n;

		if (n == 1 && s[i] == '\0') {
			i++;
			continue;
		}
		if (!n) {
			out = "\xef\xbf\xbd";
			out_len = 3;
			n = 1;
		}
		if (o + out_len > dst_sz - 1)
			break;
		memcpy(dst + o, out, out_len);
		o += out_len;
		i += n;
	}
	dst[o] = '\0';
	return o;
}
