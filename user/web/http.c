// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <microhttpd.h>
#include "lib/clock.h"
#include "web/http.h"
#include "web/auth.h"
#include "web/gzip.h"
#include "web/negotiate.h"
#include "lib/log.h"
#include "expo/metrics.h"
#include "web/pages.h"
#include "expo/status.h"
#include "web/webconfig.h"

#define POOL_THREADS 4
#define WATCH_MS 100 /* how often deadlines are checked */
/*
 * A connection's kernel send buffer, fixed rather than autotuned (up to tcp_wmem's 4 MiB): a
 * client that stops reading holds its in-flight slot (--web.max-requests) with at most this
 * much of its page in the kernel. The kernel doubles it; 128 KiB in flight still moves
 * 1.3 MB/s over a 100 ms round trip, and a gzipped page is a tenth of its size.
 */
#define SNDBUF_BYTES (64 * 1024)

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

static uint64_t now_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000;
}

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

/* ---- responses ---- */

static enum web_code code_index(unsigned int code)
{
	switch (code) {
	case 200:
		return WEB_CODE_200;
	case 401:
		return WEB_CODE_401;
	case 403:
		return WEB_CODE_403;
	case 404:
		return WEB_CODE_404;
	case 405:
		return WEB_CODE_405;
	case 429:
		return WEB_CODE_429;
	case 503:
		return WEB_CODE_503;
	default:
		return WEB_CODE_500;
	}
}

static enum web_route route_of(const char *url)
{
	if (!strcmp(url, "/metrics"))
		return WEB_ROUTE_METRICS;
	if (!strcmp(url, "/"))
		return WEB_ROUTE_STATUS;
	if (!strcmp(url, "/healthz"))
		return WEB_ROUTE_HEALTHZ;
	return WEB_ROUTE_OTHER;
}

struct reply {
	unsigned int code;
	const char *type;
	void *body;
	size_t len;
	enum MHD_ResponseMemoryMode mode;
	const char *encoding; /* Content-Encoding, or NULL */
	const char *vary;
	int close; /* Connection: close, for answers to an overloaded or refused client */
	struct MHD_Response *response; /* made by the caller; body, len and mode unused */
};

static enum MHD_Result send_reply(struct http *h, struct MHD_Connection *c, enum web_route route,
				  const struct reply *rp)
{
	struct MHD_Response *r = rp->response ? rp->response :
			 MHD_create_response_from_buffer(rp->len, rp->body, rp->mode);
	const struct web_config *w = h->opts.web;
	enum MHD_Result ret;

	if (!r) {
		if (rp->mode == MHD_RESPMEM_MUST_FREE)
			free(rp->body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rp->type);
	if (rp->encoding)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, rp->encoding);
	if (rp->vary)
		MHD_add_response_header(r, MHD_HTTP_HEADER_VARY, rp->vary);
	if (rp->code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	if (rp->code == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					"Basic realm=\"runnerscope\", charset=\"UTF-8\"");
	if (rp->close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	for (int i = 0; w && i < w->nheaders; i++)
		MHD_add_response_header(r, w->headers[i].name, w->headers[i].value);
	ret = MHD_queue_response(c, rp->code, r);
	MHD_destroy_response(r);
	if (h->stats)
		atomic_fetch_add(&h->stats->requests[route][code_index(rp->code)], 1);
	return ret;
}

static enum MHD_Result reply_text(struct http *h, struct MHD_Connection *c, enum web_route route,
				  unsigned int code, const char *text)
{
	struct reply rp = { .code = code,
			    .type = "text/plain; charset=utf-8",
			    .body = (void *)text,
			    .len = strlen(text),
			    .mode = MHD_RESPMEM_MUST_COPY,
			    .close = code == 429 || code == 503 };

	return send_reply(h, c, route, &rp);
}

/* a rendered body, gzipped when the client takes it */
static enum MHD_Result reply_body(struct http *h, struct MHD_Connection *c, enum web_route route,
				  struct buf *b, const char *type, const char *vary)
{
	const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_ACCEPT_ENCODING);
	struct reply rp = { .code = MHD_HTTP_OK, .type = type, .vary = vary,
			    .mode = MHD_RESPMEM_MUST_FREE };
	struct buf z;

	if (b->oom) {
		buf_free(b);
		return reply_text(h, c, route, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
	}
	if (http_accepts_gzip(ae) && !gzip_body(b->p, b->len, &z)) {
		buf_free(b);
		*b = z;
		rp.encoding = "gzip";
	}
	rp.body = b->p;
	rp.len = b->len;
	if (!rp.body) { /* an empty body: nothing was allocated */
		rp.body = (void *)"";
		rp.mode = MHD_RESPMEM_PERSISTENT;
	}
	return send_reply(h, c, route, &rp);
}

/* ---- access checks ---- */

static int rate_allow(struct http *h)
{
	const struct web_config *w = h->opts.web;
	double per_ms, cap;
	uint64_t now;
	int ok;

	if (!w || !w->rate_interval_ns)
		return 1;
	per_ms = 1e6 / (double)w->rate_interval_ns;
	cap = w->rate_burst;
	now = now_ms();
	pthread_mutex_lock(&h->rate_lock);
	h->tokens += (double)(now - h->tokens_ms) * per_ms;
	if (h->tokens > cap)
		h->tokens = cap;
	h->tokens_ms = now;
	ok = h->tokens >= 1;
	if (ok)
		h->tokens -= 1;
	pthread_mutex_unlock(&h->rate_lock);
	return ok;
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

/* a client certificate as client_auth_type asks; NULL or why it is refused */
static const char *check_client_cert(struct http *h, struct MHD_Connection *c)
{
	const struct web_config *w = h->opts.web;
	const union MHD_ConnectionInfo *ci;
	const gnutls_datum_t *certs;
	unsigned int ncerts = 0, status = 0;
	gnutls_x509_crt_t crt;
	gnutls_session_t s;
	int allowed = 0;

	if (!w || !w->tls || w->client_auth == WEB_CLIENT_NONE || w->client_auth == WEB_CLIENT_REQUEST)
		return NULL;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return "no TLS session";
	s = (gnutls_session_t)ci->tls_session;
	certs = gnutls_certificate_get_peers(s, &ncerts);
	if (!certs || !ncerts)
		return w->client_auth == WEB_CLIENT_VERIFY_IF_GIVEN ? NULL :
								     "a client certificate is required";
	if (w->client_auth == WEB_CLIENT_REQUIRE_ANY)
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

/* ---- routes ---- */

static void page_sent(void *send)
{
	page_send_free(send);
	free(send);
}

/* a kept page (see pages.h) with this request's tail */
static enum MHD_Result serve_metrics(struct http *h, struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);
	const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_ACCEPT_ENCODING);
	const char *cc = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CACHE_CONTROL);
	struct page_send *s = malloc(sizeof(*s));
	struct MHD_IoVec iov[2];
	enum expo_format fmt;
	const char *version;
	struct page *p;
	char type[96];
	struct reply rp = { .code = MHD_HTTP_OK, .type = type, .vary = "Accept, Accept-Encoding" };

	fmt = http_metrics_format(accept, &version);
	snprintf(type, sizeof(type), "%s", expo_content_type(fmt));
	if (fmt == EXPO_OPENMETRICS && strcmp(version, "1.0.0"))
		snprintf(type, sizeof(type),
			 "application/openmetrics-text; version=%s; charset=utf-8", version);
	p = s ? pages__get(h->pages, fmt, http_no_cache(cc)) : NULL;
	if (!p || page_send_init(s, p, h->opts.metrics, http_accepts_gzip(ae))) {
		page_put(p);
		free(s);
		return reply_text(h, c, WEB_ROUTE_METRICS, MHD_HTTP_INTERNAL_SERVER_ERROR,
				  "out of memory\n");
	}
	if (s->gzip)
		rp.encoding = "gzip";
	pr_debug("http: /metrics as %s %s%s, %zu bytes",
		 fmt == EXPO_OPENMETRICS ? "openmetrics" : "text", version,
		 s->gzip ? " gzip" : "", s->len[0] + s->len[1]);
	for (int i = 0; i < 2; i++)
		iov[i] = (struct MHD_IoVec){ .iov_base = s->part[i], .iov_len = s->len[i] };
	rp.response = MHD_create_response_from_iovec(iov, 2, page_sent, s);
	if (!rp.response) {
		page_sent(s);
		return MHD_NO;
	}
	return send_reply(h, c, WEB_ROUTE_METRICS, &rp);
}

static enum MHD_Result serve_status(struct http *h, struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);
	int html = http_wants_html(accept);
	struct buf b;

	buf_init(&b);
	status_render(&b, h->opts.metrics, html);
	return reply_body(h, c, WEB_ROUTE_STATUS, &b,
			  html ? "text/html; charset=utf-8" : "text/plain; charset=utf-8",
			  "Accept, Accept-Encoding");
}

static enum MHD_Result serve_health(struct http *h, struct MHD_Connection *c)
{
	char reason[256], text[300];

	if (!h->opts.health || !h->opts.health(h->opts.health_ctx, reason, sizeof(reason)))
		return reply_text(h, c, WEB_ROUTE_HEALTHZ, MHD_HTTP_OK, "ok\n");
	snprintf(text, sizeof(text), "unhealthy: %s\n", reason);
	return reply_text(h, c, WEB_ROUTE_HEALTHZ, MHD_HTTP_SERVICE_UNAVAILABLE, text);
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
	enum web_route route = route_of(url);
	const char *why;

	(void)version;
	(void)upload_data;
	if (!*req_ctx || *upload_size) {
		*req_ctx = &h->plain_mark;
		*upload_size = 0;
		return MHD_YES;
	}
	if (route != WEB_ROUTE_HEALTHZ) {
		if (!rate_allow(h))
			return reply_text(h, c, route, MHD_HTTP_TOO_MANY_REQUESTS,
					  "too many requests\n");
		why = check_client_cert(h, c);
		if (why) {
			pr_debug("http: refused a client certificate: %s", why);
			return reply_text(h, c, route, MHD_HTTP_FORBIDDEN, "forbidden\n");
		}
		if (h->auth &&
		    auth__check(h->auth, MHD_lookup_connection_value(c, MHD_HEADER_KIND,
								     MHD_HTTP_HEADER_AUTHORIZATION)))
			return reply_text(h, c, route, MHD_HTTP_UNAUTHORIZED, "unauthorized\n");
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(h, c, route, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");
	if (route == WEB_ROUTE_HEALTHZ)
		return serve_health(h, c);
	if (route == WEB_ROUTE_OTHER)
		return reply_text(h, c, route, MHD_HTTP_NOT_FOUND, "not found\n");
	/* a page being built or sent holds a slot until it is sent (see completed()) */
	if (h->stats) {
		int64_t n = atomic_fetch_add(&h->stats->in_flight, 1) + 1;

		*req_ctx = &h->in_flight_mark;
		if (h->opts.max_requests && n > (int64_t)h->opts.max_requests)
			return reply_text(h, c, route, MHD_HTTP_SERVICE_UNAVAILABLE,
					  "too many requests in flight (--web.max-requests)\n");
	}
	return route == WEB_ROUTE_METRICS ? serve_metrics(h, c) : serve_status(h, c);
}

static void completed(void *cls, struct MHD_Connection *c, void **req_ctx,
		      enum MHD_RequestTerminationCode toe)
{
	struct http *h = cls;
	const union MHD_ConnectionInfo *ci;

	(void)toe;
	if (*req_ctx == &h->in_flight_mark)
		atomic_fetch_sub(&h->stats->in_flight, 1);
	*req_ctx = NULL;
	/* a kept-alive connection has the same time again for its next request */
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci && ci->socket_context) {
		struct conn *k = ci->socket_context;

		pthread_mutex_lock(&h->conns_lock);
		k->deadline_ms = now_ms() + h->timeout_ms;
		pthread_mutex_unlock(&h->conns_lock);
	}
}

/* ---- connections and their deadlines ---- */

static void tls_session_setup(struct http *h, struct MHD_Connection *c)
{
	const struct web_config *w = h->opts.web;
	const union MHD_ConnectionInfo *ci;
	gnutls_session_t s;

	if (!w || !w->tls || w->client_auth == WEB_CLIENT_NONE)
		return;
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	if (!ci || !ci->tls_session)
		return;
	s = (gnutls_session_t)ci->tls_session;
	/* the handshake itself fails without a certificate, as Go's RequireAnyClientCert does */
	if (w->client_auth == WEB_CLIENT_REQUIRE_ANY || w->client_auth == WEB_CLIENT_REQUIRE_VERIFY)
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUIRE);
	else
		gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
}

static void notify_conn(void *cls, struct MHD_Connection *c, void **socket_ctx,
			enum MHD_ConnectionNotificationCode code)
{
	struct http *h = cls;
	struct conn *k = *socket_ctx;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		tls_session_setup(h, c);
		k = calloc(1, sizeof(*k));
		if (!k || !ci)
			return free(k); /* no deadline then: MHD's idle timeout still holds */
		k->fd = ci->connect_fd;
		setsockopt(k->fd, SOL_SOCKET, SO_SNDBUF, &(int){ SNDBUF_BYTES }, sizeof(int));
		k->deadline_ms = now_ms() + h->timeout_ms;
		pthread_mutex_lock(&h->conns_lock);
		k->next = h->conns.next;
		k->prev = &h->conns;
		h->conns.next->prev = k;
		h->conns.next = k;
		pthread_mutex_unlock(&h->conns_lock);
		*socket_ctx = k;
		/* the watchdog sleeps while there is no connection to watch */
		pthread_mutex_lock(&h->stop_lock);
		pthread_cond_signal(&h->stop_cond);
		pthread_mutex_unlock(&h->stop_lock);
		return;
	}
	/* closed: MHD calls this before it closes the socket, so the fd was ours until now */
	if (!k)
		return;
	pthread_mutex_lock(&h->conns_lock);
	k->prev->next = k->next;
	k->next->prev = k->prev;
	pthread_mutex_unlock(&h->conns_lock);
	free(k);
	*socket_ctx = NULL;
}

/*
 * MHD's own timeout is for idleness, and a client sending a byte a second is never idle:
 * a connection past its deadline (the request and its answer not done in --web.timeout) is
 * shut down here, and MHD closes it as it would any connection whose peer went away.
 */
static void *watch(void *arg)
{
	struct http *h = arg;

	pthread_mutex_lock(&h->stop_lock);
	while (!h->stopping) {
		struct timespec ts;
		uint64_t now = now_ms();
		int idle;

		pthread_mutex_lock(&h->conns_lock);
		idle = h->conns.next == &h->conns;
		for (struct conn *k = h->conns.next; k != &h->conns; k = k->next) {
			if (k->cut || now < k->deadline_ms)
				continue;
			k->cut = 1;
			shutdown(k->fd, SHUT_RDWR);
			if (h->stats)
				atomic_fetch_add(&h->stats->timeouts, 1);
		}
		pthread_mutex_unlock(&h->conns_lock);
		/* an idle daemon should not wake ten times a second for nothing */
		if (idle) {
			pthread_cond_wait(&h->stop_cond, &h->stop_lock);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += WATCH_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->stop_cond, &h->stop_lock, &ts);
	}
	pthread_mutex_unlock(&h->stop_lock);
	return NULL;
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

/* ---- TLS ---- */

/* GnuTLS priorities for the config's versions and curves */
static char *tls_priorities(const struct web_config *w)
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

/* what MHD would only say as "failed to start": the certificate and key, checked first */
static int tls_check(const struct web_config *w, const char *priorities)
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

struct http *http__new(const struct http_opts *opts)
{
	const struct web_config *w = opts->web;
	struct http *h = calloc(1, sizeof(*h));
	unsigned int flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
	struct MHD_OptionItem tls_opts[5];
	int ntls = 0, err = EIO;

	if (!h)
		return NULL;
	h->opts = *opts;
	h->fd = -1;
	h->stats = opts->metrics ? opts->metrics->web : NULL;
	h->timeout_ms = opts->timeout_ns / 1000000;
	h->conns.next = h->conns.prev = &h->conns;
	pthread_mutex_init(&h->conns_lock, NULL);
	pthread_mutex_init(&h->stop_lock, NULL);
	pthread_mutex_init(&h->rate_lock, NULL);
	{
		pthread_condattr_t ca;

		/* the watchdog waits by CLOCK_MONOTONIC deadlines; the default clock is the wall's */
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&h->stop_cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (opts->metrics && !(h->pages = pages__new(opts->metrics))) {
		err = ENOMEM;
		goto fail;
	}
	if (w && w->rate_interval_ns) {
		h->tokens = w->rate_burst;
		h->tokens_ms = now_ms();
	}
	if (w && w->nusers && !(h->auth = auth__new(w->users, w->nusers))) {
		err = errno;
		goto fail;
	}
	if (w && w->tls) {
		h->priorities = tls_priorities(w);
		if (!h->priorities) {
			err = ENOMEM;
			goto fail;
		}
		if (tls_check(w, h->priorities)) {
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
	if ((err = pthread_create(&h->watchdog, NULL, watch, h))) {
		pr_err("failed to start the HTTP connection watchdog: %s", strerror(err));
		goto fail;
	}
	h->watching = 1;
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
		pages__pass(h->pages);
}

void http__free(struct http *h)
{
	if (!h)
		return;
	if (h->watching) {
		pthread_mutex_lock(&h->stop_lock);
		h->stopping = 1;
		pthread_cond_signal(&h->stop_cond);
		pthread_mutex_unlock(&h->stop_lock);
		pthread_join(h->watchdog, NULL);
	}
	if (h->d)
		MHD_stop_daemon(h->d);
	if (h->fd >= 0)
		close(h->fd);
	auth__free(h->auth);
	pages__free(h->pages);
	free(h->priorities);
	pthread_mutex_destroy(&h->conns_lock);
	pthread_mutex_destroy(&h->stop_lock);
	pthread_mutex_destroy(&h->rate_lock);
	pthread_cond_destroy(&h->stop_cond);
	free(h);
}
