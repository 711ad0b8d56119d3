// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* btf_copy_value: carrying a map value from one struct layout to another by member name */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <bpf/btf.h>
#include "kernel/pin.h"

struct types {
	struct btf *btf;
	int u32, u64, arr4;
};

static void base(struct types *t)
{
	t->btf = btf__new_empty();
	assert_non_null(t->btf);
	t->u32 = btf__add_int(t->btf, "unsigned int", 4, 0);
	t->u64 = btf__add_int(t->btf, "long long unsigned int", 8, 0);
	t->arr4 = btf__add_array(t->btf, t->u32, t->u64, 4);
	assert_true(t->u32 > 0 && t->u64 > 0 && t->arr4 > 0);
}

/* new: { u64 a; u64 b[4]; u32 c; u32 pad; u64 d; } */
static int new_struct(struct types *t)
{
	int id = btf__add_struct(t->btf, "s", 56);

	assert_true(id > 0);
	assert_int_equal(btf__add_field(t->btf, "a", t->u64, 0, 0), 0);
	assert_int_equal(btf__add_field(t->btf, "b", t->arr4, 64, 0), 0);
	assert_int_equal(btf__add_field(t->btf, "c", t->u32, 320, 0), 0);
	assert_int_equal(btf__add_field(t->btf, "pad", t->u32, 352, 0), 0);
	assert_int_equal(btf__add_field(t->btf, "d", t->u64, 384, 0), 0);
	return id;
}

struct new_val {
	uint64_t a, b[4];
	uint32_t c, pad;
	uint64_t d;
};

/* src, a value of type oid of o, carried into the new layout's dst (poisoned first) */
static void carry(const struct types *o, int oid, const void *src, size_t sz,
		  struct new_val *dst, char *reset, size_t reset_sz)
{
	struct types n;
	int nid;

	base(&n);
	nid = new_struct(&n);
	memset(dst, 0x77, sizeof(*dst));
	assert_int_equal(btf_copy_value(o->btf, oid, src, sz, n.btf, nid, dst, sizeof(*dst), reset,
					reset_sz),
			 0);
	btf__free(n.btf);
}

static const struct new_val src_new = { 1, { 2, 3, 4, 5 }, 6, 0, 7 };

/* the first sz bytes of src_new into dst, both of the new layout */
static void copy_new(size_t sz, struct new_val *dst, char *reset, size_t reset_sz)
{
	struct types t;
	int id;

	base(&t);
	id = new_struct(&t);
	assert_int_equal(btf_copy_value(t.btf, id, &src_new, sz, t.btf, id, dst, sizeof(*dst),
					reset, reset_sz),
			 0);
	btf__free(t.btf);
}

static void test_same_layout_copies_everything(void **state)
{
	struct new_val dst;
	char reset[64];

	(void)state;
	copy_new(sizeof(src_new), &dst, reset, sizeof(reset));
	assert_memory_equal(&src_new, &dst, sizeof(src_new));
	assert_string_equal(reset, "");
}

static void test_reordered_resized_and_missing_members(void **state)
{
	struct types o;
	/* old: { u32 c; u32 x; u64 d; u64 a; u32 b; } — b changed size, x is gone */
	struct {
		uint32_t c, x;
		uint64_t d, a;
		uint32_t b, tail;
	} src = { 6, 99, 7, 1, 5, 0 };
	struct new_val dst;
	char reset[64];
	int oid;

	(void)state;
	base(&o);
	oid = btf__add_struct(o.btf, "s", sizeof(src));
	assert_int_equal(btf__add_field(o.btf, "c", o.u32, 0, 0), 0);
	assert_int_equal(btf__add_field(o.btf, "x", o.u32, 32, 0), 0);
	assert_int_equal(btf__add_field(o.btf, "d", o.u64, 64, 0), 0);
	assert_int_equal(btf__add_field(o.btf, "a", o.u64, 128, 0), 0);
	assert_int_equal(btf__add_field(o.btf, "b", o.u32, 192, 0), 0);
	carry(&o, oid, &src, sizeof(src), &dst, reset, sizeof(reset));
	assert_int_equal(dst.a, 1);
	assert_int_equal(dst.c, 6);
	assert_int_equal(dst.d, 7);
	for (int i = 0; i < 4; i++)
		assert_int_equal(dst.b[i], 0); /* u32 then, u64[4] now: not carried */
	assert_int_equal(dst.pad, 0);
	assert_string_equal(reset, "b"); /* padding is never reported */
	btf__free(o.btf);
}

static void test_members_past_the_source_are_reset(void **state)
{
	struct new_val dst;
	char reset[64];

	(void)state;
	/* a source buffer cut short after b: c and d cannot be read */
	copy_new(40, &dst, reset, sizeof(reset));
	assert_int_equal(dst.a, 1);
	assert_int_equal(dst.b[3], 5);
	assert_int_equal(dst.c, 0);
	assert_int_equal(dst.d, 0);
	assert_string_equal(reset, "c,d");
}

static void test_scalars_and_mismatches(void **state)
{
	struct types t;
	uint32_t k = 42, out = 0;
	uint64_t wide = 0;
	struct new_val dst;
	int id;

	(void)state;
	base(&t);
	id = new_struct(&t);
	assert_int_equal(btf_copy_value(t.btf, t.u32, &k, 4, t.btf, t.u32, &out, 4, NULL, 0), 0);
	assert_int_equal(out, 42);
	/* a scalar of another size, or a scalar against a struct: nothing to carry */
	assert_int_equal(btf_copy_value(t.btf, t.u32, &k, 4, t.btf, t.u64, &wide, 8, NULL, 0),
			 -EINVAL);
	assert_int_equal(wide, 0);
	assert_int_equal(btf_copy_value(t.btf, t.u64, &wide, 8, t.btf, id, &dst, sizeof(dst), NULL,
					0),
			 -EINVAL);
	/* structs with no member in common */
	{
		struct types o;
		uint64_t zz = 5;
		int oid;

		base(&o);
		oid = btf__add_struct(o.btf, "other", 8);
		assert_int_equal(btf__add_field(o.btf, "zz", o.u64, 0, 0), 0);
		memset(&dst, 0x55, sizeof(dst));
		assert_int_equal(btf_copy_value(o.btf, oid, &zz, 8, t.btf, id, &dst, sizeof(dst), NULL,
						0),
				 -EINVAL);
		assert_int_equal(dst.a, 0);
		btf__free(o.btf);
	}
	btf__free(t.btf);
}

/* an array that grew (a reason added to the failures by reason) keeps what it counted */
static void test_grown_array_keeps_its_elements(void **state)
{
	struct types o;
	struct {
		uint64_t a, b[3];
	} src = { 1, { 2, 3, 4 } };
	struct {
		uint64_t a, b[5];
	} shrunk = { 1, { 2, 3, 4, 5, 6 } };
	struct {
		uint64_t a;
		uint32_t b[3], pad;
	} narrow = { 1, { 2, 3, 4 }, 0 };
	struct new_val dst;
	char reset[64];
	int grown, longer, other, a3, a5, n3;

	(void)state;
	base(&o);
	/* the types first: a struct's fields must follow it */
	a3 = btf__add_array(o.btf, o.u32, o.u64, 3);
	a5 = btf__add_array(o.btf, o.u32, o.u64, 5);
	n3 = btf__add_array(o.btf, o.u32, o.u32, 3);
	grown = btf__add_struct(o.btf, "s", sizeof(src));
	assert_int_equal(btf__add_field(o.btf, "a", o.u64, 0, 0), 0);
	assert_int_equal(btf__add_field(o.btf, "b", a3, 64, 0), 0);
	longer = btf__add_struct(o.btf, "s5", sizeof(shrunk));
	assert_int_equal(btf__add_field(o.btf, "a", o.u64, 0, 0), 0);
	assert_int_equal(btf__add_field(o.btf, "b", a5, 64, 0), 0);
	other = btf__add_struct(o.btf, "s32", sizeof(narrow));
	assert_int_equal(btf__add_field(o.btf, "a", o.u64, 0, 0), 0);
	assert_int_equal(btf__add_field(o.btf, "b", n3, 64, 0), 0);
	carry(&o, grown, &src, sizeof(src), &dst, reset, sizeof(reset));
	assert_int_equal(dst.a, 1);
	assert_int_equal(dst.b[0], 2);
	assert_int_equal(dst.b[2], 4);
	assert_int_equal(dst.b[3], 0);
	assert_string_equal(reset, "c,d");
	/* one that shrank would lose counts, and one of other elements means other things */
	carry(&o, longer, &shrunk, sizeof(shrunk), &dst, reset, sizeof(reset));
	assert_int_equal(dst.b[0], 0);
	assert_string_equal(reset, "b,c,d");
	carry(&o, other, &narrow, sizeof(narrow), &dst, reset, sizeof(reset));
	assert_int_equal(dst.a, 1);
	assert_int_equal(dst.b[0], 0);
	assert_string_equal(reset, "b,c,d");
	btf__free(o.btf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_layout_copies_everything),
		cmocka_unit_test(test_reordered_resized_and_missing_members),
		cmocka_unit_test(test_members_past_the_source_are_reset),
		cmocka_unit_test(test_scalars_and_mismatches),
		cmocka_unit_test(test_grown_array_keeps_its_elements),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
