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

/* who had the CPUs a job may run on while it ran (state/neighbours.h) */
enum nb_type { NB_NONE, NB_JOB, NB_CONTAINER, NB_HOST };
#define JOB_NEIGHBOURS_MAX 3
struct job_record_neighbour {
	int type; /* enum nb_type */
	char name[NAME_LEN]; /* a job's runner; a container's name, else its id */
	char job[NAME_LEN]; /* a job's name, "" when not known */
	uint32_t pid; /* a job's process */
	uint64_t cpu_ns; /* the CPU it used on this job's CPUs while this job ran */
};

struct job_record {
	int has_runner; /* 0: the runner is not known (the fields below it are empty) */
	int kind; /* the runner's kind (ci/kinds/kinds.h) */
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
	const char *reason; /* why it did not succeed (detect__reason_name()), "" when it did */
	int exit_code; /* wait status */
	uint64_t cpu_user_ns;
	uint64_t cpu_system_ns;
	uint64_t max_rss; /* bytes */
	uint64_t io_read_bytes, io_write_bytes; /* storage I/O of its processes */
	int has_wait; /* the kernel keeps the wait below (state_opts.cpu_wait) */
	uint64_t cpu_wait_ns; /* time its threads were runnable, waiting for a CPU */
	/* over its containers, where their files told them (RS_STALL_* in stall_have): the time
	 * the CPU quota held them back, and memory.pressure's some total */
	unsigned int stall_have;
	uint64_t cpu_throttled_ns, mem_stall_ns;
	/* the largest neighbours, for a job that waited for a CPU */
	int nneighbours;
	struct job_record_neighbour neighbours[JOB_NEIGHBOURS_MAX];
	uint64_t oom_kills;
	uint32_t processes;
	int ncontainers;
	struct job_record_container containers[JOB_CONTAINERS_MAX];
};

/*
 * Starts of one job as two daemons tell them: the event log keeps wall-clock times to the
 * millisecond, which each daemon converts with its own reading of the clocks. With the same
 * runner and pid, two jobs this close are one (a pid is not reused within a second).
 */
#define JOB_SAME_START_NS 1000000000ULL
static inline int job_same_start(uint64_t a, uint64_t b)
{
	return (a > b ? a - b : b - a) < JOB_SAME_START_NS;
}

#endif
