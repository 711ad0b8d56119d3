// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <string.h>
#include <cmocka.h>
#include "web/auth.h"
#include "web/webconfig.h"

/* bcrypt of "s3cret" (cost 10) and of "pw" (cost 4, $2y$ as htpasswd writes it) */
#define ALICE "$2b$10$6otpmKcaDJSfTiPwiUEzKeXM6YyZTdgSAWx4qbP0R3stfwJqm9qwC"
#define BOB "$2y$04$abcdefghijklmnopqrstuuyvPXIbu7xe6/CED2DzX8z6Si09MlzlW"

static void check_parse(const char *header, const char *user, const char *pass)
{
	char u[16], p[16];

	if (auth_parse_basic(header, u, sizeof(u), p, sizeof(p)))
		fail_msg("'%s' refused", header);
	assert_string_equal(u, user);
	assert_string_equal(p, pass);
}

static void check_refused(const char *header)
{
	char u[16], p[16];

	if (auth_parse_basic(header, u, sizeof(u), p, sizeof(p)) != -EINVAL)
		fail_msg("'%s' accepted", header ? header : "(null)");
}

static void test_parse_basic(void **state)
{
	(void)state;
	check_parse("Basic YWxpY2U6czNjcmV0", "alice", "s3cret");
	check_parse("basic   YWxpY2U6czNjcmV0  ", "alice", "s3cret");
	check_parse("BASIC\tYWxpY2U6czNjcmV0", "alice", "s3cret");
	check_parse("Basic YTpiOmM=", "a", "b:c"); /* a password may hold ':' */
	check_parse("Basic OnB3", "", "pw");	    /* an empty user name is the checker's call */
	check_parse("Basic YTo=", "a", "");
	check_refused(NULL);
	check_refused("");
	check_refused("Basic");
	check_refused("Basic ");
	check_refused("Bearer YWxpY2U6czNjcmV0");
	check_refused("BasicYWxpY2U6czNjcmV0");
	check_refused("Basic YWxpY2U6czNjcmV0 extra");
	check_refused("Basic YWxpY2U");	    /* not a multiple of 4 */
	check_refused("Basic YWxpY2U6czNjcmV0=");
	check_refused("Basic YW=pY2U6");    /* padding in the middle */
	check_refused("Basic YWxpY2U*czNj"); /* not base64 */
	check_refused("Basic YWxpY2U=");     /* no ':' */
	check_refused("Basic YQBiOmM=");     /* a NUL byte */
	/* longer than the buffers: refused, never cut */
	check_refused("Basic YWFhYWFhYWFhYWFhYWFhYWFhOmI="); /* 18-byte user */
	check_refused("Basic YTpiYmJiYmJiYmJiYmJiYmJiYmJi"); /* 19-byte password */
}

static void test_check(void **state)
{
	struct webconfig_user users[] = { { "alice", ALICE }, { "bob", BOB } };
	struct auth *a = auth__new(users, 2);

	(void)state;
	assert_non_null(a);
	/* each twice: the second answer comes from the cache, and must be the same */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(auth_check(a, "Basic YWxpY2U6czNjcmV0"), 0);	  /* alice:s3cret */
		assert_int_equal(auth_check(a, "Basic Ym9iOnB3"), 0);		  /* bob:pw */
		assert_int_equal(auth_check(a, "Basic YWxpY2U6cHc="), -EACCES);  /* alice:pw */
		assert_int_equal(auth_check(a, "Basic Ym9iOnMzY3JldA=="), -EACCES); /* bob:s3cret */
		/* an unknown user fails even with the dummy hash's own password */
		assert_int_equal(auth_check(a, "Basic ZXZlOmZha2VwYXNzd29yZA=="), -EACCES);
		assert_int_equal(auth_check(a, "Basic YWxpY2U6"), -EACCES); /* alice: empty */
		assert_int_equal(auth_check(a, NULL), -EACCES);
		assert_int_equal(auth_check(a, "Basic !!!!"), -EACCES);
	}
	/* more answers than the cache holds: still right after eviction */
	for (int i = 0; i < 140; i++)
		assert_int_equal(auth_check(a, i % 2 ? "Basic YWxpY2U6cHc=" : "Basic Ym9iOnB3"),
				 i % 2 ? -EACCES : 0);
	assert_int_equal(auth_check(a, "Basic YWxpY2U6czNjcmV0"), 0);
	auth__free(a);
	auth__free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_basic),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
