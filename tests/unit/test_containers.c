// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>
#include "containers.h"
#include "cputime.h"

#define ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define OTHER "f123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void test_kubelet_link_names(void **state)
{
	struct container_names n;

	(void)state;
	assert_int_equal(containers_kubelet_parse("arc-runner-x7k2p_ci_runner-" ID ".log", ID, &n),
			 0);
	assert_string_equal(n.pod, "arc-runner-x7k2p");
	assert_string_equal(n.ns, "ci");
	assert_string_equal(n.name, "runner");
	/* container names may hold '-': only the last "-<id>" is the id */
	assert_int_equal(containers_kubelet_parse("p_ns_dind-side-car-" ID ".log", ID, &n), 0);
	assert_string_equal(n.name, "dind-side-car");
}

static void test_kubelet_link_rejects(void **state)
{
	static const char *const bad[] = {
		"p_ns_c-" OTHER ".log", /* another container */
		"p_ns_c-" ID ".txt",
		"p_ns_c" ID ".log", /* no '-' before the id */
		"pns_c-" ID ".log", /* one '_' */
		"p_n_s_c-" ID ".log", /* three */
		"_ns_c-" ID ".log", /* empty pod */
		"p__c-" ID ".log", /* empty namespace */
		"p_ns_-" ID ".log", /* empty container */
		ID ".log",
		"",
		".",
	};
	struct container_names n;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(containers_kubelet_parse(bad[i], ID, &n), -EINVAL);
		assert_string_equal(n.pod, "");
	}
}

static void test_cputime_split(void **state)
{
	uint64_t u, s;

	(void)state;
	cputime_split(1000, 3, 1, &u, &s); /* the ratio, the sum exact */
	assert_int_equal(u, 750);
	assert_int_equal(s, 250);
	cputime_split(1000, 0, 0, &u, &s); /* no ticks sampled: all user, as the kernel does */
	assert_int_equal(u, 1000);
	assert_int_equal(s, 0);
	cputime_split(1000, 0, 5, &u, &s);
	assert_int_equal(u, 0);
	assert_int_equal(s, 1000);
	/* sampled times above the runtime (v1 cgroups) still split it, never exceed it */
	cputime_split(635904523, 655991213, 20000000, &u, &s);
	assert_int_equal(u + s, 635904523);
	assert_true(u > s);
	/* no overflow at large values */
	cputime_split(UINT64_MAX / 2, UINT64_MAX / 4, UINT64_MAX / 4, &u, &s);
	assert_int_equal(u + s, UINT64_MAX / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubelet_link_names),
		cmocka_unit_test(test_kubelet_link_rejects),
		cmocka_unit_test(test_cputime_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
