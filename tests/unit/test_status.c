// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "expo/status.h"
#include "expo/status_format.h"

#define FFFD "\xef\xbf\xbd"

static void check(void (*esc)(struct buf *, const char *), const char *in, const char *want)
{
	struct buf b;

	buf_init(&b);
	esc(&b, in);
	assert_false(b.oom);
	assert_string_equal(b.p ? b.p : "", want);
	buf_free(&b);
}

static void test_escape_html(void **state)
{
	(void)state;
	check(status_escape_html, "", "");
	check(status_escape_html, "plain runner-1", "plain runner-1");
	check(status_escape_html, "<script>alert('x')</script>",
	      "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
	check(status_escape_html, "a&b \"c\"", "a&amp;b &quot;c&quot;");
	check(status_escape_html, "&amp;", "&amp;amp;");
	check(status_escape_html, "m\xc3\xbcller \xe2\x9c\x93", "m\xc3\xbcller \xe2\x9c\x93");
	check(status_escape_html, "tab\tnl\ncr\resc\x1b[31m", "tab" FFFD "nl" FFFD "cr" FFFD "esc" FFFD "[31m");
}

static void test_escape_text(void **state)
{
	(void)state;
	/* a terminal needs no entities, but no escape sequence gets through */
	check(status_escape_text, "<b>&</b>", "<b>&</b>");
	check(status_escape_text, "\x1b]0;pwned\x07", FFFD "]0;pwned" FFFD);
	check(status_escape_text, "csi \xc2\x9b" "31m del\x7f", "csi " FFFD "31m del" FFFD);
	/* U+00A0 and U+00E9 stay: only C1 controls go */
	check(status_escape_text, "\xc2\xa0\xc3\xa9", "\xc2\xa0\xc3\xa9");
	/* a lone 0xc2 at the end is left to the sanitizer that made the string */
	check(status_escape_text, "x\xc2", "x\xc2");
}

static void test_duration(void **state)
{
	char s[32];

	(void)state;
	status_duration(s, sizeof(s), 0);
	assert_string_equal(s, "0ms");
	status_duration(s, sizeof(s), 999999999ULL);
	assert_string_equal(s, "999ms");
	status_duration(s, sizeof(s), 1234000000ULL);
	assert_string_equal(s, "1.2s");
	status_duration(s, sizeof(s), 59999000000ULL);
	assert_string_equal(s, "60.0s");
	status_duration(s, sizeof(s), 65ULL * 1000000000ULL);
	assert_string_equal(s, "1m05s");
	status_duration(s, sizeof(s), (2 * 3600 + 3 * 60 + 59) * 1000000000ULL);
	assert_string_equal(s, "2h03m");
	status_duration(s, sizeof(s), (3 * 86400 + 4 * 3600) * 1000000000ULL);
	assert_string_equal(s, "3d04h");
}

static void test_bytes(void **state)
{
	char s[32];

	(void)state;
	status_bytes(s, sizeof(s), 0);
	assert_string_equal(s, "0 B");
	status_bytes(s, sizeof(s), 1023);
	assert_string_equal(s, "1023 B");
	status_bytes(s, sizeof(s), 1536);
	assert_string_equal(s, "1.5 KiB");
	status_bytes(s, sizeof(s), 200ULL << 20);
	assert_string_equal(s, "200 MiB");
	status_bytes(s, sizeof(s), 3ULL << 30);
	assert_string_equal(s, "3.0 GiB");
	status_bytes(s, sizeof(s), 5ULL << 50);
	assert_string_equal(s, "5120 TiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_html),
		cmocka_unit_test(test_escape_text),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
