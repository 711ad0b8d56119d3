// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The tracked containers: what they are and host, and their cgroups' last read */
#include <stddef.h>
#include <stdint.h>
#include "ci/detect.h"
#include "ci/kinds/kinds.h"
#include "enrich/containers.h"
#include "expo/collect.h"

#define NS "runnerscope_"

/* one sample per reported container that has the stats behind `bit` */
#define FOR_CONTAINERS(bit) \
	for (x = containers__list(c); x; x = x->hh.next) \
		if (x->reported && (x->stats.have & (bit)))

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

			if (!x->reported || !(x->counters & fams[i].bit))
				continue;
			for (int d = 0; d < 2; d++) {
				struct label l[] = { { "container_id", x->id },
						     { "direction", fams[i].dirs[d] } };

				expo_sample(b, fams[i].name, l, 2, (double)k[d].shown);
			}
		}
	}
}

/* containers created and removed, however short-lived, by the labels they were counted under */
static void lifecycle(struct buf *b, struct containers *c)
{
	static const char *const names[2] = { NS "containers_created_total",
					       NS "containers_removed_total" };
	static const char *const helps[2] = {
		"Containers whose cgroup was made, counted once each (again when one is made again "
		"under its id), by runtime and the runner and role they were known by then.",
		"Containers whose cgroup was removed, under the labels they were counted created "
		"by.",
	};

	for (int i = 0; i < 2; i++) {
		expo_family(b, names[i], "counter", helps[i]);
		for (struct container_count *k = containers__counts(c); k; k = k->hh.next) {
			struct label l[] = {
				{ "runtime", cgroup_path__runtime_name((int)k->labels.runtime) },
				{ "kind", k->labels.kind ? kinds__name((int)k->labels.kind) : "" },
				{ "runner", k->labels.runner },
				{ "role", k->labels.role },
			};

			expo_sample(b, names[i], l, 4, (double)(i ? k->n.removed : k->n.created));
		}
	}
}

/* containers whose runtime's files could not be read: why their names are empty */
static void names_missing(struct buf *b, struct containers *c)
{
	expo_family(b, NS "container_names_missing_total", "counter",
		    "Containers with a process whose runtime's files (the bundle's config.json, "
		    "config.v2.json, containers.json) could not be read, so that their names are "
		    "empty; the path tried is logged at debug.");
	for (int rt = RUNTIME_NONE + 1; rt < RUNTIME_MAX; rt++) {
		struct label l[] = { { "runtime", cgroup_path__runtime_name(rt) } };

		expo_sample(b, NS "container_names_missing_total", l, 1,
			    (double)containers__names_missing(c, rt));
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
		if (!x->reported)
			continue;
		struct label l[] = {
			{ "container_id", x->id },
			{ "container", x->names.name },
			{ "pod", x->names.pod },
			{ "namespace", x->names.ns },
			{ "image", x->names.image },
			{ "runtime", cgroup_path__runtime_name(x->runtime) },
			{ "kind", x->kind ? kinds__name(x->kind) : "" },
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
	if (containers__cpu_wait(c)) {
		expo_family(b, NS "container_cpu_wait_seconds_total", "counter",
			    "Time the container's threads were runnable but waiting for a CPU (the "
			    "scheduler's run delay): exited ones at their exit, running ones so far.");
		FOR_CONTAINERS(CG_CPU) {
			struct label l[] = { { "container_id", x->id } };

			expo_sample(b, NS "container_cpu_wait_seconds_total", l, 1,
				    (double)x->wait_ns / 1e9);
		}
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
	expo_family(b, NS "container_oom_kills_total", "counter",
		    "Processes of the container killed by the OOM killer.");
	FOR_CONTAINERS(CG_OOM) {
		struct label l[] = { { "container_id", x->id } };

		expo_sample(b, NS "container_oom_kills_total", l, 1, (double)x->oom_kills);
	}
	expo_family(b, NS "container_memory_peak_bytes", "gauge",
		    "The highest memory usage of the container (its cgroup's memory.peak or "
		    "memory.max_usage_in_bytes; at its removal, as the kernel had it).");
	FOR_CONTAINERS(CG_MEMORY | CG_PEAK) {
		struct label l[] = { { "container_id", x->id } };

		if (x->mem_peak)
			expo_sample(b, NS "container_memory_peak_bytes", l, 1, (double)x->mem_peak);
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
	lifecycle(b, c);
	names_missing(b, c);
	containers__unlock(c);
}
#undef FOR_CONTAINERS
