// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "kernel/bpflog.h"

/* the end of a 6.18 build's log rejecting the task-storage call of an earlier jobs.bpf.c */
static const char untrusted[] =
	"1082: (18) r1 = 0xffff888145690600    ; R1=map_ptr(map=procs_ts,ks=4,vs=1)\n"
	"1084: (b7) r3 = 0                     ; R3=0\n"
	"1085: (b7) r4 = 0                     ; R4=0\n"
	"1086: (85) call bpf_task_storage_get#156\n"
	"R2 type=untrusted_ptr_ expected=ptr_, trusted_ptr_, rcu_ptr_\n"
	"processed 354 insns (limit 1000000) max_states_per_insn 0 total_states 32 "
	"peak_states 32 mark_read 0\n";

/* the shape of 6.1's: an exit with a ring-buffer reservation held, then its statistics */
static const char unreleased[] =
	"1201: (b7) r0 = 0                     ; R0_w=0\n"
	"1202: (95) exit\n"
	"Unreleased reference id=8 alloc_insn=566\n"
	"verification time 20364 usec\n"
	"stack depth 88\n"
	"processed 17404 insns (limit 1000000) max_states_per_insn 4 total_states 1092 "
	"peak_states 604 mark_read 171\n";

static void test_reason_is_the_last_two_lines_before_the_statistics(void **state)
{
	char out[256];

	(void)state;
	assert_int_equal(bpflog_reason(untrusted, out, sizeof(out)), 2);
	assert_string_equal(out, "1086: (85) call bpf_task_storage_get#156; "
				 "R2 type=untrusted_ptr_ expected=ptr_, trusted_ptr_, rcu_ptr_");
	assert_int_equal(bpflog_reason(unreleased, out, sizeof(out)), 2);
	assert_string_equal(out, "1202: (95) exit; Unreleased reference id=8 alloc_insn=566");
}

static void test_short_empty_and_unended_logs(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(bpflog_reason("", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(bpflog_reason("processed 3 insns\n\n", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(bpflog_reason("invalid argument", out, sizeof(out)), 1);
	assert_string_equal(out, "invalid argument");
	/* a log cut short (a full buffer) still gives its last lines */
	assert_int_equal(bpflog_reason("a\n\nb\nc", out, sizeof(out)), 2);
	assert_string_equal(out, "b; c");
}

static void test_reason_is_cut_to_the_buffer(void **state)
{
	char out[12];

	(void)state;
	assert_int_equal(bpflog_reason(untrusted, out, sizeof(out)), 2);
	assert_string_equal(out, "1086: (85) ");
	assert_int_equal(bpflog_reason(untrusted, NULL, 0), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reason_is_the_last_two_lines_before_the_statistics),
		cmocka_unit_test(test_short_empty_and_unended_logs),
		cmocka_unit_test(test_reason_is_cut_to_the_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
