// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The BPF side: how the programs are attached, what they cost, how full the maps are */
#include <stdint.h>
#include "expo/collect.h"
#include "kernel/probes.h"
#include "intake/intake.h"

#define NS "runnerscope_"

void collect_bpf(struct buf *b, struct probes *p)
{
	struct rs_event_count c[RS_EV_MAX];
	struct probes_prog_stat ps[PROBES_PROGS];
	struct probes_map_stat ms[PROBES_MAPS];
	int n;

	if (!p)
		return;
	expo_family(b, NS "bpf_attach_info", "gauge",
		    "The flavour the BPF tracepoint programs are attached with (tp_btf, or raw_tp "
		    "where the kernel rejects tp_btf) and the kernel release they run on.");
	{
		struct label l[] = { { "attach", probes__attach_name(p) },
				     { "kernel", probes__kernel_release(p) } };
		expo_sample(b, NS "bpf_attach_info", l, 2, 1);
	}
	n = probes__prog_stats(p, ps);
	if (n >= 0) {
		expo_family(b, NS "bpf_program_run_seconds_total", "counter",
			    "Time the kernel spent running each BPF program (BPF run-time "
			    "statistics).");
		for (int i = 0; i < n; i++) {
			struct label l[] = { { "program", ps[i].name } };
			expo_sample(b, NS "bpf_program_run_seconds_total", l, 1,
				    (double)ps[i].run_ns / 1e9);
		}
		expo_family(b, NS "bpf_program_runs_total", "counter",
			    "Times the kernel ran each BPF program.");
		for (int i = 0; i < n; i++) {
			struct label l[] = { { "program", ps[i].name } };
			expo_sample(b, NS "bpf_program_runs_total", l, 1, (double)ps[i].runs);
		}
	}
	n = probes__map_stats(p, ms);
	expo_family(b, NS "bpf_map_entries", "gauge", "Entries in each BPF hash map.");
	for (int i = 0; i < n; i++) {
		struct label l[] = { { "map", ms[i].name } };
		expo_sample(b, NS "bpf_map_entries", l, 1, (double)ms[i].entries);
	}
	expo_family(b, NS "bpf_map_capacity", "gauge",
		    "Entries each BPF hash map can hold; a full map loses new entries, counted in "
		    "runnerscope_bpf_events_lost_total.");
	for (int i = 0; i < n; i++) {
		struct label l[] = { { "map", ms[i].name } };
		expo_sample(b, NS "bpf_map_capacity", l, 1, (double)ms[i].capacity);
	}
	if (intake__event_counts(p, c))
		return;
	expo_family(b, NS "bpf_events_total", "counter",
		    "Events the BPF programs recorded, by event.");
	for (int t = 0; t < RS_EV_MAX; t++) {
		struct label l[] = { { "event", intake__event_name(t) } };
		expo_sample(b, NS "bpf_events_total", l, 1, (double)c[t].sent);
	}
	expo_family(b, NS "bpf_events_lost_total", "counter",
		    "Events the BPF programs could not deliver (ring buffer or map full), by event.");
	for (int t = 0; t < RS_EV_MAX; t++) {
		struct label l[] = { { "event", intake__event_name(t) } };
		expo_sample(b, NS "bpf_events_lost_total", l, 1, (double)c[t].lost);
	}
	{
		uint64_t startup, lost;
		struct label ls[] = { { "reason", "startup" } };
		struct label ll[] = { { "reason", "lost_events" } };

		intake__cgroup_walks(p, &startup, &lost);
		expo_family(b, NS "container_walks_total", "counter",
			    "Walks of the cgroup hierarchies for containers no cgroup event told of: "
			    "at start-up, and after cgroup events were lost.");
		expo_sample(b, NS "container_walks_total", ls, 1, (double)startup);
		expo_sample(b, NS "container_walks_total", ll, 1, (double)lost);
	}
}
