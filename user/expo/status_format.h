/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The status page's values as it writes them: escaped text, durations, sizes */
#ifndef RUNNERSCOPE_STATUS_FORMAT_H
#define RUNNERSCOPE_STATUS_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include "expo/expo.h"

/* appends s with &, <, >, " and ' as entities, and control characters as U+FFFD */
void status_escape_html(struct buf *b, const char *s);
/* appends s with control characters (a terminal's escape sequences) as U+FFFD */
void status_escape_text(struct buf *b, const char *s);
/* "12ms", "4.5s", "3m05s", "2h03m", "3d04h"; for a duration in nanoseconds */
void status_duration(char *out, size_t sz, uint64_t ns);
/* "512 KiB", "1.5 GiB" */
void status_bytes(char *out, size_t sz, uint64_t bytes);

#endif
