// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * meta.build: what a pinned set was made from. A daemon adopts the running programs only when
 * it is the same, so it must cover everything their rodata comes from.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <unistd.h>
#include <cmocka.h>
#include "kernel/probes_priv.h"
#include "ci/kinds/kinds.h"
#include "runnerscope.skel.h"

/* FNV-1a over the object's bytes, then over each value the rodata or the maps take */
static __u64 expected(const __u64 *extra, size_t n)
{
	size_t sz;
	const unsigned char *b = runnerscope_bpf__elf_bytes(&sz);
	__u64 h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < sz; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	for (size_t i = 0; i < n * sizeof(*extra); i++)
		h = (h ^ ((const unsigned char *)extra)[i]) * 0x100000001b3ULL;
	return h;
}

static void test_the_build_covers_the_rodata(void **state)
{
	struct probes_opts o = {};
	__u64 extra[] = { (__u64)sysconf(_SC_PAGESIZE),
			  1,
			  256 * 1024,
			  kinds__with(KIND_ENV_JOBS),
			  kinds__with(KIND_CONTEXT_AT_START),
			  0,
			  (__u64)probes_percpu_reads(),
			  (__u64)libbpf_num_possible_cpus() };
	const size_t n = sizeof(extra) / sizeof(extra[0]);

	(void)state;
	/* the kinds' traits too: a daemon with another table must not adopt old programs */
	assert_true(extra[3] && extra[4]);
	assert_int_equal(probes_build_hash(&o, 1), expected(extra, n));
	extra[1] = 0;
	assert_int_equal(probes_build_hash(&o, 0), expected(extra, n));
	o.ringbuf_bytes = 1 << 20;
	extra[2] = 1 << 20;
	assert_int_equal(probes_build_hash(&o, 0), expected(extra, n));
	assert_true(probes_build_hash(&o, 0) != probes_build_hash(&o, 1));
	/* the hierarchies whose cgroups the programs follow (a host's mounts may change) */
	o.cg_hiers = 1U << 4 | 1U << 2;
	extra[5] = o.cg_hiers;
	assert_int_equal(probes_build_hash(&o, 0), expected(extra, n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_the_build_covers_the_rodata),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
