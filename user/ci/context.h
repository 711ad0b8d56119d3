/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What a job's steps say of it in their environment, for each CI system */
#ifndef RUNNERSCOPE_CONTEXT_H
#define RUNNERSCOPE_CONTEXT_H

#include <stddef.h>
#include <sys/types.h>
#include "lib/utf8.h"

/* what the job's steps say about it, from their GITHUB_*, CI_* or BUILDKITE_* environment */
struct job_context {
	char repository[NAME_LEN];
	char workflow[NAME_LEN];
	char job[NAME_LEN];
	char run_id[32];
	char run_attempt[16];
	char tracking_id[96]; /* RUNNER_TRACKING_ID: github_<guid>, the same in every step */
};

/*
 * A job's context from the environment of process pid, or from env[0..len) (NAME=value
 * strings, each ended by a NUL) when env is not NULL: 1 when it names a job, 0 when it does
 * not, -errno when the process could not be read.
 */
int context__read(struct job_context *ctx, pid_t pid, const char *env, size_t len);

#endif
