// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <microhttpd.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "expo/metrics.h"
#include "web/http_priv.h"
#include "web/webconfig.h"

#define WATCH_MS 100 /* how often deadlines are checked */
/*
 * A connection's kernel send buffer, fixed rather than autotuned (up to tcp_wmem's 4 MiB): a
 * client that stops reading holds its in-flight slot (--web.max-requests) with at most this
 * much of its page in the kernel. The kernel doubles it; 128 KiB in flight still moves
 * 1.3 MB/s over a 100 ms round trip, and a gzipped page is a tenth of its size.
 */
#define SNDBUF_BYTES (64 * 1024)

static uint64_t now_ms(void)
{
	return clock_ns(CLOCK_MONOTONIC) / 1000000;
}

void http_limits_init(struct http *h)
{
	const struct webconfig *w = h->opts.web;
	pthread_condattr_t ca;

	h->timeout_ms = h->opts.timeout_ns / 1000000;
	h->conns.next = h->conns.prev = &h->conns;
	pthread_mutex_init(&h->conns_lock, NULL);
	pthread_mutex_init(&h->stop_lock, NULL);
	pthread_mutex_init(&h->rate_lock, NULL);
	/* the watchdog waits by CLOCK_MONOTONIC deadlines; the default clock is the wall's */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->stop_cond, &ca);
	pthread_condattr_destroy(&ca);
	if (w && w->rate_interval_ns) {
		h->tokens = w->rate_burst;
		h->tokens_ms = now_ms();
	}
}

void http_limits_fini(struct http *h)
{
	pthread_mutex_destroy(&h->conns_lock);
	pthread_mutex_destroy(&h->stop_lock);
	pthread_mutex_destroy(&h->rate_lock);
	pthread_cond_destroy(&h->stop_cond);
}

/* ---- the rate limit ---- */

int http_rate_allow(struct http *h)
{
	const struct webconfig *w = h->opts.web;
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

/* ---- connections and their deadlines ---- */

void http_conn_started(struct http *h, struct MHD_Connection *c, void **socket_ctx)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	struct conn *k = calloc(1, sizeof(*k));

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
}

void http_conn_closed(struct http *h, void **socket_ctx)
{
	struct conn *k = *socket_ctx;

	/* MHD calls this before it closes the socket, so the fd was ours until now */
	if (!k)
		return;
	pthread_mutex_lock(&h->conns_lock);
	k->prev->next = k->next;
	k->next->prev = k->prev;
	pthread_mutex_unlock(&h->conns_lock);
	free(k);
	*socket_ctx = NULL;
}

void http_conn_rearm(struct http *h, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	if (ci && ci->socket_context) {
		struct conn *k = ci->socket_context;

		pthread_mutex_lock(&h->conns_lock);
		k->deadline_ms = now_ms() + h->timeout_ms;
		pthread_mutex_unlock(&h->conns_lock);
	}
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

int http_watchdog_start(struct http *h)
{
	int err = pthread_create(&h->watchdog, NULL, watch, h);

	if (err) {
		pr_err("failed to start the HTTP connection watchdog: %s", strerror(err));
		return -err;
	}
	h->watching = 1;
	return 0;
}

void http_watchdog_stop(struct http *h)
{
	if (!h->watching)
		return;
	pthread_mutex_lock(&h->stop_lock);
	h->stopping = 1;
	pthread_cond_signal(&h->stop_cond);
	pthread_mutex_unlock(&h->stop_lock);
	pthread_join(h->watchdog, NULL);
}
