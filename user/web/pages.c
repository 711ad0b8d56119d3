// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include "expo/metrics.h"
#include "web/gzip.h"
#include "web/pages.h"
#include "kernel/probes.h"
#include "intake/intake.h"

struct page {
	_Atomic int refs;
	uint64_t seq; /* the order pages were begun in */
	uint64_t events, passes; /* the change stamps read before it was begun */
	int done; /* built (under the cache's lock) */
	double seconds; /* building it took */
	struct buf body;
	/* its gzip, made once when first asked for: a gzip header and deflate blocks, flushed
	 * to a byte but not ended, so that each request's tail can follow (see pages_send) */
	pthread_mutex_t gz_lock;
	struct buf gz;
	uint32_t crc;
	_Atomic int gz_tried; /* written under gz_lock, read by the builder too */
};

struct pages {
	pthread_mutex_t lock;
	pthread_cond_t done; /* a page was built */
	struct metrics_src *src;
	struct page *cur[EXPO_FORMAT_MAX]; /* the newest built */
	struct page *next[EXPO_FORMAT_MAX]; /* the newest being built, or NULL */
	uint64_t seq;
	/* the builder: the page after a pass, while requests still get the one before */
	pthread_t builder;
	int has_builder;
	pthread_cond_t wake;
	int want[EXPO_FORMAT_MAX];
	int stopping;
	/* bit 0: the format was asked for since the last pass; bit n: in the pass n before */
	unsigned int heat[EXPO_FORMAT_MAX];
};

static void *builder(void *arg);

struct pages *pages__new(struct metrics_src *src)
{
	struct pages *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	pthread_cond_init(&c->done, NULL);
	pthread_cond_init(&c->wake, NULL);
	c->src = src;
	/* without it, the request that notices a pass builds the next page itself */
	if (src->passes)
		c->has_builder = !pthread_create(&c->builder, NULL, builder, c);
	return c;
}

void pages_put(struct page *p)
{
	if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	buf_free(&p->body);
	buf_free(&p->gz);
	pthread_mutex_destroy(&p->gz_lock);
	free(p);
}

static struct page *page_get(struct page *p)
{
	atomic_fetch_add(&p->refs, 1);
	return p;
}

void pages__free(struct pages *c)
{
	if (!c)
		return;
	if (c->has_builder) {
		pthread_mutex_lock(&c->lock);
		c->stopping = 1;
		pthread_cond_signal(&c->wake);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->builder, NULL);
	}
	for (int f = 0; f < EXPO_FORMAT_MAX; f++)
		pages_put(c->cur[f]);
	pthread_cond_destroy(&c->wake);
	pthread_cond_destroy(&c->done);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

static struct page *page_new(enum expo_format fmt)
{
	struct page *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	atomic_init(&p->refs, 1);
	pthread_mutex_init(&p->gz_lock, NULL);
	buf_init(&p->body);
	buf_init(&p->gz);
	p->body.fmt = fmt;
	return p;
}

/*
 * The change stamps, read in this order (see intake__events_taken()), and what they ask of
 * a page: no event since it was begun, and at most one pass. Under c->lock.
 */
struct stamps {
	int waiting;
	uint64_t events, passes;
};

static struct stamps stamps_now(struct pages *c)
{
	struct stamps s;

	s.waiting = intake__events_waiting(c->src->probes);
	s.events = intake__events_taken(c->src->probes);
	s.passes = atomic_load(c->src->passes);
	return s;
}

static int current(const struct page *p, const struct stamps *s)
{
	return p && !s->waiting && p->events == s->events && s->passes - p->passes <= 1;
}

/* the page's gzip prefix, once; 0 when it is there */
static int gzip_page(struct page *p)
{
	int err = 0;

	pthread_mutex_lock(&p->gz_lock);
	if (!p->gz_tried) {
		gzip_header(&p->gz);
		err = gzip_deflate_raw(p->body.p, p->body.len, 0, &p->gz);
		if (err || p->gz.oom) {
			buf_free(&p->gz);
			buf_init(&p->gz);
		}
		p->crc = gzip_crc32(0, p->body.p, p->body.len);
		p->gz_tried = 1;
	}
	err = p->gz.p ? 0 : -ENOMEM;
	pthread_mutex_unlock(&p->gz_lock);
	return err;
}

/*
 * Builds p, begun as c->next[fmt] under c->lock (which this releases and takes again), and
 * keeps it unless a later page was kept first; wakes the requests that wait for it. gzip:
 * makes its gzip too. refresh: see metrics__render_page().
 */
static void build(struct pages *c, enum expo_format fmt, struct page *p, const struct stamps *s,
		  int gzip, int refresh)
{
	p->seq = ++c->seq;
	p->events = s->events;
	p->passes = s->passes;
	c->next[fmt] = p;
	pthread_mutex_unlock(&c->lock);

	atomic_fetch_add(&c->src->pages_built, 1);
	p->seconds = metrics__render_page(&p->body, c->src, refresh);
	if (gzip)
		gzip_page(p);

	pthread_mutex_lock(&c->lock);
	p->done = 1;
	if (c->next[fmt] == p)
		c->next[fmt] = NULL;
	if (!p->body.oom && (!c->cur[fmt] || c->cur[fmt]->seq < p->seq)) {
		pages_put(c->cur[fmt]);
		c->cur[fmt] = page_get(p);
	}
	pthread_cond_broadcast(&c->done);
}

static void *builder(void *arg)
{
	struct pages *c = arg;

	/* requests first: the page it replaces is answered meanwhile */
	setpriority(PRIO_PROCESS, (id_t)gettid(), 10);
	pthread_mutex_lock(&c->lock);
	while (!c->stopping) {
		enum expo_format fmt;
		struct stamps s;
		struct page *p;

		for (fmt = 0; fmt < EXPO_FORMAT_MAX && !c->want[fmt]; fmt++)
			;
		if (fmt == EXPO_FORMAT_MAX) {
			pthread_cond_wait(&c->wake, &c->lock);
			continue;
		}
		c->want[fmt] = 0;
		s = stamps_now(c);
		/* a request began one meanwhile */
		if (c->next[fmt] && current(c->next[fmt], &s) && c->next[fmt]->passes == s.passes)
			continue;
		p = page_new(fmt);
		if (!p)
			continue;
		/*
		 * As the last pass left the state: the builder is woken after a pass, which read
		 * the kernel's records and the cgroups a moment ago. If the page it replaces was
		 * asked for gzipped, the gzip is made here too.
		 */
		build(c, fmt, p, &s, c->cur[fmt] && c->cur[fmt]->gz_tried, 0);
		pages_put(p);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

void pages_pass(struct pages *c)
{
	if (!c || !c->has_builder)
		return;
	pthread_mutex_lock(&c->lock);
	for (int f = 0; f < EXPO_FORMAT_MAX; f++) {
		c->heat[f] <<= 1;
		/* asked for in each of the last two passes: scraped at least once a second, so
		 * the next page is begun now rather than by the request that finds this one old */
		if ((c->heat[f] & 6) == 6 && c->cur[f] && !c->want[f]) {
			c->want[f] = 1;
			pthread_cond_signal(&c->wake);
		}
	}
	pthread_mutex_unlock(&c->lock);
}

struct page *pages_get(struct pages *c, enum expo_format fmt, int fresh)
{
	struct metrics_src *src = c->src;
	struct page *p, *cur;
	struct stamps s;

	if (!src->passes) {
		p = page_new(fmt);
		if (p) {
			atomic_fetch_add(&src->pages_built, 1);
			p->seconds = metrics__render_page(&p->body, src, 1);
		}
		return p;
	}
	pthread_mutex_lock(&c->lock);
	c->heat[fmt] |= 1;
	s = stamps_now(c);
	cur = c->cur[fmt];
	/* the page kept, while it is current; one a pass old has its successor built meanwhile */
	if (!fresh && current(cur, &s) && (cur->passes == s.passes || c->has_builder)) {
		struct page *next = c->next[fmt];

		if (cur->passes != s.passes && !(next && next->passes == s.passes)) {
			c->want[fmt] = 1;
			pthread_cond_signal(&c->wake);
		}
		p = page_get(cur);
		pthread_mutex_unlock(&c->lock);
		return p;
	}
	/* requests made at the same moment wait for one page (begun before them, but with
	 * nothing it shows changed since) */
	if (!fresh && current(c->next[fmt], &s)) {
		p = page_get(c->next[fmt]);
		while (!p->done)
			pthread_cond_wait(&c->done, &c->lock);
		pthread_mutex_unlock(&c->lock);
		if (p->body.oom) {
			pages_put(p);
			return NULL;
		}
		return p;
	}
	p = page_new(fmt);
	if (p)
		build(c, fmt, p, &s, 0, 1);
	pthread_mutex_unlock(&c->lock);
	return p;
}

int pages_send_init(struct pages_send *s, struct page *p, const struct metrics_src *src, int gzip)
{
	struct buf tail;

	memset(s, 0, sizeof(*s));
	if (p->body.oom)
		return -ENOMEM;
	buf_init(&tail);
	tail.fmt = p->body.fmt;
	metrics__render_tail(&tail, src, p->seconds);
	if (tail.oom) {
		buf_free(&tail);
		return -ENOMEM;
	}
	buf_init(&s->tail);
	if (gzip && !gzip_page(p) &&
	    !gzip_deflate_raw(tail.p, tail.len, GZIP_FINAL | GZIP_SMALL, &s->tail)) {
		/* the trailer: the CRC-32 and length of the whole, page and tail */
		gzip_trailer(&s->tail,
			     gzip_crc32_combine(p->crc, gzip_crc32(0, tail.p, tail.len), tail.len),
			     p->body.len + tail.len);
		if (!s->tail.oom) {
			buf_free(&tail);
			s->page = p;
			s->gzip = 1;
			s->part[0] = p->gz.p;
			s->len[0] = p->gz.len;
			s->part[1] = s->tail.p;
			s->len[1] = s->tail.len;
			return 0;
		}
	}
	/* plain: asked so, or the gzip could not be made */
	buf_free(&s->tail);
	s->page = p;
	s->tail = tail;
	s->part[0] = p->body.p ? p->body.p : "";
	s->len[0] = p->body.len;
	s->part[1] = s->tail.p ? s->tail.p : "";
	s->len[1] = s->tail.len;
	return 0;
}

void pages_send_free(struct pages_send *s)
{
	buf_free(&s->tail);
	pages_put(s->page);
	s->page = NULL;
}
