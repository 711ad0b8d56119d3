// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The tracked containers: what they are and host, and their cgroups' last read */
#include <stddef.h>
#include <stdint.h>
#include "ci/detect.h"
#include "enrich/containers.h"
#include "expo/collect.h"

#define NS "runnerscope_"

/* one sample per container that has the stats behind `bit` */
#define FOR_CONTAINERS(bit) \
	for (x = containers__list(c); x; x = x->hh.next) \
		if (x->stats.have & (bit))

/* the block I/O and network counters, by direction, for the containers that have them */
static void counters(struct buf *b, struct containers *c)
{
	static const char *const io_dirs[CG_IO_DIR_MAX] = { "read", "write" };
	static const char *const net_dirs[NET_DIR_MAX] = { "receive", "transmit" };
	struct {
		const char *name, *help;
		unsigned int bit;
		size_t off; /* of the first of two struct container_counter, by direction */
		const char *const *dirs;
	} const fams[] = {
		{ NS "container_io_bytes_total",
		  "Bytes the container read from and wrote to block devices, summed over devices.",
		  CONTAINER_IO, offsetof(struct container, io_bytes), io_dirs },
		{ NS "container_io_operations_total",
		  "Block I/O operations of the container, summed over devices.", CONTAINER_IO,
		  offsetof(struct container, io_ops), io_dirs },
		{ NS "container_network_bytes_total",
		  "Bytes received and transmitted on the interfaces of the container's network "
		  "namespace but lo.",
		  CONTAINER_NET, offsetof(struct container, net_bytes), net_dirs },
		{ NS "container_network_packets_total",
		  "Packets received and transmitted on the interfaces of the container's network "
		  "namespace but lo.",
		  CONTAINER_NET, offsetof(struct container, net_packets), net_dirs },
	};
	struct container *x;

	for (size_t i = 0; i < sizeof(fams) / sizeof(fams[0]); i++) {
		expo_family(b, fams[i].name, "counter", fams[i].help);
		for (x = containers__list(c); x; x = x->hh.next) {
			const struct container_counter *k =
				(const void *)((const char *)x + fams[i].off);

			if (!(x->counters & fams[i].bit))
				continue;
			for (int d = 0; d < 2; d++) {
				struct label l[] = { { "container_id", x->id },
						     { "direction", fams[i].dirs[d] } };

				expo_sample(b, fams[i].name, l, 2, (double)k[d].shown);
			}
		}
	}
}

void collect_containers(struct buf *b, struct containers *c)
{
	static const char *const psi_names[CG_PSI_RES_MAX] = { "cpu", "memory", "io" };
	static const unsigned int psi_bits[CG_PSI_RES_MAX] = { CG_PSI_CPU, CG_PSI_MEMORY,
							       CG_PSI_IO };
	struct container *x;

	if (!c)
		return;
	containers__lock(c);
	expo_family(b, NS "container_info", "gauge",
		    "Containers hosting runners (or every container, with --containers=all).");
	for (x = containers__list(c); x; x = x->hh.next) {
		struct label l[] = {
			{ "container_id", x->id },
			{ "container", x->names.name },
			{ "pod", x->names.pod },
			{ "namespace", x->names.ns },
			{ "image", x->names.image },
			{ "runtime", cgroup_runtime_name(x->runtime) },
			{ "kind", x->kind ? detect_kind_name(x->kind) : "" },
			{ "runner", x->runner },
		};
		expo_sample(b, NS "container_info", l, 8, 1);
	}
	expo_family(b, NS "container_cpu_seconds_total", "counter",
		    "CPU time of the container's cgroup, by mode.");
	FOR_CONTAINERS(CG_CPU) {
		struct label lu[] = { { "container_id", x->id }, { "mode", "user" } };
		struct label ls[] = { { "container_id", x->id }, { "mode", "system" } };

		expo_sample(b, NS "container_cpu_seconds_total", lu, 2, (double)x->cpu_user_ns / 1e9);
		expo_sample(b, NS "container_cpu_seconds_total", ls, 2,
			    (double)x->cpu_system_ns / 1e9);
	}
	struct {
		const char *name, *type, *help;
		unsigned int bit;
		size_t off;
		double scale;
	} const gauges[] = {
		{ NS "container_memory_usage_bytes", "gauge", "Memory charged to the container.",
		  CG_MEMORY, offsetof(struct container_stats, mem_usage), 1 },
		{ NS "container_memory_working_set_bytes", "gauge",
		  "Memory usage less inactive file cache.", CG_MEMORY,
		  offsetof(struct container_stats, mem_working_set), 1 },
		{ NS "container_memory_rss_bytes", "gauge", "Anonymous memory of the container.",
		  CG_MEMORY, offsetof(struct container_stats, mem_rss), 1 },
		{ NS "container_memory_limit_bytes", "gauge",
		  "The container's memory limit; absent when unlimited.", CG_LIMIT,
		  offsetof(struct container_stats, mem_limit), 1 },
		{ NS "container_oom_kills_total", "counter",
		  "Processes of the container killed by the OOM killer.", CG_OOM,
		  offsetof(struct container_stats, oom_kills), 1 },
		{ NS "container_cpu_throttled_seconds_total", "counter",
		  "Time the container's CPU quota held it back.", CG_THROTTLE,
		  offsetof(struct container_stats, throttled_ns), 1e-9 },
		{ NS "container_pids", "gauge", "Tasks (processes and threads) in the container.",
		  CG_PIDS, offsetof(struct container_stats, pids), 1 },
		{ NS "container_pids_limit", "gauge",
		  "The container's limit of tasks (pids.max); absent when unlimited.",
		  CG_PIDS_LIMIT, offsetof(struct container_stats, pids_limit), 1 },
	};
	for (size_t i = 0; i < sizeof(gauges) / sizeof(gauges[0]); i++) {
		expo_family(b, gauges[i].name, gauges[i].type, gauges[i].help);
		FOR_CONTAINERS(gauges[i].bit) {
			struct label l[] = { { "container_id", x->id } };
			uint64_t v = *(const uint64_t *)((const char *)&x->stats + gauges[i].off);

			expo_sample(b, gauges[i].name, l, 1, (double)v * gauges[i].scale);
		}
	}
	expo_family(b, NS "container_pressure_waiting_seconds_total", "counter",
		    "Time some of the container's tasks waited for a resource (PSI some).");
	for (int r = 0; r < CG_PSI_RES_MAX; r++) {
		FOR_CONTAINERS(psi_bits[r]) {
			struct label l[] = { { "container_id", x->id }, { "resource", psi_names[r] } };

			expo_sample(b, NS "container_pressure_waiting_seconds_total", l, 2,
				    (double)x->stats.psi_some_us[r] / 1e6);
		}
	}
	counters(b, c);
	containers__unlock(c);
}
#undef FOR_CONTAINERS
