/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What the parts of the HTTP server share and nobody else sees: server.c (libmicrohttpd, the
 * listening socket, a request's way through the checks), routes.c (what each path answers, and
 * how an answer is sent and counted), limits.c (the rate limit, connections' deadlines and the
 * watchdog that holds them), tls.c (GnuTLS settings and client certificates).
 */
#ifndef RUNNERSCOPE_HTTP_PRIV_H
#define RUNNERSCOPE_HTTP_PRIV_H

#include <pthread.h>
#include <stdint.h>
#include <microhttpd.h>
#include "expo/metrics.h"
#include "web/http.h"

/* one connection, from accept to close: the watchdog cuts it at its deadline */
struct conn {
	struct conn *prev, *next;
	int fd;
	uint64_t deadline_ms; /* CLOCK_MONOTONIC */
	int cut;
};

struct http {
	struct MHD_Daemon *d;
	struct http_opts opts;
	int fd;
	struct auth *auth; /* NULL: no basic auth */
	char *priorities; /* GnuTLS priority string, with TLS */
	uint64_t timeout_ms;
	struct web_stats *stats;
	struct pages *pages; /* built /metrics pages, kept; NULL without metrics */
	pthread_mutex_t conns_lock;
	struct conn conns; /* list head */
	pthread_t watchdog;
	int watching;
	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;
	int stopping;
	pthread_mutex_t rate_lock; /* rate_limit: a token bucket */
	double tokens;
	uint64_t tokens_ms;
	char in_flight_mark; /* its address marks a request that holds an in-flight slot */
	char plain_mark; /* and one that does not */
};

/* routes.c */
enum web_route http_route_of(const char *url);
/* a short text answer; a 429 or 503 also closes the connection */
enum MHD_Result http_reply_text(struct http *h, struct MHD_Connection *c, enum web_route route,
				unsigned int code, const char *text);
/* a kept page (see pages.h) with this request's tail */
enum MHD_Result http_serve_metrics(struct http *h, struct MHD_Connection *c);
enum MHD_Result http_serve_status(struct http *h, struct MHD_Connection *c);
enum MHD_Result http_serve_health(struct http *h, struct MHD_Connection *c);

/* limits.c */
/* the locks, the list of connections and the rate limit's bucket; undone by http_limits_fini() */
void http_limits_init(struct http *h);
void http_limits_fini(struct http *h);
/* 0 or -errno, after logging why */
int http_watchdog_start(struct http *h);
/* before MHD_stop_daemon(): the watchdog must not shut down a socket MHD has closed */
void http_watchdog_stop(struct http *h);
/* 1 when rate_limit lets a request through, which takes a token */
int http_rate_allow(struct http *h);
/* a connection accepted: it gets its deadline and a fixed send buffer */
void http_conn_started(struct http *h, struct MHD_Connection *c, void **socket_ctx);
/* a connection about to be closed: it leaves the watch */
void http_conn_closed(struct http *h, void **socket_ctx);
/* a request on c is done: a kept-alive connection has the same time again for its next */
void http_conn_rearm(struct http *h, struct MHD_Connection *c);

/* tls.c */
/* GnuTLS priorities for the config's versions and curves; NULL on ENOMEM */
char *http_tls_priorities(const struct webconfig *w);
/* what MHD would only say as "failed to start": the certificate and key, checked first */
int http_tls_check(const struct webconfig *w, const char *priorities);
/* a new connection: its client is asked for a certificate as client_auth_type says */
void http_tls_session_setup(struct http *h, struct MHD_Connection *c);
/* a client certificate as client_auth_type asks; NULL, or why it is refused */
const char *http_tls_refusal(struct http *h, struct MHD_Connection *c);

#endif
