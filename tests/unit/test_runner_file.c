// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ci/runner_file.h"
#include "ci/kinds/kinds.h"

#define BOM "\xef\xbb\xbf"

/* what config.sh writes: a BOM, then indented JSON */
#define RUNNER_JSON(name)                                                                     \
	"{\n"                                                                                 \
	"  \"agentId\": 17,\n"                                                                \
	"  \"agentName\": " name ",\n"                                                        \
	"  \"poolId\": 1,\n"                                                                  \
	"  \"poolName\": \"Default\",\n"                                                      \
	"  \"serverUrl\": \"https://pipelinesghubeus2.actions.githubusercontent.com/Ab12/\",\n" \
	"  \"gitHubUrl\": \"https://github.com/acme/widgets\",\n"                             \
	"  \"workFolder\": \"_work\"\n"                                                       \
	"}"

static int parse(const char *text, size_t len, char *name, size_t sz)
{
	memset(name, 0x55, sz);
	return github_runner_name(text, len, name, sz);
}

static int parse_str(const char *text, char *name, size_t sz)
{
	return parse(text, strlen(text), name, sz);
}

static void test_real_file(void **state)
{
	const char *text = BOM RUNNER_JSON("\"ci-runner-07\"");
	char name[256];

	(void)state;
	assert_int_equal(parse_str(text, name, sizeof(name)), 0);
	assert_string_equal(name, "ci-runner-07");
	/* CRLF line ends, as on a runner configured from Windows */
	assert_int_equal(parse_str(BOM "{\r\n  \"agentName\": \"win-1\"\r\n}\r\n", name,
				   sizeof(name)),
			 0);
	assert_string_equal(name, "win-1");
}

static void test_no_bom(void **state)
{
	char name[256];

	(void)state;
	assert_int_equal(parse_str(RUNNER_JSON("\"plain\""), name, sizeof(name)), 0);
	assert_string_equal(name, "plain");
	assert_int_equal(parse_str("{\"agentName\":\"x\"}\n", name, sizeof(name)), 0);
	assert_string_equal(name, "x");
}

static void test_escapes(void **state)
{
	char name[256];

	(void)state;
	assert_int_equal(parse_str(BOM RUNNER_JSON("\"a \\\"b\\\" c\\\\d\""), name, sizeof(name)),
			 0);
	assert_string_equal(name, "a \"b\" c\\d");
	assert_int_equal(parse_str(RUNNER_JSON("\"m\\u00fcller\""), name, sizeof(name)), 0);
	assert_string_equal(name, "m\xc3\xbcller");
	/* a surrogate pair: U+1F680 */
	assert_int_equal(parse_str(RUNNER_JSON("\"r\\ud83d\\ude80\""), name, sizeof(name)), 0);
	assert_string_equal(name, "r\xf0\x9f\x9a\x80");
	/* raw UTF-8 stays as it is */
	assert_int_equal(parse_str(RUNNER_JSON("\"\xe6\x9d\xb1\xe4\xba\xac\""), name,
				   sizeof(name)),
			 0);
	assert_string_equal(name, "\xe6\x9d\xb1\xe4\xba\xac");
	/* an escaped NUL is dropped, not a cut */
	assert_int_equal(parse_str(RUNNER_JSON("\"a\\u0000b\""), name, sizeof(name)), 0);
	assert_string_equal(name, "ab");
}

static void test_invalid_utf8(void **state)
{
	char name[256];

	(void)state;
	assert_int_equal(parse_str(RUNNER_JSON("\"a\xff" "b\xc3\""), name, sizeof(name)), 0);
	assert_string_equal(name, "a\xef\xbf\xbd" "b\xef\xbf\xbd");
	/* a lone surrogate escape: json-c yields U+FFFD or invalid bytes, either way valid text */
	assert_int_equal(parse_str(RUNNER_JSON("\"x\\ud800y\""), name, sizeof(name)), 0);
	assert_string_equal(name, "x\xef\xbf\xbdy");
}

static void test_long_name(void **state)
{
	char text[4096], long_name[1200], name[64];
	size_t o = 0;

	(void)state;
	/* 'a' then 2-byte characters */
	long_name[o++] = 'a';
	while (o + 2 < sizeof(long_name)) {
		long_name[o++] = '\xc3';
		long_name[o++] = '\xa9';
	}
	long_name[o] = '\0';
	snprintf(text, sizeof(text), BOM "{\"agentId\":1,\"agentName\":\"%s\"}", long_name);
	/* 63 bytes allowed: 'a' and 31 whole characters */
	assert_int_equal(parse_str(text, name, sizeof(name)), 0);
	assert_int_equal(strlen(name), 63);
	assert_memory_equal(name, long_name, 63);

	/* 62 bytes allowed: the next character would end at byte 63, so the cut falls before it */
	assert_int_equal(parse_str(text, name, 63), 0);
	assert_int_equal(strlen(name), 61);
	assert_memory_equal(name, long_name, 61);
	assert_int_equal(parse_str(text, name, 1), 0);
	assert_string_equal(name, "");
}

static void test_malformed(void **state)
{
	static const char *const bad[] = {
		"{\"agentName\": \"x\"",
		"{\"agentName\": \"x",
		"{\"agentName\": \"x\"} trailing",
		"{\"agentName\": \"x\"}}",
		"{\"agentName\": \"x\"} {}",
		"[]",
		"[{\"agentName\": \"x\"}]",
		"\"x\"",
		"17",
		"null",
		"",
		BOM,
		BOM BOM "{\"agentName\": \"x\"}",
		"garbage",
	};
	char name[64];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int err = parse_str(bad[i], name, sizeof(name));

		if (err != -EINVAL)
			fail_msg("%d for '%s', want -EINVAL", err, bad[i]);
	}
	/* only the bytes given count */
	assert_int_equal(parse(RUNNER_JSON("\"x\""), 20, name, sizeof(name)), -EINVAL);
	assert_int_equal(parse(BOM, 2, name, sizeof(name)), -EINVAL);
}

static void test_no_agent_name(void **state)
{
	static const char *const none[] = {
		"{}",
		BOM "{\"agentId\": 1, \"poolName\": \"Default\"}",
		RUNNER_JSON("\"\""),
		RUNNER_JSON("42"),
		RUNNER_JSON("null"),
		RUNNER_JSON("true"),
		RUNNER_JSON("{\"x\": 1}"),
		RUNNER_JSON("[\"x\"]"),
		"{\"agentname\": \"lower\"}",
		"{\"settings\": {\"agentName\": \"nested\"}}",
	};
	char name[64];

	(void)state;
	for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
		int err = parse_str(none[i], name, sizeof(name));

		if (err != -ENOENT)
			fail_msg("%d for '%s', want -ENOENT", err, none[i]);
	}
}

static void test_too_big(void **state)
{
	char *text = malloc(RUNNER_FILE_MAX + 2);
	char name[64];
	int n;

	(void)state;
	assert_non_null(text);
	n = snprintf(text, RUNNER_FILE_MAX + 2, "{\"agentName\":\"big\",\"pad\":\"");
	memset(text + n, 'x', RUNNER_FILE_MAX + 2 - (size_t)n);
	memcpy(text + RUNNER_FILE_MAX + 1 - 2, "\"}", 2);
	assert_int_equal(parse(text, RUNNER_FILE_MAX + 1, name, sizeof(name)), -E2BIG);
	/* the limit itself is allowed */
	memcpy(text + RUNNER_FILE_MAX - 2, "\"}", 2);
	assert_int_equal(parse(text, RUNNER_FILE_MAX, name, sizeof(name)), 0);
	assert_string_equal(name, "big");
	free(text);
}

static void test_large_valid(void **state)
{
	size_t cap = 60 * 1024, n = 0;
	char *text = malloc(cap);
	char name[64];

	(void)state;
	assert_non_null(text);
	n += (size_t)snprintf(text, cap, BOM "{\n  \"agentId\": 3,\n  \"notes\": \"");
	while (n < cap - 200)
		text[n++] = 'z';
	n += (size_t)snprintf(text + n, cap - n,
			      "\",\n  \"agentName\": \"after-the-blob\",\n  \"poolId\": 1\n}\n");
	assert_true(n > 59 * 1024 && n < cap);
	assert_int_equal(parse(text, n, name, sizeof(name)), 0);
	assert_string_equal(name, "after-the-blob");
	free(text);
}

static void test_nul_byte(void **state)
{
	static const char in_name[] = "{\"agentName\": \"a\0b\"}";
	static const char after[] = "{\"agentName\": \"a\"}\0\0\0";
	static const char before[] = "\0{\"agentName\": \"a\"}";
	static const char in_ws[] = "{\"agentName\":\0\"a\"}";
	char name[64];

	(void)state;
	/* a raw NUL is not JSON anywhere: the text is not what it seems */
	assert_int_equal(parse(in_name, sizeof(in_name) - 1, name, sizeof(name)), -EINVAL);
	assert_int_equal(parse(after, sizeof(after) - 1, name, sizeof(name)), -EINVAL);
	assert_int_equal(parse(before, sizeof(before) - 1, name, sizeof(name)), -EINVAL);
	assert_int_equal(parse(in_ws, sizeof(in_ws) - 1, name, sizeof(name)), -EINVAL);
	/* the same text without the NUL is fine */
	assert_int_equal(parse(after, sizeof(after) - 4, name, sizeof(name)), 0);
	assert_string_equal(name, "a");
}

/* the label the runner puts on its job's containers: sha256 of the lower-cased text, no BOM */
static void test_docker_label(void **state)
{
	static const char text[] = "{\r\n  \"agentId\": 3,\r\n  \"agentName\": \"Standard-Runner\","
				   "\r\n  \"poolId\": 1\r\n}";
	char bom[sizeof(text) + 3] = "\xef\xbb\xbf", l[8];

	(void)state;
	memcpy(bom + 3, text, sizeof(text));
	/* python3: hashlib.sha256(text.lower().encode()).hexdigest()[:6] */
	assert_int_equal(github_docker_label(text, strlen(text), l, sizeof(l)), 0);
	assert_string_equal(l, "49eb1e");
	assert_int_equal(github_docker_label(bom, strlen(bom), l, sizeof(l)), 0);
	assert_string_equal(l, "49eb1e");
	assert_int_equal(github_docker_label("", 0, l, sizeof(l)), 0);
	assert_string_equal(l, "e3b0c4");
	assert_int_equal(github_docker_label(text, strlen(text), l, 6), -EINVAL);
}

/* bin/Runner.Listener.deps.json names the version an install that never updated runs */
static void test_deps_version(void **state)
{
	static const char deps[] =
		"{\"runtimeTarget\":{\"name\":\".NETCoreApp,Version=v6.0/linux-x64\"},"
		"\"targets\":{\".NETCoreApp,Version=v6.0/linux-x64\":{"
		"\"Runner.Listener/2.321.0\":{\"dependencies\":{\"Runner.Common\":\"2.321.0\"}}}},"
		"\"libraries\":{\"Runner.Listener/2.321.0\":{\"type\":\"project\"}}}";
	char v[64];

	(void)state;
	assert_int_equal(github_deps_version(deps, strlen(deps), v, sizeof(v)), 0);
	assert_string_equal(v, "2.321.0");
	/* a prefix of another name, a non-version, a cut file: not a version */
	assert_int_equal(github_deps_version("\"Runner.Listener/x\"", 19, v, sizeof(v)), -ENOENT);
	assert_string_equal(v, "");
	assert_int_equal(github_deps_version("\"Runner.Listener.Tests/1.0\"", 27, v, sizeof(v)),
			 -ENOENT);
	assert_int_equal(github_deps_version("\"Runner.Listener/2.3", 20, v, sizeof(v)), -ENOENT);
	assert_int_equal(github_deps_version("\"Runner.Listener/.1\"", 20, v, sizeof(v)), -ENOENT);
	/* the first good one wins; one too long for the buffer is passed over */
	assert_int_equal(github_deps_version("\"Runner.Listener/1\" \"Runner.Listener/2\"", 40, v,
					     sizeof(v)),
			 0);
	assert_string_equal(v, "1");
	assert_int_equal(github_deps_version("\"Runner.Listener/123456\"", 24, v, 4), -ENOENT);
	assert_int_equal(github_deps_version("", 0, v, sizeof(v)), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deps_version),
		cmocka_unit_test(test_docker_label),
		cmocka_unit_test(test_real_file),
		cmocka_unit_test(test_no_bom),
		cmocka_unit_test(test_escapes),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_long_name),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_no_agent_name),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_large_valid),
		cmocka_unit_test(test_nul_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
