// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>
#include "ci/identity.h"
#include "ci/kinds/kinds.h"

static void check_root(const char *exe, const char *want_root, const char *want_version)
{
	char root[256], version[64];

	memset(root, 0x55, sizeof(root));
	memset(version, 0x55, sizeof(version));
	if (github_runner_root(exe, root, sizeof(root), version, sizeof(version)))
		fail_msg("'%s' rejected", exe);
	assert_string_equal(root, want_root);
	assert_string_equal(version, want_version);
}

static void check_bad(const char *exe)
{
	char root[256], version[64];
	int err;

	memset(version, 0x55, sizeof(version));
	err = github_runner_root(exe, root, sizeof(root), version, sizeof(version));
	if (err != -EINVAL)
		fail_msg("%d for '%s', want -EINVAL", err, exe);
	assert_string_equal(version, "");
}

static void test_roots(void **state)
{
	(void)state;
	check_root("/actions-runner/bin/Runner.Listener", "/actions-runner", "");
	check_root("/home/runner/actions-runner/bin/Runner.Worker", "/home/runner/actions-runner",
		   "");
	check_root("/bin/Runner.Listener", "/", "");
	check_root("/opt/r/lib/Runner.Listener", "/opt/r", "");
}

static void test_self_updated(void **state)
{
	(void)state;
	check_root("/home/runner/actions-runner/bin.2.321.0/Runner.Listener",
		   "/home/runner/actions-runner", "2.321.0");
	check_root("/bin.2.300.2/Runner.Listener", "/", "2.300.2");
	/* "bin." with nothing after it names no version */
	check_root("/r/bin./Runner.Listener", "/r", "");
	/* a version is a label value: valid UTF-8 whatever the directory holds */
	check_root("/r/bin.2\xff/Runner.Listener", "/r", "2\xef\xbf\xbd");
}

static void test_version_cut(void **state)
{
	char root[64], version[4];

	(void)state;
	assert_int_equal(github_runner_root("/r/bin.2.321.0/Runner.Listener", root, sizeof(root),
					      version, sizeof(version)),
			 0);
	assert_string_equal(root, "/r");
	assert_string_equal(version, "2.3");
}

static void test_invalid(void **state)
{
	char root[8], version[64];

	(void)state;
	check_bad("/Runner.Listener");
	check_bad("Runner.Listener");
	check_bad("bin/Runner.Listener");
	check_bad("./bin/Runner.Listener");
	check_bad("");
	/* the root does not fit */
	assert_int_equal(github_runner_root("/actions-runner/bin/Runner.Listener", root,
					      sizeof(root), version, sizeof(version)),
			 -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roots),
		cmocka_unit_test(test_self_updated),
		cmocka_unit_test(test_version_cut),
		cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
