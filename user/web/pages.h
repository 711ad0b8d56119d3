/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Built /metrics pages, kept and shared between the requests they answer.
 *
 * Building a page reads the kernel's records and every container's cgroup files: tens of
 * milliseconds on a host of hundreds of containers, where sending one is a copy. So a page is
 * answered again while what it shows cannot have changed:
 *  - the event loop has taken no event since the page was begun, and none is waiting: a job
 *    that started or ended before a request was made is in its answer;
 *  - no once-a-second pass has run since, or one has and a background builder is making the
 *    next page, from the state that pass left. It is woken by the first request after the
 *    pass, or by the pass itself for a format asked for in each of the last two seconds. A
 *    page two passes old is never answered: that request builds its own.
 * So cgroup figures (CPU, memory), running jobs' CPU and the daemon's process_* series are at
 * most about two seconds old. Requests that arrive during a build wait for it; a client's
 * Cache-Control: no-cache gets a page of its own.
 */
#ifndef RUNNERSCOPE_PAGES_H
#define RUNNERSCOPE_PAGES_H

#include <stddef.h>
#include <stdint.h>
#include "expo/expo.h"

struct metrics_src;
struct pages;
struct page;

/* NULL on ENOMEM; with src->passes NULL every request builds its own page */
struct pages *pages__new(struct metrics_src *src);
void pages__free(struct pages *c);

/*
 * A page in fmt, with a reference the caller gives back with pages_put(); NULL on ENOMEM.
 * fresh: one begun after this call (a client's Cache-Control: no-cache), never a kept one.
 */
struct page *pages_get(struct pages *c, enum expo_format fmt, int fresh);
void pages_put(struct page *p);

/* a pass has run (after src->passes grew): pages scraped at least once a second are rebuilt */
void pages_pass(struct pages *c);

/*
 * What a request is sent: the page, then the tail made for it (metrics__render_tail), as one
 * text or as one gzip stream (the page's deflate blocks, made once, then the tail's and the
 * trailer). part[0] and part[1], len[0] and len[1] bytes.
 */
struct pages_send {
	struct page *page; /* the caller's reference, given back by pages_send_free() */
	struct buf tail;
	const void *part[2];
	size_t len[2];
	int gzip; /* the parts are gzip: asked for, and it could be made */
};

/* 0, or -ENOMEM (the page or its tail could not be built whole; s holds nothing) */
int pages_send_init(struct pages_send *s, struct page *p, const struct metrics_src *src, int gzip);
void pages_send_free(struct pages_send *s);

#endif
