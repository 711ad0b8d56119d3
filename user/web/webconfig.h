/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * --web.config.file: TLS, basic auth, response headers and a rate limit, in the Prometheus
 * exporter-toolkit format, so that one file serves node_exporter and runnerscope alike.
 */
#ifndef RUNNERSCOPE_WEBCONFIG_H
#define RUNNERSCOPE_WEBCONFIG_H

#include <stddef.h>
#include <stdint.h>

#define WEB_CONFIG_MAX (1 << 20) /* the config file and every PEM file it names */

enum web_client_auth {
	WEB_CLIENT_NONE, /* NoClientCert */
	WEB_CLIENT_REQUEST, /* RequestClientCert: asked for, not checked */
	WEB_CLIENT_REQUIRE_ANY, /* RequireAnyClientCert: needed, not checked */
	WEB_CLIENT_VERIFY_IF_GIVEN, /* VerifyClientCertIfGiven */
	WEB_CLIENT_REQUIRE_VERIFY, /* RequireAndVerifyClientCert */
	WEB_CLIENT_MAX,
};

struct web_user {
	char *name;
	char *hash; /* bcrypt: $2a$, $2b$ or $2y$ */
};

struct web_header {
	char *name;
	char *value;
};

struct web_config {
	int tls; /* a tls_server_config is there */
	char *cert_pem; /* the contents: files are read at load */
	char *key_pem;
	char *client_ca_pem; /* NULL: none */
	enum web_client_auth client_auth;
	int min_version; /* 10 … 13 for TLS 1.0 … 1.3 */
	int max_version;
	int prefer_server_cipher_suites;
	char **curves; /* GnuTLS group names (X25519, SECP256R1 …), in order of preference */
	int ncurves;
	char **allowed_sans; /* a verified client certificate must carry one of these */
	int nallowed_sans;
	struct web_header *headers;
	int nheaders;
	struct web_user *users; /* none: no authentication */
	int nusers;
	uint64_t rate_interval_ns; /* rate_limit: one request per interval, bursts of burst */
	unsigned int rate_burst; /* 0: no limit */
};

/*
 * Reads the file; relative paths in it are relative to its directory. NULL on error, with a
 * message naming the file and line in err.
 */
struct web_config *web_config__load(const char *path, char *err, size_t err_sz);
/* the same from text; name is used in messages, dir resolves relative paths */
struct web_config *web_config__parse(const char *text, size_t len, const char *name,
				     const char *dir, char *err, size_t err_sz);
void web_config__free(struct web_config *c);

const char *web_client_auth_name(enum web_client_auth a);

#endif
