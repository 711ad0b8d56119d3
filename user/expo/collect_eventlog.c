// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The job event log's lines, written and lost */
#include <stdint.h>
#include "expo/collect.h"
#include "expo/eventlog.h"

#define NS "runnerscope_"

void collect_eventlog(struct buf *b, const struct eventlog *l)
{
	if (!l)
		return;
	expo_family(b, NS "event_log_lines_total", "counter",
		    "Lines written to the job event log.");
	expo_sample(b, NS "event_log_lines_total", NULL, 0, (double)eventlog_lines(l));
	expo_family(b, NS "event_log_errors_total", "counter",
		    "Job event log lines lost to a failed write (full disk, closed pipe).");
	expo_sample(b, NS "event_log_errors_total", NULL, 0, (double)eventlog_errors(l));
}
