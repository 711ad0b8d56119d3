/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What a request's headers ask for: the /metrics format (Accept), HTML or text for the status
 * page, gzip (Accept-Encoding), and a page of its own (Cache-Control).
 */
#ifndef RUNNERSCOPE_NEGOTIATE_H
#define RUNNERSCOPE_NEGOTIATE_H

#include "expo/expo.h"

/*
 * Content negotiation, after RFC 9110's Accept rules: the offer (a media type with an
 * optional version parameter, or a coding) with the highest q the header gives it, the first
 * offer on a tie; -1 when the header refuses them all. No header accepts the first offer.
 */
int http_accept_pick(const char *header, const char *const *offers, int n);
/* the /metrics format an Accept header asks for; *version the OpenMetrics version to name */
enum expo_format http_metrics_format(const char *accept, const char **version);
/* 1 when a Cache-Control header asks for a page begun after the request: no-cache, max-age=0 */
int http_no_cache(const char *cache_control);
/* 1 when an Accept-Encoding header takes gzip */
int http_accepts_gzip(const char *accept_encoding);
/* the status page: a terminal (curl asks for anything) gets text, a browser HTML */
int http_wants_html(const char *accept);

#endif
