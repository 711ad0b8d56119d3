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
#include "web/webconfig_priv.h"

void webconfig_fail(struct webconfig_parse *x, const yaml_node_t *n, const char *fmt, ...)
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

const char *webconfig_scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

int webconfig_is_null(const yaml_node_t *n)
{
	const char *s = webconfig_scalar(n);

	return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") ||
		!strcmp(s, "NULL"));
}

char *webconfig_dup_scalar(struct webconfig_parse *x, const yaml_node_t *n, const char *key)
{
	const char *s = webconfig_scalar(n);
	char *d;

	if (!s) {
		webconfig_fail(x, n, "%s: want a string", key);
		return NULL;
	}
	if (strlen(s) != n->data.scalar.length) {
		webconfig_fail(x, n, "%s: a NUL byte in the value", key);
		return NULL;
	}
	d = strdup(s);
	if (!d)
		webconfig_fail(x, n, "out of memory");
	return d;
}

int webconfig_get_bool(struct webconfig_parse *x, const yaml_node_t *n, const char *key, int *out)
{
	const char *s = webconfig_scalar(n);
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes", "on", "On" };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No", "off", "Off" };

	for (size_t i = 0; s && i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (!strcmp(s, yes[i]) || !strcmp(s, no[i])) {
			*out = !strcmp(s, yes[i]);
			return 0;
		}
	}
	webconfig_fail(x, n, "%s: want true or false", key);
	return -EINVAL;
}

void webconfig_each_pair(struct webconfig_parse *x, const yaml_node_t *map, const char *what,
			 webconfig_pair_fn fn, void *arg)
{
	if (webconfig_is_null(map))
		return;
	if (map->type != YAML_MAPPING_NODE) {
		webconfig_fail(x, map, "%s: want a mapping", what);
		return;
	}
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
	     !x->failed && p < map->data.mapping.pairs.top; p++) {
		const yaml_node_t *k = yaml_document_get_node(x->doc, p->key);
		const yaml_node_t *v = yaml_document_get_node(x->doc, p->value);

		if (!webconfig_scalar(k)) {
			webconfig_fail(x, k, "%s: keys must be strings", what);
			return;
		}
		for (yaml_node_pair_t *q = map->data.mapping.pairs.start; q < p; q++) {
			if (!strcmp(webconfig_scalar(yaml_document_get_node(x->doc, q->key)),
				    webconfig_scalar(k))) {
				webconfig_fail(x, k, "%s: %s is set twice", what,
					       webconfig_scalar(k));
				return;
			}
		}
		fn(x, k, v, arg);
	}
}

char **webconfig_string_list(struct webconfig_parse *x, const yaml_node_t *n, const char *key,
			     int *count)
{
	char **out;
	int i = 0;

	*count = 0;
	if (webconfig_is_null(n))
		return NULL;
	if (n->type != YAML_SEQUENCE_NODE) {
		webconfig_fail(x, n, "%s: want a list", key);
		return NULL;
	}
	out = calloc((size_t)(n->data.sequence.items.top - n->data.sequence.items.start) + 1,
		     sizeof(*out));
	if (!out) {
		webconfig_fail(x, n, "out of memory");
		return NULL;
	}
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     !x->failed && it < n->data.sequence.items.top; it++) {
		out[i] = webconfig_dup_scalar(x, yaml_document_get_node(x->doc, *it), key);
		i += out[i] != NULL;
	}
	*count = i;
	return out;
}

void webconfig_free_list(char **l, int n)
{
	for (int i = 0; l && i < n; i++)
		free(l[i]);
	free(l);
}

int webconfig_dup_two(struct webconfig_parse *x, const yaml_node_t *at, const char *a,
		      const char *b, char **oa, char **ob)
{
	*oa = strdup(a);
	*ob = strdup(b);
	if (*oa && *ob)
		return 0;
	free(*oa);
	free(*ob);
	webconfig_fail(x, at, "out of memory");
	return -ENOMEM;
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

char *webconfig_read_pem(struct webconfig_parse *x, const yaml_node_t *n, const char *key)
{
	const char *path = webconfig_scalar(n);
	char full[4096];
	char *text;

	if (!path || !*path) {
		webconfig_fail(x, n, "%s: want a file name", key);
		return NULL;
	}
	if (path[0] == '/' || !x->dir)
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", x->dir, path);
	text = read_file(full);
	if (!text)
		webconfig_fail(x, n, "%s: cannot read %s: %s", key, full, read_error(errno));
	return text;
}

static void top_pair(struct webconfig_parse *x, const yaml_node_t *k, const yaml_node_t *v,
		     void *arg)
{
	struct webconfig_top *t = arg;
	const char *key = webconfig_scalar(k);

	if (!strcmp(key, "tls_server_config")) {
		if (webconfig_is_null(v))
			return;
		t->c->tls = 1;
		t->tls.node = v;
		webconfig_each_pair(x, v, key, webconfig_tls_pair, t);
	} else if (!strcmp(key, "http_server_config")) {
		webconfig_each_pair(x, v, key, webconfig_http_pair, t->c);
	} else if (!strcmp(key, "basic_auth_users")) {
		webconfig_each_pair(x, v, key, webconfig_user_pair, t->c);
	} else if (!strcmp(key, "rate_limit")) {
		if (!webconfig_is_null(v))
			t->rate = k;
		webconfig_each_pair(x, v, key, webconfig_rate_pair, t->c);
	} else {
		webconfig_fail(x, k,
			       "unknown key %s: want tls_server_config, http_server_config, "
			       "basic_auth_users or rate_limit",
			       key);
	}
}

struct web_config *web_config__parse(const char *text, size_t len, const char *name,
				     const char *dir, char *err, size_t err_sz)
{
	struct webconfig_parse x = { .name = name, .dir = dir, .err = err, .err_sz = err_sz };
	struct webconfig_top t = {};
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
		webconfig_each_pair(&x, root, "the web config", top_pair, &t);
	webconfig_tls_finish(&x, &t);
	/* Go's limiter with a burst of 0 refuses everything: say so rather than do it */
	if (t.rate && !x.failed && (!t.c->rate_interval_ns || !t.c->rate_burst))
		webconfig_fail(&x, t.rate,
			       "rate_limit: interval and burst go together, each above 0");
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
	webconfig_free_list(c->curves, c->ncurves);
	webconfig_free_list(c->allowed_sans, c->nallowed_sans);
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
