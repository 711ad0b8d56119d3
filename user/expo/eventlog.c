// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <json-c/json.h>
#include <stdio.h>
#include <time.h>
#include <linux/types.h>
#include "lib/clock.h"
#include "expo/eventlog.h"
#include "enrich/cgroup_path.h"
#include "ci/detect.h"
#include "ci/kinds/kinds.h"
#include "lib/log.h"
#include "state/job_record.h"

struct eventlog {
	int fd;
	int own_fd;
	char *path;
	pthread_mutex_t lock;
	_Atomic uint64_t lines;
	_Atomic uint64_t errors;
	int last_errno; /* the error last logged: a disk that stays full is said once */
};

struct eventlog *eventlog__new(const char *path)
{
	struct eventlog *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->path = strdup(path);
	if (!l->path) {
		free(l);
		return NULL;
	}
	if (!strcmp(path, "-")) {
		l->fd = STDOUT_FILENO;
	} else {
		l->fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
		if (l->fd < 0) {
			int err = errno;

			free(l->path);
			free(l);
			errno = err;
			return NULL;
		}
		l->own_fd = 1;
	}
	pthread_mutex_init(&l->lock, NULL);
	return l;
}

void eventlog__free(struct eventlog *l)
{
	if (!l)
		return;
	if (l->own_fd)
		close(l->fd);
	pthread_mutex_destroy(&l->lock);
	free(l->path);
	free(l);
}

void eventlog_write(struct eventlog *l, struct json_object *obj)
{
	const char *text;
	char *line;
	size_t len;
	ssize_t n;
	int err = 0;

	if (!l) {
		json_object_put(obj);
		return;
	}
	text = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
							   JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	line = malloc(len + 1);
	if (!line) {
		err = ENOMEM;
		goto out;
	}
	memcpy(line, text, len);
	line[len] = '\n';
	pthread_mutex_lock(&l->lock);
	/* one write of the whole line: O_APPEND keeps lines from interleaving in a shared file */
	do {
		n = write(l->fd, line, len + 1);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		err = errno;
	else if ((size_t)n != len + 1)
		err = ENOSPC;
	if (err && err != l->last_errno)
		pr_warn("failed to write the event log %s: %s", l->path, strerror(err));
	l->last_errno = err;
	pthread_mutex_unlock(&l->lock);
	free(line);
out:
	if (err)
		atomic_fetch_add(&l->errors, 1);
	else
		atomic_fetch_add(&l->lines, 1);
	json_object_put(obj);
}

uint64_t eventlog_lines(const struct eventlog *l)
{
	return l ? atomic_load(&((struct eventlog *)l)->lines) : 0;
}

uint64_t eventlog_errors(const struct eventlog *l)
{
	return l ? atomic_load(&((struct eventlog *)l)->errors) : 0;
}

static void put_str(struct json_object *o, const char *k, const char *v)
{
	json_object_object_add(o, k, v && v[0] ? json_object_new_string(v) : NULL);
}

/* seconds to the microsecond: json-c would print seventeen digits */
static void put_seconds(struct json_object *o, const char *k, double v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%.6f", v);
	json_object_object_add(o, k, json_object_new_double_s(v, buf));
}

/* ns as seconds where known, else null */
static void put_seconds_if(struct json_object *o, const char *k, int known, uint64_t ns)
{
	if (known)
		put_seconds(o, k, (double)ns / 1e9);
	else
		json_object_object_add(o, k, NULL);
}

static void put_time(struct json_object *o, const char *k, double wall)
{
	char buf[48];
	time_t secs = (time_t)wall;
	struct tm tm;

	gmtime_r(&secs, &tm);
	snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (int)((wall - (double)secs) * 1000) % 1000);
	json_object_object_add(o, k, json_object_new_string(buf));
}

/* the containers whose processes counted for the job, with what their cgroups said last */
static struct json_object *containers_json(const struct job_record *j)
{
	struct json_object *a = json_object_new_array();

	for (int i = 0; a && i < j->ncontainers; i++) {
		const struct job_record_container *c = &j->containers[i];
		struct json_object *o = json_object_new_object();

		if (!o)
			break;
		put_str(o, "id", c->id);
		put_str(o, "name", c->name);
		put_str(o, "image", c->image);
		put_str(o, "role", c->role);
		put_seconds(o, "cpu_user_seconds", (double)c->cpu_user_ns / 1e9);
		put_seconds(o, "cpu_system_seconds", (double)c->cpu_system_ns / 1e9);
		json_object_object_add(o, "memory_peak_bytes",
				       c->mem_peak ? json_object_new_int64((int64_t)c->mem_peak) :
						     NULL);
		json_object_array_add(a, o);
	}
	return a;
}

/* who had the job's CPUs while it ran: [] for a job that did not wait */
static struct json_object *neighbours_json(const struct job_record *j)
{
	static const char *const types[] = { [NB_JOB] = "job", [NB_CONTAINER] = "container",
					     [NB_HOST] = "host" };
	struct json_object *a = json_object_new_array();

	for (int i = 0; a && i < j->nneighbours; i++) {
		const struct job_record_neighbour *nb = &j->neighbours[i];
		struct json_object *o = json_object_new_object();

		if (!o || nb->type <= NB_NONE || nb->type > NB_HOST)
			break;
		json_object_object_add(o, "type", json_object_new_string(types[nb->type]));
		if (nb->type == NB_JOB) {
			put_str(o, "runner", nb->name);
			put_str(o, "job", nb->job);
			/* a job of several processes has none of its own */
			json_object_object_add(o, "pid",
					       nb->pid ? json_object_new_int64(nb->pid) : NULL);
		} else if (nb->type == NB_CONTAINER) {
			put_str(o, "container", nb->name);
		}
		put_seconds(o, "cpu_seconds", (double)nb->cpu_ns / 1e9);
		json_object_array_add(a, o);
	}
	return a;
}

void eventlog_job(struct eventlog *l, const struct job_record *j)
{
	struct json_object *o;
	int r = j->has_runner;

	if (!l)
		return;
	o = json_object_new_object();
	if (!o) {
		atomic_fetch_add(&l->errors, 1);
		return;
	}
	json_object_object_add(o, "event",
			       json_object_new_string(j->finished ? "job_finished" : "job_started"));
	put_time(o, "time", (double)clock_ns(CLOCK_REALTIME) / 1e9);
	put_str(o, "kind", r ? kinds__name(j->kind) : NULL);
	put_str(o, "runner", r ? j->runner : NULL);
	put_str(o, "container_id", r ? j->container_id : NULL);
	put_str(o, "container", r ? j->container : NULL);
	put_str(o, "pod", r ? j->pod : NULL);
	put_str(o, "namespace", r ? j->ns : NULL);
	put_str(o, "repository", j->ctx.repository);
	put_str(o, "workflow", j->ctx.workflow);
	put_str(o, "job", j->ctx.job);
	put_str(o, "run_id", j->ctx.run_id);
	put_str(o, "run_attempt", j->ctx.run_attempt);
	put_str(o, "tracking_id", j->ctx.tracking_id);
	json_object_object_add(o, "pid", json_object_new_int64(j->pid));
	put_time(o, "start_time", clock_boot_to_wall(j->start_ns));
	if (j->finished) {
		int sig = j->exit_code & 0x7f;

		put_time(o, "end_time", clock_boot_to_wall(j->end_ns));
		put_seconds(o, "duration_seconds", (double)(j->end_ns - j->start_ns) / 1e9);
		json_object_object_add(o, "result",
				       json_object_new_string(detect__result_name(j->result)));
		put_str(o, "reason", j->reason);
		json_object_object_add(o, "exit_code",
				       sig ? NULL : json_object_new_int((j->exit_code >> 8) & 0xff));
		json_object_object_add(o, "signal", sig ? json_object_new_int(sig) : NULL);
		put_seconds(o, "cpu_user_seconds", (double)j->cpu_user_ns / 1e9);
		put_seconds(o, "cpu_system_seconds", (double)j->cpu_system_ns / 1e9);
		put_seconds_if(o, "cpu_wait_seconds", j->has_wait, j->cpu_wait_ns);
		json_object_object_add(o, "cpu_neighbours", neighbours_json(j));
		put_seconds_if(o, "cpu_throttled_seconds", j->stall_have & RS_STALL_THROTTLE,
			       j->cpu_throttled_ns);
		put_seconds_if(o, "memory_stall_seconds", j->stall_have & RS_STALL_MEMORY,
			       j->mem_stall_ns);
		json_object_object_add(o, "max_rss_bytes", json_object_new_int64((int64_t)j->max_rss));
		json_object_object_add(o, "io_read_bytes",
				       json_object_new_int64((int64_t)j->io_read_bytes));
		json_object_object_add(o, "io_write_bytes",
				       json_object_new_int64((int64_t)j->io_write_bytes));
		json_object_object_add(o, "oom_kills", json_object_new_int64((int64_t)j->oom_kills));
		json_object_object_add(o, "processes", json_object_new_int64(j->processes));
		if (j->ncontainers)
			json_object_object_add(o, "containers", containers_json(j));
	}
	eventlog_write(l, o);
}

void eventlog__on_job(void *ctx, const struct job_record *j)
{
	eventlog_job(ctx, j);
}
