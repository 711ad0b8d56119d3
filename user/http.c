// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <microhttpd.h>
#include "http.h"
#include "log.h"
#include "metrics.h"

struct http {
	struct MHD_Daemon *d;
	struct http_opts opts;
	int fd;
};

static const char index_page[] =
	"<!doctype html><html><head><meta charset=\"utf-8\"><title>runnerscope</title></head>"
	"<body><h1>runnerscope</h1><p><a href=\"/metrics\">Metrics</a> &middot; "
	"<a href=\"/healthz\">Health</a></p></body></html>\n";

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
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 128))
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

static enum MHD_Result reply(struct MHD_Connection *c, unsigned int code, const char *type,
			     void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);
	enum MHD_Result ret;

	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(c, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *c, unsigned int code, const char *text)
{
	return reply(c, code, "text/plain; charset=utf-8", (void *)text, strlen(text),
		     MHD_RESPMEM_MUST_COPY);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_size, void **req_ctx)
{
	struct http *h = cls;
	static int first;

	(void)version;
	(void)upload_data;
	/* the first call only announces the headers; a body, if any, is never read */
	if (!*req_ctx) {
		*req_ctx = &first;
		return MHD_YES;
	}
	*upload_size = 0;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(c, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed\n");

	if (!strcmp(url, "/metrics")) {
		struct buf b;

		buf_init(&b);
		metrics_render(&b, h->opts.metrics);
		if (b.oom) {
			buf_free(&b);
			return reply_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory\n");
		}
		return reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", b.p, b.len,
			     MHD_RESPMEM_MUST_FREE);
	}
	if (!strcmp(url, "/healthz")) {
		char reason[256], text[300];

		if (!h->opts.health || !h->opts.health(h->opts.health_ctx, reason, sizeof(reason)))
			return reply_text(c, MHD_HTTP_OK, "ok\n");
		snprintf(text, sizeof(text), "unhealthy: %s\n", reason);
		return reply_text(c, MHD_HTTP_SERVICE_UNAVAILABLE, text);
	}
	if (!strcmp(url, "/"))
		return reply(c, MHD_HTTP_OK, "text/html; charset=utf-8", (void *)index_page,
			     sizeof(index_page) - 1, MHD_RESPMEM_PERSISTENT);
	return reply_text(c, MHD_HTTP_NOT_FOUND, "not found\n");
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	pr_debug("http: %s", msg);
}

struct http *http__new(const struct http_opts *opts)
{
	struct http *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->opts = *opts;
	h->fd = listen_on(opts->listen_address);
	if (h->fd < 0) {
		errno = -h->fd;
		free(h);
		return NULL;
	}
	h->d = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				handle, h, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				MHD_OPTION_LISTEN_SOCKET, h->fd, MHD_OPTION_CONNECTION_TIMEOUT,
				(unsigned int)30, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)256,
				MHD_OPTION_END);
	if (!h->d) {
		pr_err("failed to start the HTTP server on %s", opts->listen_address);
		close(h->fd);
		free(h);
		errno = EIO;
		return NULL;
	}
	pr_info("listening on %s", opts->listen_address);
	return h;
}

void http__free(struct http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d);
	close(h->fd);
	free(h);
}
