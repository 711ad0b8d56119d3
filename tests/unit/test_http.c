// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>
#include "http.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_port_overflow),
		cmocka_unit_test(test_buffer_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
