// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The event log read back at start-up: the input as one line, and as a whole file read into a
 * timeline and a state. A job read from a line has valid UTF-8 names, ends after it starts
 * and not after now, and has a result, kind and reason runnerscope knows.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "lib/log.h"
#include "expo/history.h"
#include "expo/timeline.h"
#include "state/state.h"
#include "ci/kinds/kinds.h"

static char path[64];

static void remove_file(void)
{
	unlink(path);
}

static void valid(const char *s, size_t sz)
{
	char copy[2 * NAME_LEN];

	if (strnlen(s, sz) == sz)
		abort();
	utf8_sanitize(copy, sizeof(copy), s, strlen(s));
	if (strcmp(copy, s))
		abort();
}

static void check(const struct job_record *r, const struct history_clock *clk)
{
	valid(r->runner, sizeof(r->runner));
	valid(r->container, sizeof(r->container));
	valid(r->container_id, sizeof(r->container_id));
	valid(r->pod, sizeof(r->pod));
	valid(r->ns, sizeof(r->ns));
	valid(r->ctx.repository, sizeof(r->ctx.repository));
	valid(r->ctx.workflow, sizeof(r->ctx.workflow));
	valid(r->ctx.job, sizeof(r->ctx.job));
	valid(r->ctx.run_id, sizeof(r->ctx.run_id));
	valid(r->ctx.tracking_id, sizeof(r->ctx.tracking_id));
	if (!r->finished || r->end_ns < r->start_ns || r->end_ns > clk->now_ns + 1000000000ULL ||
	    r->result < 0 || r->result >= RESULT_MAX || r->kind < 0 || r->kind >= KIND_COUNT ||
	    !r->reason || (r->has_runner && (!r->kind || !r->runner[0])))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* the log's times are of 2026: a boot in 2020, now in 2030 */
	static const struct history_clock clk = { .wall_off_ns = 1577836800LL * 1000000000LL,
						  .now_ns = 315532800ULL * 1000000000ULL };
	static struct job_record rec;
	struct timeline *t;
	struct state *s;
	char why[128];
	int fd;

	if (!path[0]) {
		snprintf(path, sizeof(path), "/dev/shm/rs-fuzz-history-%d", (int)getpid());
		atexit(remove_file);
		log_setup(LOG_ERROR, LOG_FMT_LOGFMT);
	}
	if (history_parse_line((const char *)data, size, &clk, &rec, why, sizeof(why)) == 1)
		check(&rec, &clk);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	close(fd);
	t = timeline__new(NULL);
	s = state__new(&(struct state_opts){ 0 });
	if (!t || !s)
		abort();
	history__load(path, t, s, NULL);
	timeline__free(t);
	state__free(s);
	return 0;
}
