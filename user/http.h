/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef RUNNERSCOPE_HTTP_H
#define RUNNERSCOPE_HTTP_H

#include <stddef.h>

struct metrics_src;
struct http;

struct http_opts {
	const char *listen_address; /* [host]:port; an empty host listens on every address */
	const struct metrics_src *metrics;
	/* 0 when healthy; otherwise fills reason */
	int (*health)(void *ctx, char *reason, size_t sz);
	void *health_ctx;
};

/* NULL with errno set, after logging why (e.g. the address is in use) */
struct http *http__new(const struct http_opts *opts);
void http__free(struct http *h);

/* splits "[host]:port" / "host:port" / ":port"; 0 or -EINVAL */
int http_parse_listen(const char *addr, char *host, size_t host_sz, char *port, size_t port_sz);

#endif
