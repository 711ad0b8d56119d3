// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include "lib/log.h"
#include "expo/metrics.h"
#include "web/auth.h"
#include "web/http_priv.h"
#include "web/pages.h"
#include "web/webconfig.h"

#define POOL_THREADS 4

int http_parse_listen(const char *addr, char *host, size_t host_sz, char *port, size_t port_sz)
{
	const char *colon, *h = addr;
	size_t hl;

	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = addr + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon || memchr(addr, ':', (size_t)(colon - addr)))
			return -EINVAL;
		hl = (size_t)(colon - addr);
	}
	if (hl >= host_sz || !colon[1] || strlen(colon + 1) >= port_sz)
		return -EINVAL;
	for (const char *p = colon + 1; *p; p++)
		if (*p < '0' || *p > '9')
			return -EINVAL;
	/* atoi would wrap 2^32 + 80 to 80 */
	if (strtoul(colon + 1, NULL, 10) > 65535)
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = '\0';
	snprintf(port, port_sz, "%s", colon + 1);
	return 0;
}

static int listen_on(const char *addr)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res, *ai;
	char host[256], port[16];
	int fd = -1, err, one = 1, zero = 0;

	if (http_parse_listen(addr, host, sizeof(host), port, sizeof(port))) {
		pr_err("invalid --web.listen-address %s: want [host]:port", addr);
		return -EINVAL;
	}
	/* an empty host: IPv6 any with v4-mapped addresses, so one socket serves both */
	hints.ai_family = host[0] ? AF_UNSPEC : AF_INET6;
	err = getaddrinfo(host[0] ? host : NULL, port, &hints, &res);
	if (err) {
		pr_err("cannot resolve --web.listen-address %s: %s", addr, gai_strerror(err));
		return -EINVAL;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ai->ai_family == AF_INET6 && !host[0])
			setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
		/* room for a burst of connects while the workers catch up */
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 1024))
			break;
		err = errno;
		close(fd);
		fd = -1;
		errno = err;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		err = -errno;
		pr_err("cannot listen on %s: %s", addr, strerror(-err));
		return err;
	}
	return fd;
}

/*
 * A request is answered once it is all in (a body, if any, is read and dropped), so that the
 * connection can be kept alive. In order: rate limit, client certificate, password (neither
 * for /healthz, so that probes need no secrets), method, path, the in-flight limit.
 */
static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_size, void **req_ctx)
{
	struct http *h = cls;
	enum web_route route = http_route_of(url);
	const char *why, *authz;

	(void)version;
	(void)upload_data;
	if (!*req_ctx || *upload_size) {
		*req_ctx = &h->plain_mark;
		*upload_size = 0;
		return MHD_YES;
	}
	if (route != WEB_ROUTE_HEALTHZ) {
		if (!http_rate_allow(h))
			return http_reply_text(h, c, route, MHD_HTTP_TOO_MANY_REQUESTS,
					       "too many requests\n");
		why = http_tls_refusal(h, c);
		if (why) {
			pr_debug("http: refused a client certificate: %s", why);
			return http_reply_text(h, c, route, MHD_HTTP_FORBIDDEN, "forbidden\n");
		}
		authz = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						    MHD_HTTP_HEADER_AUTHORIZATION);
		if (h->auth && auth_check(h->auth, authz))
			return http_reply_text(h, c, route, MHD_HTTP_UNAUTHORIZED,
					       "unauthorized\n");
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return http_reply_text(h, c, route, MHD_HTTP_METHOD_NOT_ALLOWED,
				       "method not allowed\n");
	if (route == WEB_ROUTE_HEALTHZ)
		return http_serve_health(h, c);
	if (route == WEB_ROUTE_OTHER)
		return http_reply_text(h, c, route, MHD_HTTP_NOT_FOUND, "not found\n");
	/* a page being built or sent holds a slot until it is sent (see completed()) */
	if (h->stats) {
		int64_t n = atomic_fetch_add(&h->stats->in_flight, 1) + 1;

		*req_ctx = &h->in_flight_mark;
		if (h->opts.max_requests && n > (int64_t)h->opts.max_requests)
			return http_reply_text(
				h, c, route, MHD_HTTP_SERVICE_UNAVAILABLE,
				"too many requests in flight (--web.max-requests)\n");
	}
	return route == WEB_ROUTE_METRICS ? http_serve_metrics(h, c) : http_serve_status(h, c);
}

static void completed(void *cls, struct MHD_Connection *c, void **req_ctx,
		      enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;

	(void)toe;
	if (*req_ctx == &h->in_flight_mark)
		atomic_fetch_sub(&h->stats->in_flight, 1);
	*req_ctx = NULL;
	http_conn_rearm(h, c);
}

/* a connection accepted or about to be closed */
static void notify_conn(void *cls, struct MHD_Connection *c, void **socket_ctx,
			enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		http_tls_session_setup(h, c);
		http_conn_started(h, c, socket_ctx);
	} else {
		http_conn_closed(h, socket_ctx);
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n && msg[n - 1] == '\n')
		msg[--n] = '\0';
	pr_debug("http: %s", msg);
}

struct http *http__new(const struct http_opts *opts)
{
	const struct webconfig *w = opts->web;
	struct http *h = calloc(1, sizeof(*h));
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem tls_opts[5];
	int ntls = 0, err = EIO;

	if (!h)
		return NULL;
	h->opts = *opts;
	h->fd = -1;
	h->stats = opts->metrics ? opts->metrics->web : NULL;
	http_limits_init(h);
	if (opts->metrics && !(h->pages = pages__new(opts->metrics))) {
		err = ENOMEM;
		goto fail;
	}
	if (w && w->nusers && !(h->auth = auth__new(w->users, w->nusers))) {
		err = errno;
		goto fail;
	}
	if (w && w->tls) {
		h->priorities = http_tls_priorities(w);
		if (!h->priorities) {
			err = ENOMEM;
			goto fail;
		}
		if (http_tls_check(w, h->priorities)) {
			err = EINVAL;
			goto fail;
		}
		flags |= MHD_USE_TLS;
		tls_opts[ntls++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0,
							    w->cert_pem };
		tls_opts[ntls++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0,
							    w->key_pem };
		tls_opts[ntls++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_PRIORITIES, 0,
							    h->priorities };
		if (w->client_ca_pem)
			tls_opts[ntls++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_TRUST, 0,
								    w->client_ca_pem };
	}
	tls_opts[ntls] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	h->fd = listen_on(opts->listen_address);
	if (h->fd < 0) {
		err = -h->fd;
		goto fail;
	}
	h->d = MHD_start_daemon(
		flags, 0, NULL, NULL, handle, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
		MHD_OPTION_LISTEN_SOCKET, h->fd, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned int)POOL_THREADS, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned int)((opts->timeout_ns + 999999999) / 1000000000),
		MHD_OPTION_CONNECTION_LIMIT, opts->max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, opts->max_connections_per_ip,
		MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_NOTIFY_CONNECTION,
		notify_conn, h, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
	if (!h->d) {
		pr_err("failed to start the HTTP server on %s", opts->listen_address);
		goto fail;
	}
	err = -http_watchdog_start(h);
	if (err)
		goto fail;
	pr_info("listening on %s%s%s", opts->listen_address, w && w->tls ? " (TLS)" : "",
		h->auth ? " with basic auth" : "");
	return h;
fail:
	http__free(h);
	errno = err;
	return NULL;
}

void http__pass(struct http *h)
{
	if (h)
		pages_pass(h->pages);
}

void http__free(struct http *h)
{
	if (!h)
		return;
	http_watchdog_stop(h);
	if (h->d)
		MHD_stop_daemon(h->d);
	if (h->fd >= 0)
		close(h->fd);
	auth__free(h->auth);
	pages__free(h->pages);
	free(h->priorities);
	http_limits_fini(h);
	free(h);
}
