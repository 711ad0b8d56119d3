// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* A job's CPU neighbours from each pass's figures (state/neighbours.c), and /proc/stat's
 * per-CPU busy times they start from (enrich/procfs.c). */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "enrich/procfs.h"
#include "state/neighbours.h"

#define MS 1000000ULL

static const struct rs_key self = { .tgid = 100, .start_ns = 100 };

static struct nb_source job(uint32_t pid, uint64_t ns, uint64_t cpus)
{
	return (struct nb_source){ .type = NB_JOB, .key = { .tgid = pid, .start_ns = pid },
				   .delta_ns = ns, .cpus = cpus };
}

/* the i-th largest of acc's neighbours: its entry, NULL for the host's share */
static const struct nb_entry *top(const struct nb_acc *acc, int i, int *n)
{
	int idx[NB_KEEP + 1];

	*n = nb_top(acc, idx, NB_KEEP + 1);
	assert_true(i < *n);
	return idx[i] == NB_KEEP ? NULL : &acc->e[idx[i]];
}

static void test_a_job_on_the_same_cpu_comes_first(void **unused)
{
	(void)unused;
	struct nb_acc acc = { 0 };
	const struct nb_entry *e;
	int n;
	struct nb_source src[] = {
		job(100, 400 * MS, 0x1), /* itself: never its own neighbour */
		job(200, 500 * MS, 0x1), /* pinned with it */
		job(300, 900 * MS, 0x2), /* on the other CPU only */
		job(400, 800 * MS, 0), /* anywhere: spread over both */
		{ .type = NB_CONTAINER, .id = "c1", .delta_ns = 200 * MS },
	};

	/* CPU 0 busy for the whole second: 400 itself, 500 + 400 + 100 the others, 0 host */
	nb_account(&acc, &self, 0x1, 2, 1.0, 400 * MS, 1000 * MS, src, 5);
	e = top(&acc, 0, &n);
	assert_int_equal(n, 3);
	assert_int_equal(e->type, NB_JOB);
	assert_int_equal(e->key.tgid, 200);
	assert_int_equal(e->cpu_ns, 500 * MS);
	e = top(&acc, 1, &n);
	assert_int_equal(e->key.tgid, 400);
	assert_int_equal(e->cpu_ns, 400 * MS); /* half of it on CPU 0 */
	e = top(&acc, 2, &n);
	assert_int_equal(e->type, NB_CONTAINER);
	assert_string_equal(e->id, "c1");
	assert_int_equal(e->cpu_ns, 100 * MS);
	assert_int_equal(acc.host_ns, 0); /* over-attributed: nothing left for the host */
}

static void test_the_rest_is_the_hosts_and_a_part_interval_counts_a_part(void **unused)
{
	(void)unused;
	struct nb_acc acc = { 0 };
	struct nb_source src[] = { job(200, 200 * MS, 0x1) };
	int n;

	/* it ran for the last half of the interval: half of what the others did */
	nb_account(&acc, &self, 0x1, 4, 0.5, 200 * MS, 1000 * MS, src, 1);
	assert_null(top(&acc, 0, &n));
	assert_int_equal(n, 2);
	assert_int_equal(acc.host_ns, 500 * MS - 200 * MS - 100 * MS);
	assert_int_equal(top(&acc, 1, &n)->cpu_ns, 100 * MS);
	/* the next pass adds to the same entry */
	nb_account(&acc, &self, 0x1, 4, 1.0, 0, 0, src, 1);
	assert_int_equal(top(&acc, 0, &n)->key.tgid, 200);
	assert_int_equal(top(&acc, 0, &n)->cpu_ns, 300 * MS);
}

static void test_a_full_list_gives_way_to_a_bigger_one(void **unused)
{
	(void)unused;
	struct nb_acc acc = { 0 };
	int n;

	for (int i = 0; i < NB_KEEP; i++) {
		struct nb_source s = job(200 + (uint32_t)i, (uint64_t)(i + 1) * MS, 0);

		nb_account(&acc, &self, 0, 1, 1.0, 0, 0, &s, 1);
	}
	/* smaller than every one kept: left out */
	struct nb_source small = job(900, MS / 2, 0);
	nb_account(&acc, &self, 0, 1, 1.0, 0, 0, &small, 1);
	/* bigger than the smallest (200, 1 ms): takes its place */
	struct nb_source big = job(901, 50 * MS, 0);
	nb_account(&acc, &self, 0, 1, 1.0, 0, 0, &big, 1);
	assert_int_equal(top(&acc, 0, &n)->key.tgid, 901);
	assert_int_equal(n, NB_KEEP);
	for (int i = 0; i < NB_KEEP; i++)
		assert_true(acc.e[i].key.tgid != 200 && acc.e[i].key.tgid != 900);
}

static void test_masks(void **unused)
{
	(void)unused;
	assert_int_equal(nb_cpus(0, 8), 8); /* not known: any */
	assert_int_equal(nb_cpus(0x5, 8), 2);
	assert_int_equal(nb_cpus(0x300, 8), 8); /* no CPU of the host: taken as any */
	assert_int_equal(nb_cpus(0x1, 128), 128); /* past 64 CPUs masks are not read */
}

static void test_proc_stat_per_cpu(void **unused)
{
	(void)unused;
	uint64_t busy[4] = { 0 };
	const char *text = "cpu  900 10 300 5000 20 3 4 0 0 0\n"
			   "cpu0 100 10 200 2500 10 1 2 3 0 0\n"
			   "cpu1 800 0 100 2500 10 2 2 0 0 0\n"
			   "intr 12345 0 0\n"
			   "cpu7 1 1 1 1\n"; /* too short, and past max */

	assert_int_equal(procfs_parse_cpu_busy(text, 100, busy, 4), 2);
	/* user + nice + system + irq + softirq + steal, at 100 ticks a second */
	assert_int_equal(busy[0], (100 + 10 + 200 + 1 + 2 + 3) * 10 * MS);
	assert_int_equal(busy[1], (800 + 100 + 2 + 2) * 10 * MS);
	assert_int_equal(procfs_parse_cpu_busy("intr 1\n", 100, busy, 4), -ENOENT);
	assert_int_equal(procfs_parse_cpu_busy(text, 0, busy, 4), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_job_on_the_same_cpu_comes_first),
		cmocka_unit_test(test_the_rest_is_the_hosts_and_a_part_interval_counts_a_part),
		cmocka_unit_test(test_a_full_list_gives_way_to_a_bigger_one),
		cmocka_unit_test(test_masks),
		cmocka_unit_test(test_proc_stat_per_cpu),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
