// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include "lib/log.h"
#include "expo/expo.h"
#include "web/http_priv.h"
#include "web/webconfig.h"

char *http_tls_priorities(const struct webconfig *w)
{
	static const char *const vers[] = { "VERS-TLS1.0", "VERS-TLS1.1", "VERS-TLS1.2",
					     "VERS-TLS1.3" };
	struct buf b;

	buf_init(&b);
	buf_puts(&b, "NORMAL:-VERS-ALL");
	for (int v = w->max_version; v >= w->min_version; v--)
		buf_printf(&b, ":+%s", vers[v - 10]);
	if (w->ncurves) {
		buf_puts(&b, ":-GROUP-ALL");
		for (int i = 0; i < w->ncurves; i++)
			buf_printf(&b, ":+GROUP-%s", w->curves[i]);
	}
	if (w->prefer_server_cipher_suites)
		buf_puts(&b, ":%SERVER_PRECEDENCE");
	if (b.oom) {
		buf_free(&b);
		return NULL;
	}
	return b.p;
}

int http_tls_check(const struct webconfig *w, const char *priorities)
{
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t cert = { (unsigned char *)w->cert_pem, (unsigned int)strlen(w->cert_pem) };
	gnutls_datum_t key = { (unsigned char *)w->key_pem, (unsigned int)strlen(w->key_pem) };
	gnutls_priority_t prio;
	const char *where = NULL;
	int err;

	if (!MHD_is_feature_supported(MHD_FEATURE_TLS)) {
		pr_err("this libmicrohttpd was built without TLS: remove tls_server_config from "
		       "--web.config.file, or install a libmicrohttpd with GnuTLS");
		return -ENOTSUP;
	}
	if (gnutls_certificate_allocate_credentials(&cred) < 0)
		return -ENOMEM;
	err = gnutls_certificate_set_x509_key_mem2(cred, &cert, &key, GNUTLS_X509_FMT_PEM, NULL,
						   0);
	if (err < 0) {
		pr_err("invalid TLS certificate or key in --web.config.file: %s",
		       gnutls_strerror(err));
		gnutls_certificate_free_credentials(cred);
		return -EINVAL;
	}
	if (w->client_ca_pem) {
		gnutls_datum_t ca = { (unsigned char *)w->client_ca_pem,
				      (unsigned int)strlen(w->client_ca_pem) };

		err = gnutls_certificate_set_x509_trust_mem(cred, &ca, GNUTLS_X509_FMT_PEM);
		if (err <= 0) {
			pr_err("invalid client CA in --web.config.file: %s",
			       err ? gnutls_strerror(err) : "no certificate in it");
			gnutls_certificate_free_credentials(cred);
			return -EINVAL;
		}
	}
	gnutls_certificate_free_credentials(cred);
	err = gnutls_priority_init(&prio, priorities, &where);
	if (err < 0) {
		pr_err("TLS settings in --web.config.file not supported by GnuTLS (%s at \"%s\")",
		       gnutls_strerror(err), where ? where : "");
		return -EINVAL;
	}
	gnutls_priority_deinit(prio);
	return 0;
}

void http_tls_session_setup(struct http *h, struct MHD_Connection *c)
{
	const struct webconfig *w = h->opts.web;
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t s;

	if (!w || !w->tls || w->client_auth == WEBCONFIG_CLIENT_NONE)
		return;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return;
	s = (gnutls_session_t)ci->tls_session;
	/* the handshake itself fails without a certificate, as Go's RequireAnyClientCert does */
	if (w->client_auth == WEBCONFIG_CLIENT_REQUIRE_ANY ||
	    w->client_auth == WEBCONFIG_CLIENT_REQUIRE_VERIFY)
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
	else
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
}

/* a SAN of the client's certificate as text: names as they are, IP addresses printed */
static int san_text(gnutls_x509_crt_t crt, unsigned int i, char *out, size_t sz)
{
	char raw[1024];
	size_t len = sizeof(raw) - 1;
	int type = gnutls_x509_crt_get_subject_alt_name(crt, i, raw, &len, NULL);

	if (type < 0)
		return type;
	if (type == GNUTLS_SAN_IPADDRESS) {
		if (!inet_ntop(len == 4 ? AF_INET : AF_INET6, raw, out, (socklen_t)sz))
			out[0] = '\0';
	} else if (type == GNUTLS_SAN_DNSNAME || type == GNUTLS_SAN_RFC822NAME ||
		   type == GNUTLS_SAN_URI) {
		raw[len] = '\0';
		snprintf(out, sz, "%s", raw);
	} else {
		out[0] = '\0';
	}
	return 0;
}

const char *http_tls_refusal(struct http *h, struct MHD_Connection *c)
{
	const struct webconfig *w = h->opts.web;
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *certs;
	unsigned int ncerts = 0, status = 0;
	gnutls_x509_crt_t crt;
	gnutls_session_t s;
	int allowed = 0;

	if (!w || !w->tls || w->client_auth == WEBCONFIG_CLIENT_NONE ||
	    w->client_auth == WEBCONFIG_CLIENT_REQUEST)
		return NULL;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return "no TLS session";
	s = (gnutls_session_t)ci->tls_session;
	certs = gnutls_certificate_get_peers(s, &ncerts);
	if (!certs || !ncerts)
		return w->client_auth == WEBCONFIG_CLIENT_VERIFY_IF_GIVEN ?
			       NULL :
			       "a client certificate is required";
	if (w->client_auth == WEBCONFIG_CLIENT_REQUIRE_ANY)
		return NULL;
	if (gnutls_certificate_verify_peers2(s, &status) < 0 || status)
		return "the client certificate is not signed by client_ca_file, or has expired";
	if (!w->nallowed_sans)
		return NULL;
	if (gnutls_x509_crt_init(&crt) < 0)
		return "out of memory";
	if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) >= 0) {
		char san[1024];

		for (unsigned int i = 0; !allowed && san_text(crt, i, san, sizeof(san)) >= 0; i++)
			for (int j = 0; !allowed && j < w->nallowed_sans; j++)
				allowed = san[0] && !strcmp(san, w->allowed_sans[j]);
	}
	gnutls_x509_crt_deinit(crt);
	return allowed ? NULL : "the client certificate has none of client_allowed_sans";
}
