/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The HTTP(S) server: /metrics, /healthz and the status page, with the web config's TLS,
 * basic auth, headers and rate limit, and limits on connections, time and requests.
 */
#ifndef RUNNERSCOPE_HTTP_H
#define RUNNERSCOPE_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct metrics_src;
struct webconfig;
struct http;

struct http_opts {
	const char *listen_address; /* [host]:port; an empty host listens on every address */
	const struct webconfig *web; /* NULL: plain HTTP, no authentication */
	unsigned int max_requests; /* /metrics and / answered at once; more get 503; 0: no limit */
	unsigned int max_connections; /* open at once; more are closed as they come */
	unsigned int max_connections_per_ip;
	/* a connection has this long for a whole request and its response, and as long idle */
	uint64_t timeout_ns;
	struct metrics_src *metrics;
	/* 0 when healthy; otherwise fills reason */
	int (*health)(void *ctx, char *reason, size_t sz);
	void *health_ctx;
};

/* NULL with errno set, after logging why (e.g. the address is in use) */
struct http *http__new(const struct http_opts *opts);
void http__free(struct http *h);
/* the event loop's once-a-second pass has run: kept pages in steady use are begun anew */
void http__pass(struct http *h);

/* splits "[host]:port" / "host:port" / ":port"; 0 or -EINVAL */
int http_parse_listen(const char *addr, char *host, size_t host_sz, char *port, size_t port_sz);

#endif
