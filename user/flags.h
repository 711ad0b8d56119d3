/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The daemon's configuration, from its flags (docs/configuration.md) */
#ifndef RUNNERSCOPE_FLAGS_H
#define RUNNERSCOPE_FLAGS_H

#include <stdint.h>
#include "kernel/probes.h"
#include "lib/log.h"

#ifndef RS_VERSION
#define RS_VERSION "0.0.0-dev"
#endif
#ifndef RS_REVISION
#define RS_REVISION "unknown"
#endif

struct config {
	const char *listen_address;
	const char *web_config_file;
	unsigned int max_requests;
	unsigned int max_connections;
	unsigned int max_connections_per_ip;
	uint64_t web_timeout_ns;
	int bpf_stats;
	const char *proc_root;
	const char *cgroup_root;
	const char *events_file;
	const char *docker_root;
	const char *kubelet_log_dir;
	const char *runtime_root;
	int all_containers;
	uint64_t grace_ns;
	uint64_t container_grace_ns;
	uint64_t end_idle_ns;
	double disk_full_below; /* percent free of a runner's work filesystem */
	unsigned int job_labels_mask;
	unsigned int job_labels_limit;
	uint32_t ringbuf_bytes;
	const char *pin_path;
	int cleanup_on_exit;
	int cleanup_cmd; /* "runnerscope cleanup" */
	enum probes_attach attach;
	enum log_level level;
	enum log_format format;
};

/* every setting at its default */
void config_defaults(struct config *c);
/*
 * The flags into c: 0 to run, 1 when done already (--help, --version), 2 (the exit status)
 * after saying on stderr what is wrong
 */
int config_parse(struct config *c, int argc, char **argv);

#endif
