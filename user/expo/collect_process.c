// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The standard process_* series, of this daemon: client libraries' names, help and units */
#include <dirent.h>
#include <unistd.h>
#include <sys/resource.h>
#include "lib/clock.h"
#include "enrich/procfs.h"
#include "expo/collect.h"

void collect_process(struct buf *b)
{
	char text[1024];
	long tck = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct proc_stat st;
	struct rlimit rl;
	struct dirent *de;
	int fds = 0;
	DIR *d;

	/* our own, wherever --proc.root points */
	if (procfs__read_file("/proc/self/stat", text, sizeof(text), NULL) ||
	    procfs__parse_stat(text, tck, &st))
		return;
	expo_family(b, "process_cpu_seconds_total", "counter",
		    "Total user and system CPU time spent in seconds.");
	expo_sample(b, "process_cpu_seconds_total", NULL, 0,
		    (double)(st.utime_ns + st.stime_ns) / 1e9);
	expo_family(b, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
	expo_sample(b, "process_resident_memory_bytes", NULL, 0,
		    (double)st.rss_pages * (double)page);
	expo_family(b, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
	expo_sample(b, "process_virtual_memory_bytes", NULL, 0, (double)st.vsize);
	expo_family(b, "process_start_time_seconds", "gauge",
		    "Start time of the process since unix epoch in seconds.");
	expo_sample(b, "process_start_time_seconds", NULL, 0, clock_boot_to_wall(st.start_ns));
	d = opendir("/proc/self/fd");
	if (d) {
		while ((de = readdir(d)))
			fds += de->d_name[0] != '.';
		closedir(d);
		expo_family(b, "process_open_fds", "gauge", "Number of open file descriptors.");
		expo_sample(b, "process_open_fds", NULL, 0, fds - 1); /* less the one reading */
	}
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		expo_family(b, "process_max_fds", "gauge",
			    "Maximum number of open file descriptors.");
		expo_sample(b, "process_max_fds", NULL, 0, (double)rl.rlim_cur);
	}
}
