// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "web/webconfig_priv.h"

static int tls_version(struct webconfig_doc *x, const yaml_node_t *n, const char *key, int *out)
{
	static const char *const names[] = { "TLS10", "TLS11", "TLS12", "TLS13" };
	const char *s = webconfig_scalar(n);

	for (int i = 0; s && i < 4; i++) {
		if (!strcmp(s, names[i])) {
			*out = 10 + i;
			return 0;
		}
	}
	webconfig_fail(x, n, "%s: unknown TLS version %s: want TLS10, TLS11, TLS12 or TLS13", key,
		       s ? s : "(not a string)");
	return -EINVAL;
}

static const char *const client_auth_names[WEBCONFIG_CLIENT_MAX] = {
	[WEBCONFIG_CLIENT_NONE] = "NoClientCert",
	[WEBCONFIG_CLIENT_REQUEST] = "RequestClientCert",
	[WEBCONFIG_CLIENT_REQUIRE_ANY] = "RequireAnyClientCert",
	[WEBCONFIG_CLIENT_VERIFY_IF_GIVEN] = "VerifyClientCertIfGiven",
	[WEBCONFIG_CLIENT_REQUIRE_VERIFY] = "RequireAndVerifyClientCert",
};

const char *webconfig_client_auth_name(enum webconfig_client_auth a)
{
	return a < WEBCONFIG_CLIENT_MAX ? client_auth_names[a] : "unknown";
}

/* Go's curve names, as exporter-toolkit takes them, to GnuTLS groups */
static const char *curve_group(const char *go)
{
	static const char *const map[][2] = {
		{ "CurveP256", "SECP256R1" },
		{ "CurveP384", "SECP384R1" },
		{ "CurveP521", "SECP521R1" },
		{ "X25519", "X25519" },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(go, map[i][0]))
			return map[i][1];
	return NULL;
}

void webconfig_tls_pair(struct webconfig_doc *x, const yaml_node_t *k, const yaml_node_t *v,
			void *arg)
{
	struct webconfig_top *t = arg;
	struct webconfig_tls_src *src = &t->tls;
	struct webconfig *c = t->c;
	const char *key = webconfig_scalar(k);
	static const char *const known[] = {
		"cert_file",	 "key_file",	 "client_ca_file",    "cert",
		"key",		 "client_ca",	 "client_auth_type",  "min_version",
		"max_version",	 "prefer_server_cipher_suites",	      "curve_preferences",
		"client_allowed_sans", "cipher_suites",
	};
	size_t i;

	for (i = 0; i < sizeof(known) / sizeof(known[0]) && strcmp(key, known[i]); i++)
		;
	if (i == sizeof(known) / sizeof(known[0])) {
		webconfig_fail(x, k, "unknown key %s in tls_server_config", key);
		return;
	}
	/* `key:` alone leaves the default */
	if (webconfig_is_null(v))
		return;
	if (!strcmp(key, "cert_file"))
		src->cert_file = v;
	else if (!strcmp(key, "key_file"))
		src->key_file = v;
	else if (!strcmp(key, "client_ca_file"))
		src->client_ca_file = v;
	else if (!strcmp(key, "cert"))
		src->cert = v;
	else if (!strcmp(key, "key"))
		src->key = v;
	else if (!strcmp(key, "client_ca"))
		src->client_ca = v;
	else if (!strcmp(key, "client_auth_type")) {
		const char *s = webconfig_scalar(v);

		/* RequireClientCert: exporter-toolkit's older name */
		if (s && (!*s || !strcmp(s, "RequireClientCert"))) {
			c->client_auth = *s ? WEBCONFIG_CLIENT_REQUIRE_ANY : WEBCONFIG_CLIENT_NONE;
			return;
		}
		for (i = 0; s && i < WEBCONFIG_CLIENT_MAX && strcmp(s, client_auth_names[i]); i++)
			;
		if (!s || i == WEBCONFIG_CLIENT_MAX)
			webconfig_fail(x, v,
				       "client_auth_type: invalid value %s: want NoClientCert, "
				       "RequestClientCert, RequireAnyClientCert, "
				       "VerifyClientCertIfGiven or RequireAndVerifyClientCert",
				       s ? s : "(not a string)");
		else
			c->client_auth = (enum webconfig_client_auth)i;
	} else if (!strcmp(key, "min_version")) {
		tls_version(x, v, key, &c->min_version);
	} else if (!strcmp(key, "max_version")) {
		tls_version(x, v, key, &c->max_version);
	} else if (!strcmp(key, "prefer_server_cipher_suites")) {
		webconfig_get_bool(x, v, key, &c->prefer_server_cipher_suites);
	} else if (!strcmp(key, "curve_preferences")) {
		int n;
		char **l = webconfig_string_list(x, v, key, &n);

		for (int i = 0; !x->failed && i < n; i++) {
			const char *g = curve_group(l[i]);

			if (!g) {
				webconfig_fail(
					x, v,
					"curve_preferences: unknown curve %s: want CurveP256, "
					"CurveP384, CurveP521 or X25519",
					l[i]);
				break;
			}
			free(l[i]);
			l[i] = strdup(g);
			if (!l[i])
				webconfig_fail(x, v, "out of memory");
		}
		webconfig_free_list(c->curves, c->ncurves);
		c->curves = l;
		c->ncurves = n;
	} else if (!strcmp(key, "client_allowed_sans")) {
		webconfig_free_list(c->allowed_sans, c->nallowed_sans);
		c->allowed_sans = webconfig_string_list(x, v, key, &c->nallowed_sans);
	} else {
		webconfig_fail(x, k,
			       "cipher_suites is not supported: runnerscope's TLS library (GnuTLS) "
			       "offers its own secure suites; narrow them with min_version");
	}
}

/* a PEM from a file, or given inline; the file wins, as in exporter-toolkit */
static char *pem(struct webconfig_doc *x, const yaml_node_t *file, const yaml_node_t *inline_pem,
		 const char *file_key, const char *inline_key)
{
	if (file)
		return webconfig_read_pem(x, file, file_key);
	if (inline_pem)
		return webconfig_dup_scalar(x, inline_pem, inline_key);
	return NULL;
}

void webconfig_tls_finish(struct webconfig_doc *x, struct webconfig_top *t)
{
	struct webconfig *c = t->c;
	const yaml_node_t *at = t->tls.node;

	if (x->failed || !c->tls)
		return;
	if (!t->tls.cert_file && !t->tls.cert) {
		webconfig_fail(x, at, "tls_server_config: missing cert_file (or cert)");
		return;
	}
	if (!t->tls.key_file && !t->tls.key) {
		webconfig_fail(x, at, "tls_server_config: missing key_file (or key)");
		return;
	}
	if (c->min_version > c->max_version) {
		webconfig_fail(x, at, "tls_server_config: min_version is above max_version");
		return;
	}
	c->cert_pem = pem(x, t->tls.cert_file, t->tls.cert, "cert_file", "cert");
	c->key_pem = pem(x, t->tls.key_file, t->tls.key, "key_file", "key");
	c->client_ca_pem =
		pem(x, t->tls.client_ca_file, t->tls.client_ca, "client_ca_file", "client_ca");
	if (x->failed)
		return;
	if (c->client_ca_pem && c->client_auth == WEBCONFIG_CLIENT_NONE)
		webconfig_fail(
			x, at,
			"tls_server_config: a client CA is set but client_auth_type is "
			"NoClientCert: set client_auth_type (e.g. RequireAndVerifyClientCert)");
	else if (!c->client_ca_pem && (c->client_auth == WEBCONFIG_CLIENT_VERIFY_IF_GIVEN ||
				       c->client_auth == WEBCONFIG_CLIENT_REQUIRE_VERIFY))
		webconfig_fail(x, at,
			       "tls_server_config: client_auth_type %s needs client_ca_file (or "
			       "client_ca) to verify certificates against",
			       webconfig_client_auth_name(c->client_auth));
	else if (c->nallowed_sans && c->client_auth != WEBCONFIG_CLIENT_REQUIRE_VERIFY &&
		 c->client_auth != WEBCONFIG_CLIENT_VERIFY_IF_GIVEN)
		webconfig_fail(x, at,
			       "tls_server_config: client_allowed_sans needs client_auth_type "
			       "RequireAndVerifyClientCert or VerifyClientCertIfGiven");
}
