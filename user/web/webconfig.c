// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * --web.config.file: the file, libyaml, the top level's keys handed to webconfig_tls.c,
 * webconfig_http.c and webconfig_users.c, and the config freed
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "web/webconfig.h"
#include "web/webconfig_priv.h"

static void top_pair(struct webconfig_doc *x, const yaml_node_t *k, const yaml_node_t *v,
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

struct webconfig *webconfig_parse(const char *text, size_t len, const char *name,
				  const char *dir, char *err, size_t err_sz)
{
	struct webconfig_doc x = { .name = name, .dir = dir, .err = err, .err_sz = err_sz };
	struct webconfig_top t = {};
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;

	if (err_sz)
		err[0] = '\0';
	if (len > WEBCONFIG_MAX) {
		snprintf(err, err_sz, "%s: larger than %d bytes", name, WEBCONFIG_MAX);
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
		webconfig__free(t.c);
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
		webconfig__free(t.c);
		return NULL;
	}
	return t.c;
}

struct webconfig *webconfig__load(const char *path, char *err, size_t err_sz)
{
	struct webconfig *c;
	char *dir, *slash, *text = webconfig_read_file(path);

	if (!text) {
		snprintf(err, err_sz, "cannot read %s: %s", path, webconfig_read_error(errno));
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
	c = webconfig_parse(text, strlen(text), path, slash ? dir : ".", err, err_sz);
	free(dir);
	free(text);
	return c;
}

void webconfig__free(struct webconfig *c)
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
