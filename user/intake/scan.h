/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
#ifndef RUNNERSCOPE_SCAN_H
#define RUNNERSCOPE_SCAN_H

struct probes;

/*
 * Walks /proc once, after the programs are attached, and records the agents, jobs and their
 * process trees that were already running, with the kernel's start times. Returns the number
 * of processes recorded or -errno.
 */
int scan_running(struct probes *p);

#endif
