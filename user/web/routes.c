// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <microhttpd.h>
#include "lib/log.h"
#include "expo/metrics.h"
#include "expo/status.h"
#include "web/gzip.h"
#include "web/http_priv.h"
#include "web/negotiate.h"
#include "web/pages.h"
#include "web/webconfig.h"

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

enum web_route http_route_of(const char *url)
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
	const struct webconfig *w = h->opts.web;
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

enum MHD_Result http_reply_text(struct http *h, struct MHD_Connection *c, enum web_route route,
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
		return http_reply_text(h, c, route, MHD_HTTP_INTERNAL_SERVER_ERROR,
				       "out of memory\n");
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

static void page_sent(void *send)
{
	pages_send_free(send);
	free(send);
}

enum MHD_Result http_serve_metrics(struct http *h, struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);
	const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_ACCEPT_ENCODING);
	const char *cc = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CACHE_CONTROL);
	struct pages_send *s = malloc(sizeof(*s));
	struct MHD_IoVec iov[2];
	enum expo_format fmt;
	const char *version;
	struct page *p;
	char type[96];
	struct reply rp = { .code = MHD_HTTP_OK, .type = type, .vary = "Accept, Accept-Encoding" };

	fmt = http_metrics_format(accept, &version);
	snprintf(type, sizeof(type), "%s", expo__content_type(fmt));
	if (fmt == EXPO_OPENMETRICS && strcmp(version, "1.0.0"))
		snprintf(type, sizeof(type),
			 "application/openmetrics-text; version=%s; charset=utf-8", version);
	p = s ? pages_get(h->pages, fmt, http_no_cache(cc)) : NULL;
	if (!p || pages_send_init(s, p, h->opts.metrics, http_accepts_gzip(ae))) {
		pages_put(p);
		free(s);
		return http_reply_text(h, c, WEB_ROUTE_METRICS, MHD_HTTP_INTERNAL_SERVER_ERROR,
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

enum MHD_Result http_serve_status(struct http *h, struct MHD_Connection *c)
{
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);
	const char *window = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "window");
	const char *refresh = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "refresh");
	int html = http_wants_html(accept);
	struct status_opts o;
	struct buf b;

	/* a window it cannot show is the default one: the page says which it shows */
	status__window(window, &o);
	o.refresh = !refresh || strcmp(refresh, "0");
	buf_init(&b);
	status__render(&b, h->opts.metrics, html, &o);
	return reply_body(h, c, WEB_ROUTE_STATUS, &b,
			  html ? "text/html; charset=utf-8" : "text/plain; charset=utf-8",
			  "Accept, Accept-Encoding");
}

enum MHD_Result http_serve_health(struct http *h, struct MHD_Connection *c)
{
	char reason[256], text[300];

	if (!h->opts.health || !h->opts.health(h->opts.health_ctx, reason, sizeof(reason)))
		return http_reply_text(h, c, WEB_ROUTE_HEALTHZ, MHD_HTTP_OK, "ok\n");
	snprintf(text, sizeof(text), "unhealthy: %s\n", reason);
	return http_reply_text(h, c, WEB_ROUTE_HEALTHZ, MHD_HTTP_SERVICE_UNAVAILABLE, text);
}
