/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef RUNNERSCOPE_DURATION_H
#define RUNNERSCOPE_DURATION_H

#include <stdint.h>

/*
 * A duration as flags and the web config write it: numbers with units, one after another
 * ("500ms", "1.5s", "5m", "1h30m"); units ms, s, m, h, d, w. 0 or -EINVAL (no unit, an
 * unknown unit, a negative number, an overflow).
 */
int duration_parse(const char *s, uint64_t *ns);

#endif
