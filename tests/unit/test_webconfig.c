// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "lib/duration.h"
#include "web/webconfig.h"

#define HASH "$2b$10$6otpmKcaDJSfTiPwiUEzKeXM6YyZTdgSAWx4qbP0R3stfwJqm9qwC"

static char dir[64];

static int setup_dir(void **state)
{
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/rs-webconfig-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	/* the parser reads the files; whether they hold valid PEM is the TLS library's to say */
	for (int i = 0; i < 3; i++) {
		char p[128];
		static const char *const names[] = { "server.crt", "server.key", "ca.crt" };

		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		f = fopen(p, "w");
		if (!f)
			return -1;
		fprintf(f, "-----BEGIN %s-----\n", names[i]);
		fclose(f);
	}
	return 0;
}

static int teardown_dir(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static struct webconfig *parse(const char *text, char *err, size_t sz)
{
	return webconfig_parse(text, strlen(text), "web.yml", dir, err, sz);
}

/* the text is refused with exactly this message */
static void check_error(const char *text, const char *want)
{
	char err[512];
	struct webconfig *c = parse(text, err, sizeof(err));

	if (c)
		fail_msg("accepted:\n%s", text);
	if (strcmp(err, want))
		fail_msg("error '%s', want '%s'", err, want);
}

static void test_full(void **state)
{
	char err[512];
	struct webconfig *c;

	(void)state;
	c = parse("# runnerscope and node_exporter read the same file\n"
		  "tls_server_config:\n"
		  "  cert_file: server.crt\n"
		  "  key_file: server.key\n"
		  "  client_ca_file: ca.crt\n"
		  "  client_auth_type: RequireAndVerifyClientCert\n"
		  "  min_version: TLS13\n"
		  "  max_version: TLS13\n"
		  "  prefer_server_cipher_suites: false\n"
		  "  curve_preferences: [X25519, CurveP256]\n"
		  "  client_allowed_sans: [prometheus.example, 10.0.0.1]\n"
		  "http_server_config:\n"
		  "  http2: false\n"
		  "  headers:\n"
		  "    X-Frame-Options: deny\n"
		  "    Strict-Transport-Security: max-age=31536000\n"
		  "basic_auth_users:\n"
		  "  alice: " HASH "\n"
		  "  'bob smith': \"" HASH "\"\n"
		  "rate_limit:\n"
		  "  interval: 100ms\n"
		  "  burst: 20\n",
		  err, sizeof(err));
	if (!c)
		fail_msg("%s", err);
	assert_true(c->tls);
	assert_string_equal(c->cert_pem, "-----BEGIN server.crt-----\n");
	assert_string_equal(c->key_pem, "-----BEGIN server.key-----\n");
	assert_string_equal(c->client_ca_pem, "-----BEGIN ca.crt-----\n");
	assert_int_equal(c->client_auth, WEBCONFIG_CLIENT_REQUIRE_VERIFY);
	assert_int_equal(c->min_version, 13);
	assert_int_equal(c->max_version, 13);
	assert_false(c->prefer_server_cipher_suites);
	assert_int_equal(c->ncurves, 2);
	assert_string_equal(c->curves[0], "X25519");
	assert_string_equal(c->curves[1], "SECP256R1");
	assert_int_equal(c->nallowed_sans, 2);
	assert_string_equal(c->allowed_sans[1], "10.0.0.1");
	assert_int_equal(c->nheaders, 2);
	assert_string_equal(c->headers[0].name, "X-Frame-Options");
	assert_string_equal(c->headers[0].value, "deny");
	assert_int_equal(c->nusers, 2);
	assert_string_equal(c->users[0].name, "alice");
	assert_string_equal(c->users[1].name, "bob smith");
	assert_string_equal(c->users[1].hash, HASH);
	assert_int_equal(c->rate_interval_ns, 100000000);
	assert_int_equal(c->rate_burst, 20);
	webconfig__free(c);
}

static void test_defaults(void **state)
{
	char err[512];
	struct webconfig *c;

	(void)state;
	/* an empty file, a comment, empty sections: plain HTTP, no users */
	static const char *const empty[] = { "", "# nothing\n", "{}\n",
					     "basic_auth_users:\nhttp_server_config:\n",
					     "tls_server_config: ~\n" };
	for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++) {
		c = parse(empty[i], err, sizeof(err));
		if (!c)
			fail_msg("'%s': %s", empty[i], err);
		assert_false(c->tls);
		assert_int_equal(c->nusers, 0);
		assert_int_equal(c->nheaders, 0);
		assert_int_equal(c->rate_burst, 0);
		webconfig__free(c);
	}
	c = parse("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		  "  client_auth_type:\n",
		  err, sizeof(err));
	if (!c)
		fail_msg("%s", err);
	assert_int_equal(c->min_version, 12);
	assert_int_equal(c->max_version, 13);
	assert_true(c->prefer_server_cipher_suites);
	assert_int_equal(c->client_auth, WEBCONFIG_CLIENT_NONE);
	assert_null(c->client_ca_pem);
	webconfig__free(c);
	/* exporter-toolkit's http2: true is taken (and logged as not served), not refused */
	c = parse("http_server_config:\n  http2: true\n", err, sizeof(err));
	if (!c)
		fail_msg("%s", err);
	webconfig__free(c);
}

static void test_inline_and_absolute(void **state)
{
	char err[512], text[512];
	struct webconfig *c;

	(void)state;
	/* inline PEM; a file given as well wins, as in exporter-toolkit */
	snprintf(text, sizeof(text),
		 "tls_server_config:\n  cert: |\n    inline cert\n  key: inline key\n"
		 "  key_file: %s/server.key\n  client_auth_type: RequireClientCert\n",
		 dir);
	c = parse(text, err, sizeof(err));
	if (!c)
		fail_msg("%s", err);
	assert_string_equal(c->cert_pem, "inline cert\n");
	assert_string_equal(c->key_pem, "-----BEGIN server.key-----\n");
	assert_int_equal(c->client_auth, WEBCONFIG_CLIENT_REQUIRE_ANY);
	webconfig__free(c);
}

static void test_load_file(void **state)
{
	char err[512], path[128];
	struct webconfig *c;
	FILE *f;

	(void)state;
	snprintf(path, sizeof(path), "%s/web.yml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n", f);
	fclose(f);
	/* relative file names are relative to the config's directory, not the working one */
	assert_int_equal(chdir("/"), 0);
	c = webconfig__load(path, err, sizeof(err));
	if (!c)
		fail_msg("%s", err);
	assert_string_equal(c->cert_pem, "-----BEGIN server.crt-----\n");
	webconfig__free(c);

	c = webconfig__load("/nonexistent/web.yml", err, sizeof(err));
	assert_null(c);
	assert_string_equal(err, "cannot read /nonexistent/web.yml: No such file or directory");
	c = webconfig__load(dir, err, sizeof(err));
	assert_null(c);
	assert_non_null(strstr(err, "Is a directory"));
	c = webconfig__load("/dev/zero", err, sizeof(err));
	assert_null(c);
	assert_non_null(strstr(err, "not a regular file"));
}

static void test_errors_name_the_line(void **state)
{
	(void)state;
	check_error("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		    "  min_version: TLS14\n",
		    "web.yml:4: min_version: unknown TLS version TLS14: want TLS10, TLS11, TLS12 "
		    "or TLS13");
	check_error("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		    "  min_version: TLS13\n  max_version: TLS12\n",
		    "web.yml:2: tls_server_config: min_version is above max_version");
	check_error("basic_auth_users:\n  alice: " HASH "\nbasic_auth_user:\n  bob: x\n",
		    "web.yml:3: unknown key basic_auth_user: want tls_server_config, "
		    "http_server_config, basic_auth_users or rate_limit");
	check_error("tls_server_config:\n  cert_file: server.crt\n  keyfile: server.key\n",
		    "web.yml:3: unknown key keyfile in tls_server_config");
	check_error("tls_server_config:\n  cert_file: server.crt\n",
		    "web.yml:2: tls_server_config: missing key_file (or key)");
	check_error("tls_server_config:\n  key_file: server.key\n",
		    "web.yml:2: tls_server_config: missing cert_file (or cert)");
}

static void test_more_errors(void **state)
{
	char want[256];

	(void)state;
	snprintf(want, sizeof(want), "web.yml:2: cert_file: cannot read %s/missing.crt: No such "
				     "file or directory", dir);
	check_error("tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n", want);
	check_error("basic_auth_users:\n  alice: s3cret\n",
		    "web.yml:2: basic_auth_users: the password of alice is not a bcrypt hash "
		    "($2y$…, e.g. from htpasswd -nbBC 10 \"\" PASSWORD)");
	check_error("basic_auth_users:\n  alice: " HASH "\n  alice: " HASH "\n",
		    "web.yml:3: basic_auth_users: alice is set twice");
	check_error("basic_auth_users:\n  'a:b': " HASH "\n",
		    "web.yml:2: basic_auth_users: user name a:b: must be non-empty without ':'");
	check_error("basic_auth_users: [alice]\n",
		    "web.yml:1: basic_auth_users: want a mapping");
	check_error("http_server_config:\n  headers:\n    Server: evil\n",
		    "web.yml:3: HTTP header Server can not be configured: want "
		    "Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, "
		    "X-XSS-Protection or Content-Security-Policy");
	check_error("http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
		    "web.yml:3: invalid value for X-Frame-Options: allow");
	check_error("http_server_config:\n  headers:\n    Content-Security-Policy: \"a\\r\\nb: c\"\n",
		    "web.yml:3: invalid value for Content-Security-Policy: a line break");
	check_error("http_server_config:\n  http2: maybe\n",
		    "web.yml:2: http2: want true or false");
	check_error("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		    "  client_auth_type: Sometimes\n",
		    "web.yml:4: client_auth_type: invalid value Sometimes: want NoClientCert, "
		    "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or "
		    "RequireAndVerifyClientCert");
	check_error("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		    "  client_ca_file: ca.crt\n",
		    "web.yml:2: tls_server_config: a client CA is set but client_auth_type is "
		    "NoClientCert: set client_auth_type (e.g. RequireAndVerifyClientCert)");
	check_error("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		    "  client_auth_type: RequireAndVerifyClientCert\n",
		    "web.yml:2: tls_server_config: client_auth_type RequireAndVerifyClientCert needs "
		    "client_ca_file (or client_ca) to verify certificates against");
	check_error("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		    "  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
		    "web.yml:4: cipher_suites is not supported: runnerscope's TLS library (GnuTLS) "
		    "offers its own secure suites; narrow them with min_version");
	check_error("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
		    "  curve_preferences: [CurveP224]\n",
		    "web.yml:4: curve_preferences: unknown curve CurveP224: want CurveP256, "
		    "CurveP384, CurveP521 or X25519");
	check_error("rate_limit:\n  interval: soon\n",
		    "web.yml:2: rate_limit: interval: want a duration such as 1s or 100ms");
	check_error("rate_limit:\n  interval: 1s\n  burst: -1\n",
		    "web.yml:3: rate_limit: burst: want a number from 0 to 1000000");
	check_error("rate_limit:\n  interval: 1s\n",
		    "web.yml:1: rate_limit: interval and burst go together, each above 0");
}

static void test_yaml_syntax(void **state)
{
	char err[512];

	(void)state;
	assert_null(parse("tls_server_config:\n  cert_file: [unclosed\n", err, sizeof(err)));
	assert_string_equal(err, "web.yml:3: did not find expected ',' or ']' while parsing a "
				 "flow sequence");
	assert_null(parse("a: b\n\tc: d\n", err, sizeof(err)));
	assert_int_equal(strncmp(err, "web.yml:2: ", 11), 0);
	/* a document that is not a mapping */
	assert_null(parse("- tls_server_config\n", err, sizeof(err)));
	assert_string_equal(err, "web.yml:1: the web config: want a mapping");
	/* anchors and aliases resolve to the same scalar: no loop, no blow-up */
	assert_null(parse("a: &x [*x]\n", err, sizeof(err)));
}

static void test_client_auth_names(void **state)
{
	(void)state;
	assert_string_equal(webconfig_client_auth_name(WEBCONFIG_CLIENT_NONE), "NoClientCert");
	assert_string_equal(webconfig_client_auth_name(WEBCONFIG_CLIENT_VERIFY_IF_GIVEN),
			    "VerifyClientCertIfGiven");
	assert_string_equal(webconfig_client_auth_name(WEBCONFIG_CLIENT_MAX), "unknown");
}

static void test_duration(void **state)
{
	uint64_t ns;

	(void)state;
	assert_int_equal(duration_parse("500ms", &ns), 0);
	assert_int_equal(ns, 500000000ULL);
	assert_int_equal(duration_parse("1.5s", &ns), 0);
	assert_int_equal(ns, 1500000000ULL);
	assert_int_equal(duration_parse("1h30m", &ns), 0);
	assert_int_equal(ns, 5400ULL * 1000000000ULL);
	assert_int_equal(duration_parse("1m1ms", &ns), 0);
	assert_int_equal(ns, 60001000000ULL);
	assert_int_equal(duration_parse("2w", &ns), 0);
	assert_int_equal(ns, 14ULL * 86400 * 1000000000ULL);
	static const char *const bad[] = { "", "5", "s", "-1s", "+1s", " 1s", "1s ", "1x",
					   "0x10s", "inf s", "infs", "1e3s", "1s2", "1000000w" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (duration_parse(bad[i], &ns) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_inline_and_absolute),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_errors_name_the_line),
		cmocka_unit_test(test_more_errors),
		cmocka_unit_test(test_yaml_syntax),
		cmocka_unit_test(test_client_auth_names),
		cmocka_unit_test(test_duration),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
