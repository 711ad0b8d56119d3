// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <cmocka.h>
#include "lib/log.h"
#include "expo/metrics.h"
#include "web/pages.h"
#include "state/state.h"

static _Atomic uint64_t passes;
static struct web_stats web;
static struct state_opts sopts = { .grace_ns = 1 };

static struct metrics_src *src_new(void)
{
	struct metrics_src *src = calloc(1, sizeof(*src));

	assert_non_null(src);
	src->state = state__new(&sopts);
	assert_non_null(src->state);
	src->version = "test";
	src->revision = "test";
	src->host = "test";
	src->web = &web;
	src->passes = &passes;
	return src;
}

static void src_free(struct metrics_src *src)
{
	state__free(src->state);
	free(src);
}

/* what a client gets: both parts, as one buffer */
static char *sent(struct pages *c, struct metrics_src *src, enum expo_format fmt, int gzip,
		  size_t *len, int *gzipped)
{
	struct pages_send s;
	char *out;

	assert_int_equal(pages_send_init(&s, pages_get(c, fmt, 0), src, gzip), 0);
	*len = s.len[0] + s.len[1];
	out = malloc(*len + 1);
	assert_non_null(out);
	memcpy(out, s.part[0], s.len[0]);
	memcpy(out + s.len[0], s.part[1], s.len[1]);
	out[*len] = '\0';
	*gzipped = s.gzip;
	pages_send_free(&s);
	return out;
}

/* one gzip member, whole (its trailer checked by zlib), with nothing after it */
static char *gunzip(const char *z, size_t len, size_t *out_len)
{
	z_stream zs = {};
	size_t cap = 1 << 22;
	char *out = malloc(cap);

	assert_non_null(out);
	assert_int_equal(inflateInit2(&zs, 31), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)z;
	zs.avail_in = (uInt)len;
	zs.next_out = (Bytef *)out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(inflate(&zs, Z_FINISH), Z_STREAM_END);
	assert_int_equal(zs.avail_in, 0);
	*out_len = zs.total_out;
	inflateEnd(&zs);
	return out;
}

static void test_gzip_is_the_plain_answer(void **state)
{
	struct metrics_src *src = src_new();
	struct pages *c = pages__new(src);

	(void)state;
	for (int fmt = 0; fmt < EXPO_FORMAT_MAX; fmt++) {
		size_t zlen, plen, ulen;
		int gz, gz2;
		char *z, *plain, *unz;

		/* the same page for both (nothing changed), the same tail (nothing counted) */
		z = sent(c, src, fmt, 1, &zlen, &gz);
		plain = sent(c, src, fmt, 0, &plen, &gz2);
		assert_true(gz);
		assert_false(gz2);
		unz = gunzip(z, zlen, &ulen);
		assert_int_equal(ulen, plen);
		assert_memory_equal(unz, plain, plen);
		if (fmt == EXPO_OPENMETRICS)
			assert_string_equal(plain + plen - 6, "# EOF\n");
		/* a page for each format */
		assert_non_null(strstr(plain, fmt == EXPO_TEXT ?
						      "runnerscope_scrape_pages_built_total 1\n" :
						      "runnerscope_scrape_pages_built_total 2\n"));
		free(z);
		free(plain);
		free(unz);
	}
	pages__free(c);
	src_free(src);
}

static void test_the_tail_is_each_requests_own(void **state)
{
	struct metrics_src *src = src_new();
	struct pages *c = pages__new(src);
	size_t len;
	char *a, *b;
	int gz;

	(void)state;
	atomic_store(&web.requests[WEB_ROUTE_METRICS][WEB_CODE_200], 7);
	a = sent(c, src, EXPO_TEXT, 0, &len, &gz);
	atomic_store(&web.requests[WEB_ROUTE_METRICS][WEB_CODE_200], 8);
	b = sent(c, src, EXPO_TEXT, 1, &len, &gz);
	free(b);
	b = sent(c, src, EXPO_TEXT, 0, &len, &gz);
#define COUNT "runnerscope_http_requests_total{path=\"/metrics\",code=\"200\"} "
	assert_non_null(strstr(a, COUNT "7\n"));
	assert_non_null(strstr(b, COUNT "8\n"));
	/* one page for all three */
	assert_int_equal(atomic_load(&src->pages_built), 1);
	free(a);
	free(b);
	pages__free(c);
	src_free(src);
}

static void test_pages_after_passes(void **state)
{
	struct metrics_src *src = src_new();
	struct pages *c = pages__new(src);
	struct page *p0, *p1, *p2, *p3, *p4;
	int i;

	(void)state;
	p0 = pages_get(c, EXPO_TEXT, 0);
	p1 = pages_get(c, EXPO_TEXT, 0);
	assert_ptr_equal(p0, p1);
	pages_put(p1);
	assert_int_equal(atomic_load(&src->pages_built), 1);

	/* a pass: the kept page is answered while the builder makes the next */
	atomic_fetch_add(&passes, 1);
	p1 = pages_get(c, EXPO_TEXT, 0);
	assert_ptr_equal(p0, p1);
	pages_put(p1);
	for (i = 0; i < 500; i++) {
		p1 = pages_get(c, EXPO_TEXT, 0);
		if (p1 != p0)
			break;
		pages_put(p1);
		usleep(10000);
	}
	assert_ptr_not_equal(p1, p0);
	assert_int_equal(atomic_load(&src->pages_built), 2);

	/* two passes with no request: that page is too old, and this request builds */
	atomic_fetch_add(&passes, 2);
	p2 = pages_get(c, EXPO_TEXT, 0);
	assert_ptr_not_equal(p2, p1);
	assert_int_equal(atomic_load(&src->pages_built), 3);

	/* each format has its own */
	pages_put(pages_get(c, EXPO_OPENMETRICS, 0));
	assert_int_equal(atomic_load(&src->pages_built), 4);

	/* asked fresh: built, and kept for the requests after it */
	p3 = pages_get(c, EXPO_TEXT, 1);
	assert_ptr_not_equal(p3, p2);
	assert_int_equal(atomic_load(&src->pages_built), 5);
	p4 = pages_get(c, EXPO_TEXT, 0);
	assert_ptr_equal(p4, p3);
	pages_put(p0);
	pages_put(p1);
	pages_put(p2);
	pages_put(p3);
	pages_put(p4);
	pages__free(c);
	src_free(src);
}

static void wait_built(struct metrics_src *src, uint64_t n)
{
	for (int i = 0; i < 500 && atomic_load(&src->pages_built) < n; i++)
		usleep(10000);
	assert_int_equal(atomic_load(&src->pages_built), n);
}

static void pass(struct pages *c)
{
	atomic_fetch_add(&passes, 1);
	pages_pass(c);
}

static void test_pages_in_steady_use_are_begun_at_the_pass(void **state)
{
	struct metrics_src *src = src_new();
	struct pages *c = pages__new(src);

	(void)state;
	pages_put(pages_get(c, EXPO_TEXT, 0));
	wait_built(src, 1);
	pass(c);
	/* asked for after one pass: answered, and the builder begins the next */
	pages_put(pages_get(c, EXPO_TEXT, 0));
	wait_built(src, 2);
	/* asked for in each of the last two passes: the next is begun at the pass, unasked */
	pass(c);
	wait_built(src, 3);
	/* not asked for since: no more */
	pass(c);
	usleep(200000);
	assert_int_equal(atomic_load(&src->pages_built), 3);
	pages__free(c);
	src_free(src);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gzip_is_the_plain_answer),
		cmocka_unit_test(test_the_tail_is_each_requests_own),
		cmocka_unit_test(test_pages_after_passes),
		cmocka_unit_test(test_pages_in_steady_use_are_begun_at_the_pass),
	};

	log_setup(LOG_ERROR, LOG_FMT_LOGFMT);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
