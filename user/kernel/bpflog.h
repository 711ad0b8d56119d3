/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What a BPF verifier's log says when it rejects a program. */
#ifndef RUNNERSCOPE_BPFLOG_H
#define RUNNERSCOPE_BPFLOG_H

#include <stddef.h>

/*
 * The reason in a verifier log, for a one-line message: its last two lines that are not the
 * closing statistics (the instruction, then what is wrong with it), joined by "; ". out is
 * always NUL-terminated; returns the lines found (0 for a log of statistics only).
 */
int bpflog_reason(const char *log, char *out, size_t sz);

#endif
