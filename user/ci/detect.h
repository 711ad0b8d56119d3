/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Which executables are runner agents and jobs, and what a job's exit means, from the kinds'
 * rules (ci/kinds/): the same rules feed the kernel's rules_map and the start-up scan of
 * /proc.
 */
#ifndef RUNNERSCOPE_DETECT_H
#define RUNNERSCOPE_DETECT_H

#include <stdint.h>
#include <linux/types.h>
#include "jobs.h"

enum job_result {
	RESULT_SUCCESS,
	RESULT_SUCCESS_WITH_ISSUES,
	RESULT_FAILURE,
	RESULT_CANCELLED,
	RESULT_SKIPPED,
	RESULT_ABANDONED,
	RESULT_MAX,
};

/* why a job did not succeed (RS_REASONS of them); REASON_NONE for one that did */
enum job_reason {
	REASON_NONE = -1,
	REASON_OOM_KILLED, /* a process of the job was OOM-killed */
	REASON_KILLED, /* the job process died by a signal */
	REASON_CRASHED, /* the runner's job process exited with a code outside its contract */
	REASON_STEP_FAILED, /* a step (the command, a stage) exited with a failure */
	REASON_CANCELLED,
	REASON_RUNNER_REPORTED, /* the runner's own failure result, none of the above */
	/* a job that failed with its runner's work filesystem (nearly) full at its end; last, so
	 * that the pinned counts of the others keep their index */
	REASON_DISK_FULL,
	REASON_MAX,
};
_Static_assert(REASON_MAX == RS_REASONS, "RS_REASONS");

/* what sets a kind's jobs apart, beyond its rules (struct kind_ops' traits) */
enum kind_trait {
	/* jobs run as several processes in turn (containers, shells), with no job process: told
	 * apart by their environment and container names (the kind's classify) and grouped by
	 * the daemon */
	KIND_ENV_JOBS = 1 << 0,
	/* the job process's own environment is its context: the programs send it with the
	 * job's start (a Buildkite bootstrap), before the process may be gone */
	KIND_CONTEXT_AT_START = 1 << 1,
};

const char *detect__result_name(enum job_result r);

/* Fills at most max rules_map entries; returns how many. */
int detect__rules_build(struct rs_rule_key *keys, struct rs_rule *vals, int max);

/*
 * Classifies a process by its comm (the executable's basename, cut to 15 bytes as the kernel
 * does) and argv[1] (NULL when absent). Returns an rs_role and sets *kind.
 */
int detect__classify(const char *comm, const char *arg1, int *kind);

/* whether any rule names this comm */
int detect__is_candidate(const char *comm);

/*
 * A job's result from the kernel's exit code of its job process (wait status: exit code << 8,
 * or the terminating signal). *reason is set to the name of why a job that did not succeed
 * ended (detect__job_outcome() without OOM kills), "" for one that succeeded.
 */
enum job_result detect__job_result(int kind, int wait_status, const char **reason);
/*
 * The result of a job of this kind that ended with this wait status, and why it did not
 * succeed: with oom_kills, any OOM kill of its processes is the reason a job that did not
 * succeed ended; else, with disk_full (its runner's work filesystem was below the free space
 * --jobs.disk-full-below asks for at its end), a failure is for the full disk
 */
enum job_result detect__job_outcome(int kind, int wait_status, uint64_t oom_kills, int disk_full,
				   enum job_reason *reason);
const char *detect__reason_name(enum job_reason r);

#endif
