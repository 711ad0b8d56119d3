// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <yaml.h>
#include "web/webconfig.h"
#include "lib/duration.h"

/* the parse in progress: the document, where its relative paths start, the first error */
struct ctx {
	yaml_document_t *doc;
	const char *name;
	const char *dir;
	char *err;
	size_t err_sz;
	int failed;
};

static void fail(struct ctx *x, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void fail(struct ctx *x, const yaml_node_t *n, const char *fmt, ...)
{
	size_t off;
	va_list ap;

	if (x->failed)
		return;
	x->failed = 1;
	off = (size_t)snprintf(x->err, x->err_sz, "%s:%lu: ", x->name,
			       n ? (unsigned long)n->start_mark.line + 1 : 1UL);
	if (off >= x->err_sz)
		return;
	va_start(ap, fmt);
	vsnprintf(x->err + off, x->err_sz - off, fmt, ap);
	va_end(ap);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* a plain `key:` with nothing after it: YAML's null, which leaves the default */
static int is_null(const yaml_node_t *n)
{
	const char *s = scalar(n);

	return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
		!strcmp(s, "NULL"));
}

static char *dup_scalar(struct ctx *x, const yaml_node_t *n, const char *key)
{
	const char *s = scalar(n);
	char *d;

	if (!s) {
		fail(x, n, "%s: want a string", key);
		return NULL;
	}
	if (strlen(s) != n->data.scalar.length) {
		fail(x, n, "%s: a NUL byte in the value", key);
		return NULL;
	}
	d = strdup(s);
	if (!d)
		fail(x, n, "out of memory");
	return d;
}

static int get_bool(struct ctx *x, const yaml_node_t *n, const char *key, int *out)
{
	const char *s = scalar(n);
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "on", "On" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "off", "Off" };

	for (size_t i = 0; s && i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
			*out = !strcmp(s, yes[i]);
			return 0;
		}
	}
	fail(x, n, "%s: want true or false", key);
	return -EINVAL;
}

/* the mapping's pairs, one callback each; a key given twice is an error, as in Go's yaml */
static void each_pair(struct ctx *x, const yaml_node_t *map, const char *what,
		      void (*fn)(struct ctx *, const yaml_node_t *key, const yaml_node_t *value,
				 void *arg),
		      void *arg)
{
	if (is_null(map))
		return;
	if (map->type != YAML_MAPPING_NODE) {
		fail(x, map, "%s: want a mapping", what);
		return;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     !x->failed && p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(x->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(x->doc, p->value);

		if (!scalar(k)) {
			fail(x, k, "%s: keys must be strings", what);
			return;
		}
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			if (!strcmp(scalar(yaml_document_get_node(x->doc, q->key)), scalar(k))) {
				fail(x, k, "%s: %s is set twice", what, scalar(k));
				return;
			}
		}
		fn(x, k, v, arg);
	}
}

/* a sequence of strings */
static char **string_list(struct ctx *x, const yaml_node_t *n, const char *key, int *count)
{
	char **out;
	int i = 0;

	*count = 0;
	if (is_null(n))
		return NULL;
	if (n->type != YAML_SEQUENCE_NODE) {
		fail(x, n, "%s: want a list", key);
		return NULL;
	}
	out = calloc((size_t)(n->data.sequence.items.top - n->data.sequence.items.start) + 1,
		     sizeof(*out));
	if (!out) {
		fail(x, n, "out of memory");
		return NULL;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     !x->failed && it < n->data.sequence.items.top; it++) {
		out[i] = dup_scalar(x, yaml_document_get_node(x->doc, *it), key);
		i += out[i] != NULL;
	}
	*count = i;
	return out;
}

static void free_list(char **l, int n)
{
	for (int i = 0; l && i < n; i++)
		free(l[i]);
	free(l);
}

/* a whole file of at most WEB_CONFIG_MAX bytes, NUL-terminated; NULL with errno set */
static char *read_file(const char *path)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t r = 0;
	int fd, err = 0;

	/* O_NONBLOCK: a FIFO named here must not hang start-up */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st)) {
		err = errno;
	} else if (S_ISDIR(st.st_mode)) {
		err = EISDIR;
	} else if (!S_ISREG(st.st_mode) || st.st_size > WEB_CONFIG_MAX) {
		err = EFBIG; /* or not a file at all: either way, not one to read */
	} else if (!(buf = malloc((size_t)st.st_size + 1))) {
		err = ENOMEM;
	} else {
		while (len < (size_t)st.st_size &&
		       (r = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
			len += (size_t)r;
		if (r < 0)
			err = errno;
		else if (len != (size_t)st.st_size || memchr(buf, '\0', len))
			err = EINVAL; /* it changed under us, or it is binary */
		buf[len] = '\0';
	}
	close(fd);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	return buf;
}

static const char *read_error(int err)
{
	return err == EFBIG ? "not a regular file of at most 1 MiB" :
	       err == EINVAL ? "binary or changing while read" : strerror(err);
}

/* a PEM file named in the config; relative to the config's directory */
static char *read_pem(struct ctx *x, const yaml_node_t *n, const char *key)
{
	const char *path = scalar(n);
	char full[4096];
	char *text;

	if (!path || !*path) {
		fail(x, n, "%s: want a file name", key);
		return NULL;
	}
	if (path[0] == '/' || !x->dir)
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", x->dir, path);
	text = read_file(full);
	if (!text)
		fail(x, n, "%s: cannot read %s: %s", key, full, read_error(errno));
	return text;
}

static int tls_version(struct ctx *x, const yaml_node_t *n, const char *key, int *out)
{
	static const char *const names[] = { "TLS10", "TLS11", "TLS12", "TLS13" };
	const char *s = scalar(n);

	for (int i = 0; s && i < 4; i++) {
		if (!strcmp(s, names[i])) {
			*out = 10 + i;
			return 0;
		}
	}
	fail(x, n, "%s: unknown TLS version %s: want TLS10, TLS11, TLS12 or TLS13", key,
	     s ? s : "(not a string)");
	return -EINVAL;
}

static const char *const client_auth_names[WEB_CLIENT_MAX] = {
	[WEB_CLIENT_NONE] = "NoClientCert",
	[WEB_CLIENT_REQUEST] = "RequestClientCert",
	[WEB_CLIENT_REQUIRE_ANY] = "RequireAnyClientCert",
	[WEB_CLIENT_VERIFY_IF_GIVEN] = "VerifyClientCertIfGiven",
	[WEB_CLIENT_REQUIRE_VERIFY] = "RequireAndVerifyClientCert",
};

const char *web_client_auth_name(enum web_client_auth a)
{
	return a < WEB_CLIENT_MAX ? client_auth_names[a] : "unknown";
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

/* what tls_server_config has, before the files are read */
struct tls_src {
	const yaml_node_t *cert_file, *key_file, *client_ca_file;
	const yaml_node_t *cert, *key, *client_ca;
	const yaml_node_t *node;
};

/* what is being parsed: the config, and where its TLS files are named */
struct top {
	struct web_config *c;
	struct tls_src tls;
	const yaml_node_t *rate; /* rate_limit, if given */
};

static void tls_pair(struct ctx *x, const yaml_node_t *k, const yaml_node_t *v, void *arg)
{
	struct top *t = arg;
	struct tls_src *src = &t->tls;
	struct web_config *c = t->c;
	const char *key = scalar(k);
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
		fail(x, k, "unknown key %s in tls_server_config", key);
		return;
	}
	/* `key:` alone leaves the default */
	if (is_null(v))
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
		const char *s = scalar(v);

		/* RequireClientCert: exporter-toolkit's older name */
		if (s && (!*s || !strcmp(s, "RequireClientCert"))) {
			c->client_auth = *s ? WEB_CLIENT_REQUIRE_ANY : WEB_CLIENT_NONE;
			return;
		}
		for (i = 0; s && i < WEB_CLIENT_MAX && strcmp(s, client_auth_names[i]); i++)
			;
		if (!s || i == WEB_CLIENT_MAX)
			fail(x, v, "client_auth_type: invalid value %s: want NoClientCert, "
				   "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or "
				   "RequireAndVerifyClientCert",
			     s ? s : "(not a string)");
		else
			c->client_auth = (enum web_client_auth)i;
	} else if (!strcmp(key, "min_version")) {
		tls_version(x, v, key, &c->min_version);
	} else if (!strcmp(key, "max_version")) {
		tls_version(x, v, key, &c->max_version);
	} else if (!strcmp(key, "prefer_server_cipher_suites")) {
		get_bool(x, v, key, &c->prefer_server_cipher_suites);
	} else if (!strcmp(key, "curve_preferences")) {
		int n;
		char **l = string_list(x, v, key, &n);

		for (int i = 0; !x->failed && i < n; i++) {
			const char *g = curve_group(l[i]);

			if (!g) {
				fail(x, v, "curve_preferences: unknown curve %s: want CurveP256, "
					   "CurveP384, CurveP521 or X25519",
				     l[i]);
				break;
			}
			free(l[i]);
			l[i] = strdup(g);
			if (!l[i])
				fail(x, v, "out of memory");
		}
		free_list(c->curves, c->ncurves);
		c->curves = l;
		c->ncurves = n;
	} else if (!strcmp(key, "client_allowed_sans")) {
		free_list(c->allowed_sans, c->nallowed_sans);
		c->allowed_sans = string_list(x, v, key, &c->nallowed_sans);
	} else {
		fail(x, k, "cipher_suites is not supported: runnerscope's TLS library (GnuTLS) "
			   "offers its own secure suites; narrow them with min_version");
	}
}

/* copies of a and b into *oa and *ob, both or neither */
static int dup_two(struct ctx *x, const yaml_node_t *at, const char *a, const char *b, char **oa,
		   char **ob)
{
	*oa = strdup(a);
	*ob = strdup(b);
	if (*oa && *ob)
		return 0;
	free(*oa);
	free(*ob);
	fail(x, at, "out of memory");
	return -ENOMEM;
}

/*
 * Headers exporter-toolkit lets a config set, with the values it allows (NULL: any): the
 * response's security headers, never ones that change what it means.
 */
static const struct {
	const char *name;
	const char *const values[3];
} allowed_headers[] = {
	{ "Strict-Transport-Security", { NULL } },
	{ "X-Content-Type-Options", { "nosniff", NULL } },
	{ "X-Frame-Options", { "deny", "sameorigin", NULL } },
	{ "X-XSS-Protection", { NULL } },
	{ "Content-Security-Policy", { NULL } },
};

static void header_pair(struct ctx *x, const yaml_node_t *k, const yaml_node_t *v, void *arg)
{
	struct web_config *c = arg;
	const char *name = scalar(k), *value = scalar(v);
	size_t i, j;
	struct web_header *h;

	for (i = 0; i < sizeof(allowed_headers) / sizeof(allowed_headers[0]); i++)
		if (!strcmp(name, allowed_headers[i].name))
			break;
	if (i == sizeof(allowed_headers) / sizeof(allowed_headers[0])) {
		fail(x, k, "HTTP header %s can not be configured: want Strict-Transport-Security, "
			   "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection or "
			   "Content-Security-Policy",
		     name);
		return;
	}
	if (!value) {
		fail(x, v, "%s: want a string", name);
		return;
	}
	for (j = 0; allowed_headers[i].values[j]; j++)
		if (!strcmp(value, allowed_headers[i].values[j]))
			break;
	if (allowed_headers[i].values[0] && !allowed_headers[i].values[j]) {
		fail(x, v, "invalid value for %s: %s", name, value);
		return;
	}
	/* a value is one header line: no CR or LF to split the response with */
	if (strpbrk(value, "\r\n")) {
		fail(x, v, "invalid value for %s: a line break", name);
		return;
	}
	h = realloc(c->headers, (size_t)(c->nheaders + 1) * sizeof(*h));
	if (h)
		c->headers = h;
	if (h && !dup_two(x, v, name, value, &h[c->nheaders].name, &h[c->nheaders].value))
		c->nheaders++;
	else if (!h)
		fail(x, v, "out of memory");
}

static void http_pair(struct ctx *x, const yaml_node_t *k, const yaml_node_t *v, void *arg)
{
	struct web_config *c = arg;
	const char *key = scalar(k);

	if (!strcmp(key, "http2")) {
		if (!is_null(v))
			get_bool(x, v, key, &c->http2);
	} else if (!strcmp(key, "headers")) {
		each_pair(x, v, "headers", header_pair, c);
	} else {
		fail(x, k, "unknown key %s in http_server_config", key);
	}
}

static int valid_bcrypt(const char *h)
{
	/* $2b$10$ then 53 characters of salt and hash in bcrypt's base64 */
	if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) || h[3] != '$' ||
	    h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9' || h[6] != '$')
		return 0;
	return strspn(h + 7, "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == 53;
}

static void user_pair(struct ctx *x, const yaml_node_t *k, const yaml_node_t *v, void *arg)
{
	struct web_config *c = arg;
	const char *name = scalar(k), *hash = scalar(v);
	struct web_user *u;

	if (!*name || strchr(name, ':')) {
		fail(x, k, "basic_auth_users: user name %s: must be non-empty without ':'", name);
		return;
	}
	if (!hash || !valid_bcrypt(hash)) {
		fail(x, v, "basic_auth_users: the password of %s is not a bcrypt hash ($2y$…, "
			   "e.g. from htpasswd -nbBC 10 \"\" PASSWORD)",
		     name);
		return;
	}
	u = realloc(c->users, (size_t)(c->nusers + 1) * sizeof(*u));
	if (u)
		c->users = u;
	if (u && !dup_two(x, v, name, hash, &u[c->nusers].name, &u[c->nusers].hash))
		c->nusers++;
	else if (!u)
		fail(x, v, "out of memory");
}

static void rate_pair(struct ctx *x, const yaml_node_t *k, const yaml_node_t *v, void *arg)
{
	struct web_config *c = arg;
	const char *key = scalar(k), *s = scalar(v);

	if (is_null(v))
		return;
	if (!strcmp(key, "interval")) {
		if (!s || duration_parse(s, &c->rate_interval_ns))
			fail(x, v, "rate_limit: interval: want a duration such as 1s or 100ms");
	} else if (!strcmp(key, "burst")) {
		char *end;
		unsigned long b = s ? strtoul(s, &end, 10) : 0;

		if (!s || !*s || *end || *s == '-' || b > 1000000)
			fail(x, v, "rate_limit: burst: want a number from 0 to 1000000");
		else
			c->rate_burst = (unsigned int)b;
	} else {
		fail(x, k, "unknown key %s in rate_limit", key);
	}
}

static void top_pair(struct ctx *x, const yaml_node_t *k, const yaml_node_t *v, void *arg)
{
	struct top *t = arg;
	const char *key = scalar(k);

	if (!strcmp(key, "tls_server_config")) {
		if (is_null(v))
			return;
		t->c->tls = 1;
		t->tls.node = v;
		each_pair(x, v, key, tls_pair, t);
	} else if (!strcmp(key, "http_server_config")) {
		each_pair(x, v, key, http_pair, t->c);
	} else if (!strcmp(key, "basic_auth_users")) {
		each_pair(x, v, key, user_pair, t->c);
	} else if (!strcmp(key, "rate_limit")) {
		if (!is_null(v))
			t->rate = k;
		each_pair(x, v, key, rate_pair, t->c);
	} else {
		fail(x, k, "unknown key %s: want tls_server_config, http_server_config, "
			   "basic_auth_users or rate_limit",
		     key);
	}
}

/* a PEM from a file, or given inline; the file wins, as in exporter-toolkit */
static char *pem(struct ctx *x, const yaml_node_t *file, const yaml_node_t *inline_pem,
		 const char *file_key, const char *inline_key)
{
	if (file)
		return read_pem(x, file, file_key);
	if (inline_pem)
		return dup_scalar(x, inline_pem, inline_key);
	return NULL;
}

static void finish_tls(struct ctx *x, struct top *t)
{
	struct web_config *c = t->c;
	const yaml_node_t *at = t->tls.node;

	if (x->failed || !c->tls)
		return;
	if (!t->tls.cert_file && !t->tls.cert) {
		fail(x, at, "tls_server_config: missing cert_file (or cert)");
		return;
	}
	if (!t->tls.key_file && !t->tls.key) {
		fail(x, at, "tls_server_config: missing key_file (or key)");
		return;
	}
	if (c->min_version > c->max_version) {
		fail(x, at, "tls_server_config: min_version is above max_version");
		return;
	}
	c->cert_pem = pem(x, t->tls.cert_file, t->tls.cert, "cert_file", "cert");
	c->key_pem = pem(x, t->tls.key_file, t->tls.key, "key_file", "key");
	c->client_ca_pem = pem(x, t->tls.client_ca_file, t->tls.client_ca, "client_ca_file",
			       "client_ca");
	if (x->failed)
		return;
	if (c->client_ca_pem && c->client_auth == WEB_CLIENT_NONE)
		fail(x, at, "tls_server_config: a client CA is set but client_auth_type is "
			    "NoClientCert: set client_auth_type (e.g. RequireAndVerifyClientCert)");
	else if (!c->client_ca_pem && (c->client_auth == WEB_CLIENT_VERIFY_IF_GIVEN ||
				       c->client_auth == WEB_CLIENT_REQUIRE_VERIFY))
		fail(x, at, "tls_server_config: client_auth_type %s needs client_ca_file (or "
			    "client_ca) to verify certificates against",
		     web_client_auth_name(c->client_auth));
	else if (c->nallowed_sans && c->client_auth != WEB_CLIENT_REQUIRE_VERIFY &&
		 c->client_auth != WEB_CLIENT_VERIFY_IF_GIVEN)
		fail(x, at, "tls_server_config: client_allowed_sans needs client_auth_type "
			    "RequireAndVerifyClientCert or VerifyClientCertIfGiven");
}

struct web_config *web_config__parse(const char *text, size_t len, const char *name,
				     const char *dir, char *err, size_t err_sz)
{
	struct ctx x = { .name = name, .dir = dir, .err = err, .err_sz = err_sz };
	struct top t = {};
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;

	if (err_sz)
		err[0] = '\0';
	if (len > WEB_CONFIG_MAX) {
		snprintf(err, err_sz, "%s: larger than %d bytes", name, WEB_CONFIG_MAX);
		return NULL;
	}
	t.c = calloc(1, sizeof(*t.c));
	if (!t.c || !yaml_parser_initialize(&parser)) {
		free(t.c);
		snprintf(err, err_sz, "%s: out of memory", name);
		return NULL;
	}
	t.c->min_version = 12;
	t.c->max_version = 13;
	t.c->prefer_server_cipher_suites = 1;
	t.c->http2 = 1;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		snprintf(err, err_sz, "%s:%lu: %s%s%s", name,
			 (unsigned long)parser.problem_mark.line + 1,
			 parser.problem ? parser.problem : "invalid YAML",
			 parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		web_config__free(t.c);
		return NULL;
	}
	x.doc = &doc;
	root = yaml_document_get_root_node(&doc);
	/* an empty file: no TLS, no users, as exporter-toolkit has it */
	if (root)
		each_pair(&x, root, "the web config", top_pair, &t);
	finish_tls(&x, &t);
	/* Go's limiter with a burst of 0 refuses everything: say so rather than do it */
	if (t.rate && !x.failed && (!t.c->rate_interval_ns || !t.c->rate_burst))
		fail(&x, t.rate, "rate_limit: interval and burst go together, each above 0");
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (x.failed) {
		web_config__free(t.c);
		return NULL;
	}
	return t.c;
}

struct web_config *web_config__load(const char *path, char *err, size_t err_sz)
{
	struct web_config *c;
	char *dir, *slash, *text = read_file(path);

	if (!text) {
		snprintf(err, err_sz, "cannot read %s: %s", path, read_error(errno));
		return NULL;
	}
	dir = strdup(path);
	if (!dir) {
		free(text);
		snprintf(err, err_sz, "out of memory");
		return NULL;
	}
	slash = strrchr(dir, '/');
	if (slash)
		slash[slash == dir] = '\0'; /* "/web.yml" is in "/" */
	c = web_config__parse(text, strlen(text), path, slash ? dir : ".", err, err_sz);
	free(dir);
	free(text);
	return c;
}

void web_config__free(struct web_config *c)
{
	if (!c)
		return;
	free(c->cert_pem);
	/* the key is a secret: it does not stay behind in freed memory */
	if (c->key_pem) {
		explicit_bzero(c->key_pem, strlen(c->key_pem));
		free(c->key_pem);
	}
	free(c->client_ca_pem);
	free_list(c->curves, c->ncurves);
	free_list(c->allowed_sans, c->nallowed_sans);
	for (int i = 0; i < c->nheaders; i++) {
		free(c->headers[i].name);
		free(c->headers[i].value);
	}
	free(c->headers);
	for (int i = 0; i < c->nusers; i++) {
		free(c->users[i].name);
		free(c->users[i].hash);
	}
	free(c->users);
	free(c);
}
