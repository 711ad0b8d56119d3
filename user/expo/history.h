/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The status page's history across restarts: at start-up, the finished jobs of the event log
 * (--events.file) are read back into the timeline and the state's last finished jobs. The
 * page only: nothing is counted, nothing is written to the log again.
 */
#ifndef RUNNERSCOPE_HISTORY_H
#define RUNNERSCOPE_HISTORY_H

#include <stddef.h>
#include <stdint.h>

/* only the end of a larger file is read: about what the timeline's bounds can hold */
#define HISTORY_TAIL_BYTES (16U << 20)
/* a longer line is not one the event log writes (its values are cut at 255 bytes) */
#define HISTORY_LINE_MAX (128U << 10)

struct job_record;
struct state;
struct timeline;

/* the clocks a line's wall-clock times are converted with */
struct history_clock {
	int64_t wall_off_ns; /* CLOCK_REALTIME - CLOCK_BOOTTIME */
	uint64_t now_ns; /* CLOCK_BOOTTIME */
};

/*
 * One line of the event log (len bytes, no newline): a job_finished line into *out, its times
 * as CLOCK_BOOTTIME. Returns 1 for a finished job; 0 for a line of another event; -ERANGE for
 * a job that began before this boot; -EINVAL for anything else, with the cause in why.
 */
int history_parse_line(const char *line, size_t len, const struct history_clock *clk,
		       struct job_record *out, char *why, size_t why_sz);

/* what history__load() found */
struct history_stats {
	unsigned int jobs; /* finished jobs handed to the page */
	unsigned int before_boot; /* finished before this boot: left out */
	unsigned int bad; /* lines not read: not JSON, not the log's shape, too long, unfinished */
	int tail; /* the file was longer than HISTORY_TAIL_BYTES: only its end was read */
};

/*
 * Reads back the finished jobs at the end of the event log at path into the timeline (those
 * that ended within its day) and the state's last finished jobs, in the order they were
 * written. A missing file is nothing to read; one that is not a regular file (a pipe, a
 * device) is not read. Says what it read in one line, and lines it could not read in one
 * warning. 0, or -errno when the file could not be read at all; st may be NULL.
 */
int history__load(const char *path, struct timeline *t, struct state *s,
		  struct history_stats *st);

#endif
