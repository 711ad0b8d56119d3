// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The HTTP request path end to end: each input is sent as raw bytes, over a real TCP
 * connection, to runnerscope's server (libmicrohttpd and runnerscope's handlers, in this
 * process, so the sanitizers watch both), and the answer is read until the server closes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdatomic.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "web/http.h"
#include "lib/log.h"
#include "expo/metrics.h"
#include "state/state.h"

static struct http *server;
static int port;
static struct metrics_src src;
static _Atomic uint64_t passes; /* kept pages, as the daemon serves them */

static int healthy(void *ctx, char *reason, size_t sz)
{
	(void)ctx;
	(void)reason;
	(void)sz;
	return 0;
}

static void start(void)
{
	static struct state_opts sopts = { .grace_ns = 1 };
	char addr[32];

	log_setup(LOG_ERROR, LOG_FMT_LOGFMT);
	src.state = state__new(&sopts);
	src.version = "fuzz";
	src.revision = "fuzz";
	src.host = "fuzz";
	src.passes = &passes;
	for (int i = 0; i < 50 && !server; i++) {
		struct http_opts o = {
			.listen_address = addr,
			.max_requests = 4,
			.max_connections = 64,
			.max_connections_per_ip = 64,
			.timeout_ns = 2000000000ULL,
			.metrics = &src,
			.health = healthy,
		};

		port = 20000 + (int)((getpid() * 7 + i * 131) % 40000);
		snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
		server = http__new(&o);
	}
	if (!server)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned int runs;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char buf[65536];
	int fd;

	if (!server)
		start();
	/* now and then a pass, as the event loop makes once a second: kept pages are rebuilt */
	if (++runs % 32 == 0)
		atomic_fetch_add(&passes, 1);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return 0;
	}
	for (size_t off = 0; off < size;) {
		ssize_t n = send(fd, data + off, size - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(fd, SHUT_WR);
	/*
	 * Until the server closes, or has answered and then sent nothing for 50 ms (it keeps a
	 * connection open for the next request); a server that neither answers nor closes within
	 * 3 s is a hang.
	 */
	for (int got = 0;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int r = poll(&p, 1, got ? 50 : 3000);
		ssize_t n;

		if (r == 0 && got)
			break;
		if (r == 0) {
			fprintf(stderr, "fuzz_request: no answer and no close within 3 s\n");
			abort();
		}
		if (r < 0 && errno == EINTR)
			continue;
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		got = 1;
	}
	close(fd);
	return 0;
}
