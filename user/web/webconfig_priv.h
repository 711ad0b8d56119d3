/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the parts of the web config's parser share and nobody else sees: webconfig.c (libyaml,
 * the top level), webconfig_tls.c (tls_server_config), webconfig_http.c (http_server_config
 * and rate_limit), webconfig_users.c (basic_auth_users), and below them webconfig_file.c (the
 * files) and webconfig_yaml.c (the YAML helpers). webconfig.c calls the three sections', they
 * and it call the two below, which call none of them.
 */
#ifndef RUNNERSCOPE_WEBCONFIG_PRIV_H
#define RUNNERSCOPE_WEBCONFIG_PRIV_H

#include <stddef.h>
#include <yaml.h>
#include "web/webconfig.h"

/* the parse in progress: the document, where its relative paths start, the first error */
struct webconfig_doc {
	yaml_document_t *doc;
	const char *name;
	const char *dir;
	char *err;
	size_t err_sz;
	int failed;
};

/* what tls_server_config has, before the files are read */
struct webconfig_tls_src {
	const yaml_node_t *cert_file, *key_file, *client_ca_file;
	const yaml_node_t *cert, *key, *client_ca;
	const yaml_node_t *node;
};

/* what is being parsed: the config, and where its TLS files are named */
struct webconfig_top {
	struct webconfig *c;
	struct webconfig_tls_src tls;
	const yaml_node_t *rate; /* rate_limit, if given */
};

/* a callback for each key of a mapping */
typedef void (*webconfig_pair_fn)(struct webconfig_doc *x, const yaml_node_t *key,
				  const yaml_node_t *value, void *arg);

/* webconfig_yaml.c */
/* the first error, with the file name and n's line; later ones are dropped */
void webconfig_fail(struct webconfig_doc *x, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* n's text, or NULL when n is not a scalar */
const char *webconfig_scalar(const yaml_node_t *n);
/* a plain `key:` with nothing after it: YAML's null, which leaves the default */
int webconfig_is_null(const yaml_node_t *n);
/* a copy of a string value; NULL after webconfig_fail() */
char *webconfig_dup_scalar(struct webconfig_doc *x, const yaml_node_t *n, const char *key);
/* YAML 1.1's spellings of true and false; 0 or -EINVAL after webconfig_fail() */
int webconfig_get_bool(struct webconfig_doc *x, const yaml_node_t *n, const char *key, int *out);
/* the mapping's pairs, one callback each; a key given twice is an error, as in Go's yaml */
void webconfig_each_pair(struct webconfig_doc *x, const yaml_node_t *map, const char *what,
			 webconfig_pair_fn fn, void *arg);
/* a sequence of strings, *count of them */
char **webconfig_string_list(struct webconfig_doc *x, const yaml_node_t *n, const char *key,
			     int *count);
void webconfig_free_list(char **l, int n);
/* copies of a and b into *oa and *ob, both or neither */
int webconfig_dup_two(struct webconfig_doc *x, const yaml_node_t *at, const char *a,
		      const char *b, char **oa, char **ob);

/* webconfig_file.c */
/* a whole file of at most WEBCONFIG_MAX bytes, NUL-terminated; NULL with errno set */
char *webconfig_read_file(const char *path);
/* what a webconfig_read_file() errno says, for a message */
const char *webconfig_read_error(int err);
/* a PEM file named in the config; relative to the config's directory */
char *webconfig_read_pem(struct webconfig_doc *x, const yaml_node_t *n, const char *key);

/* webconfig_tls.c: the keys of tls_server_config (arg: the webconfig_top), then its files */
void webconfig_tls_pair(struct webconfig_doc *x, const yaml_node_t *k, const yaml_node_t *v,
			void *arg);
void webconfig_tls_finish(struct webconfig_doc *x, struct webconfig_top *t);
/* webconfig_http.c: the keys of http_server_config and of rate_limit (arg: the config) */
void webconfig_http_pair(struct webconfig_doc *x, const yaml_node_t *k, const yaml_node_t *v,
			 void *arg);
void webconfig_rate_pair(struct webconfig_doc *x, const yaml_node_t *k, const yaml_node_t *v,
			 void *arg);
/* webconfig_users.c: one user of basic_auth_users (arg: the config) */
void webconfig_user_pair(struct webconfig_doc *x, const yaml_node_t *k, const yaml_node_t *v,
			 void *arg);

#endif
