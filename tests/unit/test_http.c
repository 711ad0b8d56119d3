// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>
#include "web/http.h"
#include "web/negotiate.h"

static void check_ok(const char *addr, const char *want_host, const char *want_port)
{
	char host[256], port[16];

	memset(host, 0x55, sizeof(host));
	memset(port, 0x55, sizeof(port));
	if (http_parse_listen(addr, host, sizeof(host), port, sizeof(port)))
		fail_msg("'%s' rejected", addr);
	assert_string_equal(host, want_host);
	assert_string_equal(port, want_port);
}

static void check_bad(const char *addr)
{
	char host[256], port[16];
	int err = http_parse_listen(addr, host, sizeof(host), port, sizeof(port));

	if (err != -EINVAL)
		fail_msg("%d for '%s', want -EINVAL", err, addr);
}

static void test_valid(void **state)
{
	(void)state;
	check_ok(":9477", "", "9477");
	check_ok("127.0.0.1:80", "127.0.0.1", "80");
	check_ok("0.0.0.0:9477", "0.0.0.0", "9477");
	check_ok("[::1]:9477", "::1", "9477");
	check_ok("[::]:9477", "::", "9477");
	check_ok("[fe80::1%eth0]:9477", "fe80::1%eth0", "9477");
	check_ok("localhost:1", "localhost", "1");
	check_ok("runnerscope.example.com:65535", "runnerscope.example.com", "65535");
}

static void test_invalid(void **state)
{
	(void)state;
	check_bad("");
	check_bad("9477");
	check_bad(":");
	check_bad(":abc");
	check_bad(":94a7");
	check_bad(":-1");
	check_bad(":+80");
	check_bad(": 80");
	check_bad("[::1]9477");
	check_bad("[::1]");
	check_bad("[::1]:");
	check_bad("[::1:9477");
	check_bad("::1:9477");
	check_bad(":99999");
	check_bad(":65536");
	check_bad("host:");
	check_bad("localhost");
}

static void test_port_overflow(void **state)
{
	(void)state;
	/* ports that wrap to a small or negative int must not pass for one */
	check_bad(":4294967376"); /* 2^32 + 80 */
	check_bad(":2147483648");
	check_bad(":18446744073709551696");
	check_bad(":999999999999999");
}

static int parse_small(const char *addr, char host[10], char port[6])
{
	return http_parse_listen(addr, host, 10, port, 6);
}

static void test_buffer_sizes(void **state)
{
	char host[10], port[6];

	(void)state;
	assert_int_equal(parse_small("localhost:9477", host, port), 0);
	assert_string_equal(host, "localhost");
	assert_string_equal(port, "9477");
	/* a host or port that does not fit is an error, not a cut */
	assert_int_equal(parse_small("localhost1:9477", host, port), -EINVAL);
	assert_int_equal(parse_small("[::ffff:1.2.3.4]:80", host, port), -EINVAL);
	assert_int_equal(parse_small(":009477", host, port), -EINVAL);
}

static void check_format(const char *accept, enum expo_format want, const char *want_version)
{
	const char *version = NULL;
	enum expo_format f = http_metrics_format(accept, &version);

	if (f != want || strcmp(version, want_version))
		fail_msg("'%s': format %d version %s, want %d %s", accept ? accept : "(null)", f,
			 version, want, want_version);
}

static void test_metrics_format(void **state)
{
	(void)state;
	/* what Prometheus 2.42 sends: OpenMetrics first */
	check_format("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
		     "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
		     EXPO_OPENMETRICS, "1.0.0");
	check_format("application/openmetrics-text; version=0.0.1", EXPO_OPENMETRICS, "0.0.1");
	check_format("application/openmetrics-text", EXPO_OPENMETRICS, "1.0.0");
	check_format("Application/OpenMetrics-Text; Version=\"1.0.0\"", EXPO_OPENMETRICS, "1.0.0");
	check_format("text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.8",
		     EXPO_TEXT, "0.0.4");
	/* curl, a browser, nothing at all, something we do not have: the text format */
	check_format("*/*", EXPO_TEXT, "0.0.4");
	check_format(NULL, EXPO_TEXT, "0.0.4");
	check_format("", EXPO_TEXT, "0.0.4");
	check_format("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", EXPO_TEXT,
		     "0.0.4");
	check_format("application/json", EXPO_TEXT, "0.0.4");
	check_format("application/openmetrics-text;version=2.0.0", EXPO_TEXT, "0.0.4");
	check_format("application/openmetrics-text;q=0", EXPO_TEXT, "0.0.4");
	check_format("text/plain;q=0, application/*", EXPO_OPENMETRICS, "1.0.0");
	/* junk is no crash and no OpenMetrics */
	check_format(";;;,,,=;q=", EXPO_TEXT, "0.0.4");
	check_format("application/openmetrics-text;q=1.5", EXPO_TEXT, "0.0.4");
	check_format("application/openmetrics-text;q=0.x", EXPO_TEXT, "0.0.4");
	check_format("application/openmetrics-text;version=\"1.0.0", EXPO_OPENMETRICS, "1.0.0");
}

static void test_accept_pick(void **state)
{
	static const char *const offers[] = { "text/plain", "text/html" };

	(void)state;
	assert_int_equal(http_accept_pick(NULL, offers, 2), 0);
	assert_int_equal(http_accept_pick("*/*", offers, 2), 0);
	assert_int_equal(http_accept_pick("text/html", offers, 2), 1);
	assert_int_equal(http_accept_pick("text/*", offers, 2), 0);
	assert_int_equal(http_accept_pick("text/html,application/xhtml+xml,application/xml;q=0.9,"
					  "image/avif,image/webp,*/*;q=0.8",
					  offers, 2),
			 1);
	assert_int_equal(http_accept_pick("image/png", offers, 2), -1);
	/* the most specific range decides, wherever it stands */
	assert_int_equal(http_accept_pick("text/html;q=0,text/*", offers, 2), 0);
	assert_int_equal(http_accept_pick("text/*;q=0.5, text/html", offers, 2), 1);
}

static void test_accepts_gzip(void **state)
{
	(void)state;
	assert_true(http_accepts_gzip("gzip"));
	assert_true(http_accepts_gzip("gzip, deflate, br"));
	assert_true(http_accepts_gzip("deflate;q=1, GZIP;q=0.5"));
	assert_true(http_accepts_gzip("x-gzip"));
	assert_true(http_accepts_gzip("*"));
	assert_false(http_accepts_gzip(NULL));
	assert_false(http_accepts_gzip(""));
	assert_false(http_accepts_gzip("identity"));
	assert_false(http_accepts_gzip("gzip;q=0"));
	assert_false(http_accepts_gzip("gzip;q=0.000, deflate"));
	assert_false(http_accepts_gzip("*;q=0"));
	assert_false(http_accepts_gzip("gzipped"));
}

static void test_no_cache(void **state)
{
	(void)state;
	assert_true(http_no_cache("no-cache"));
	assert_true(http_no_cache("No-Cache"));
	assert_true(http_no_cache("max-age=0"));
	assert_true(http_no_cache("max-age=\"000\""));
	assert_true(http_no_cache("no-store, no-cache"));
	assert_true(http_no_cache("private=\"a,b\", max-age = 0"));
	assert_false(http_no_cache(NULL));
	assert_false(http_no_cache(""));
	assert_false(http_no_cache("max-age=10"));
	assert_false(http_no_cache("max-age="));
	assert_false(http_no_cache("no-store"));
	assert_false(http_no_cache("no-cache-please"));
	assert_false(http_no_cache("=,=,,"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metrics_format),
		cmocka_unit_test(test_accept_pick),
		cmocka_unit_test(test_accepts_gzip),
		cmocka_unit_test(test_no_cache),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_port_overflow),
		cmocka_unit_test(test_buffer_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
