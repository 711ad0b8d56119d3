/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The job event log: one JSON object per line, job_started and job_finished. */
#ifndef RUNNERSCOPE_EVENTLOG_H
#define RUNNERSCOPE_EVENTLOG_H

#include <stdint.h>

struct eventlog;
struct json_object;

/* path "-" is standard output; a file is created (0640) or appended to. NULL with errno set. */
struct eventlog *eventlog__new(const char *path);
void eventlog__free(struct eventlog *l);

/*
 * Writes obj as one line and releases it. A failed or short write (full disk, closed pipe) is
 * counted and logged, never fatal: the line is dropped whole rather than left half-written
 * where that can be told apart. Safe from any thread.
 */
void eventlog_write(struct eventlog *l, struct json_object *obj);

struct job_record;

/* a job_started or (once j->finished) job_finished line */
void eventlog_job(struct eventlog *l, const struct job_record *j);
/* eventlog_job() as the state's subscriber (state_opts.on_job), the log being ctx */
void eventlog__on_job(void *ctx, const struct job_record *j);

uint64_t eventlog_lines(const struct eventlog *l);
uint64_t eventlog_errors(const struct eventlog *l);

#endif
