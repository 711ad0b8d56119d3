// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <zlib.h>
#include <cmocka.h>
#include "web/gzip.h"

/* text like a page's, with a byte changed now and then so that it is not all repeats */
static char *sample(size_t n, unsigned int seed)
{
	static const char line[] = "runnerscope_jobs_finished_total{result=\"ok\"} 1\n";
	char *s = malloc(n + 1);

	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		s[i] = (char)(line[(i + seed) % (sizeof(line) - 1)] ^ ((i + seed) % 977 == 0));
	s[n] = '\0';
	return s;
}

/* z must be one whole gzip member (zlib checks the trailer) with nothing after it, of want */
static void check_gunzip(const char *z, size_t len, const char *want, size_t want_len)
{
	char *back = malloc(want_len + 16);
	z_stream s = {};

	assert_non_null(back);
	assert_true(len >= GZIP_HEADER_LEN + GZIP_TRAILER_LEN);
	assert_int_equal((unsigned char)z[0], 0x1f);
	assert_int_equal((unsigned char)z[1], 0x8b);
	assert_int_equal(inflateInit2(&s, 15 + 16), Z_OK);
	s.next_in = (Bytef *)(uintptr_t)z;
	s.avail_in = (uInt)len;
	s.next_out = (Bytef *)back;
	s.avail_out = (uInt)(want_len + 16);
	assert_int_equal(inflate(&s, Z_FINISH), Z_STREAM_END);
	assert_int_equal(s.avail_in, 0);
	assert_int_equal(s.total_out, want_len);
	assert_memory_equal(back, want, want_len);
	inflateEnd(&s);
	free(back);
}

static void test_body_round_trip(void **state)
{
	static const size_t sizes[] = { 0, 1, 4096, 1 << 20 };
	struct buf z;

	(void)state;
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		char *in = sample(sizes[k], 0);

		assert_int_equal(gzip_body(in, sizes[k], &z), 0);
		check_gunzip(z.p, z.len, in, sizes[k]);
		buf_free(&z);
		free(in);
	}
	/* an empty body may be NULL, nothing having been allocated */
	assert_int_equal(gzip_body(NULL, 0, &z), 0);
	check_gunzip(z.p, z.len, "", 0);
	buf_free(&z);
}

/*
 * A kept page and a request's tail, as pages.c sends them: the page's header and open blocks
 * made once, then for each tail its final blocks (small window) and the trailer of the whole.
 */
static void test_page_and_tails(void **state)
{
	static const size_t pages[] = { 0, 1, 5000, 1 << 20 };
	static const size_t tails[] = { 0, 1, 700, 9000 };

	(void)state;
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		char *page = sample(pages[i], 0);
		uint32_t crc = gzip_crc32(0, page, pages[i]);
		struct buf gz;

		buf_init(&gz);
		gzip_header(&gz);
		assert_int_equal(gzip_deflate_raw(page, pages[i], 0, &gz), 0);
		assert_false(gz.oom);
		/* the same page blocks, with different tails after them */
		for (size_t j = 0; j < sizeof(tails) / sizeof(tails[0]); j++) {
			size_t n = tails[j];
			char *tail = sample(n, (unsigned int)j + 1), *whole, *want;
			struct buf t;

			buf_init(&t);
			assert_int_equal(gzip_deflate_raw(tail, n, GZIP_FINAL | GZIP_SMALL, &t), 0);
			gzip_trailer(&t, gzip_crc32_combine(crc, gzip_crc32(0, tail, n), n),
				     pages[i] + n);
			assert_false(t.oom);
			whole = malloc(gz.len + t.len);
			want = malloc(pages[i] + n + 1);
			assert_non_null(whole);
			assert_non_null(want);
			memcpy(whole, gz.p, gz.len);
			memcpy(whole + gz.len, t.p, t.len);
			memcpy(want, page, pages[i]);
			memcpy(want + pages[i], tail, n);
			check_gunzip(whole, gz.len + t.len, want, pages[i] + n);
			free(whole);
			free(want);
			buf_free(&t);
			free(tail);
		}
		buf_free(&gz);
		free(page);
	}
}

static void test_crc_and_trailer(void **state)
{
	static const char ab[] = "abcdefghij0123456789";
	uint32_t a = gzip_crc32(0, ab, 8), b = gzip_crc32(0, ab + 8, 12);
	unsigned char *p;
	struct buf t;

	(void)state;
	assert_int_equal(gzip_crc32(0, ab, 20), (uint32_t)crc32(0, (const Bytef *)ab, 20));
	assert_int_equal(gzip_crc32_combine(a, b, 12), gzip_crc32(0, ab, 20));
	assert_int_equal(gzip_crc32(0, NULL, 0), 0);
	/* little-endian, and the length modulo 2^32 */
	buf_init(&t);
	gzip_trailer(&t, 0x11223344u, (1ULL << 32) + 5);
	assert_int_equal(t.len, GZIP_TRAILER_LEN);
	p = (unsigned char *)t.p;
	assert_int_equal(p[0], 0x44);
	assert_int_equal(p[3], 0x11);
	assert_int_equal(p[4], 5);
	assert_int_equal(p[5] | p[6] | p[7], 0);
	buf_free(&t);
}

/* a buffer that already lost an allocation is not appended to */
static void test_oom_buffer(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b);
	b.oom = 1;
	assert_int_equal(gzip_deflate_raw("x", 1, GZIP_FINAL, &b), -ENOMEM);
	assert_int_equal(b.len, 0);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_body_round_trip),
		cmocka_unit_test(test_page_and_tails),
		cmocka_unit_test(test_crc_and_trailer),
		cmocka_unit_test(test_oom_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
