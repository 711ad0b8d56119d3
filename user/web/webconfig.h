/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --web.config.file: TLS, basic auth, response headers and a rate limit, in the Prometheus
 * exporter-toolkit format, so that one file serves node_exporter and runnerscope alike.
 */
#ifndef RUNNERSCOPE_WEBCONFIG_H
#define RUNNERSCOPE_WEBCONFIG_H

#include <stddef.h>
#include <stdint.h>

#define WEBCONFIG_MAX (1 << 20) /* the config file and every PEM file it names */

enum webconfig_client_auth {
	WEBCONFIG_CLIENT_NONE, /* NoClientCert */
	WEBCONFIG_CLIENT_REQUEST, /* RequestClientCert: asked for, not checked */
	WEBCONFIG_CLIENT_REQUIRE_ANY, /* RequireAnyClientCert: needed, not checked */
	WEBCONFIG_CLIENT_VERIFY_IF_GIVEN, /* VerifyClientCertIfGiven */
	WEBCONFIG_CLIENT_REQUIRE_VERIFY, /* RequireAndVerifyClientCert */
	WEBCONFIG_CLIENT_MAX,
};

struct webconfig_user {
	char *name;
	char *hash; /* bcrypt: $2a$, $2b$ or $2y$ */
};

struct webconfig_header {
	char *name;
	char *value;
};

struct webconfig {
	int tls; /* a tls_server_config is there */
	char *cert_pem; /* the contents: files are read at load */
	char *key_pem;
	char *client_ca_pem; /* NULL: none */
	enum webconfig_client_auth client_auth;
	int min_version; /* 10 … 13 for TLS 1.0 … 1.3 */
	int max_version;
	int prefer_server_cipher_suites;
	char **curves; /* GnuTLS group names (X25519, SECP256R1 …), in order of preference */
	int ncurves;
	char **allowed_sans; /* a verified client certificate must carry one of these */
	int nallowed_sans;
	struct webconfig_header *headers;
	int nheaders;
	struct webconfig_user *users; /* none: no authentication */
	int nusers;
	uint64_t rate_interval_ns; /* rate_limit: one request per interval, bursts of burst */
	unsigned int rate_burst; /* 0: no limit */
};

/*
 * Reads the file; relative paths in it are relative to its directory. NULL on error, with a
 * message naming the file and line in err.
 */
struct webconfig *webconfig__load(const char *path, char *err, size_t err_sz);
/* the same from text; name is used in messages, dir resolves relative paths */
struct webconfig *webconfig_parse(const char *text, size_t len, const char *name,
				  const char *dir, char *err, size_t err_sz);
void webconfig__free(struct webconfig *c);

const char *webconfig_client_auth_name(enum webconfig_client_auth a);

#endif
