/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A job as the state publishes it to its readers (the event log, the status page's recent
 * jobs): a flat copy, with no pointer into the state, so that a reader needs neither the
 * state's lock nor its types.
 */
#ifndef RUNNERSCOPE_JOB_RECORD_H
#define RUNNERSCOPE_JOB_RECORD_H

#include <stdint.h>
#include "ci/context.h"
#include "enrich/cgroup_path.h"
#include "lib/utf8.h"

/* a container the job started (or ran in), as its job_finished line lists it */
#define JOB_CONTAINERS_MAX 8
struct job_record_container {
	char id[CONTAINER_ID_LEN + 1];
	char role[12]; /* job, service, action or step */
	char name[NAME_LEN];
	char image[NAME_LEN];
	uint64_t cpu_user_ns, cpu_system_ns; /* its cgroup's: at its removal, or as last read */
	uint64_t mem_peak; /* its cgroup's memory peak, bytes; 0: not had */
};

struct job_record {
	int has_runner; /* 0: the runner is not known (the fields below it are empty) */
	int kind; /* RS_KIND_* */
	char runner[NAME_LEN];
	char container_id[CONTAINER_ID_LEN + 1];
	char container[NAME_LEN];
	char pod[NAME_LEN];
	char ns[NAME_LEN];
	struct job_context ctx;
	int have_ctx; /* ctx was read from its steps */
	uint32_t pid;
	uint64_t start_ns; /* CLOCK_BOOTTIME */
	/* set when it has finished */
	int finished;
	uint64_t end_ns; /* CLOCK_BOOTTIME, not before start_ns */
	int result; /* enum job_result */
	const char *reason; /* why it did not succeed (detect_reason_name()), "" when it did */
	int exit_code; /* wait status */
	uint64_t cpu_user_ns;
	uint64_t cpu_system_ns;
	uint64_t max_rss; /* bytes */
	uint64_t io_read_bytes, io_write_bytes; /* storage I/O of its processes */
	uint64_t oom_kills;
	uint32_t processes;
	int ncontainers;
	struct job_record_container containers[JOB_CONTAINERS_MAX];
};

#endif
