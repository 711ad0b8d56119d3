/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* A runner's process as its own files see it: its working directory, paths, arguments. */
#ifndef RUNNERSCOPE_RUNNER_PROC_H
#define RUNNERSCOPE_RUNNER_PROC_H

#include <stddef.h>
#include <sys/types.h>

/* the process's working directory, "" when it cannot be read or is the root */
void runner_proc_cwd(pid_t pid, char *cwd, size_t sz);
/* a path as the process sees it: absolute, or relative to its working directory; "" when
 * it does not fit (nothing is read then) */
void runner_proc_path(pid_t pid, const char *rel, char *out, size_t sz);
/* the value of -c/--config on its command line, "" when there is none */
void runner_proc_config_arg(pid_t pid, char *arg, size_t sz);
/* its command line (NUL-separated) into buf: its length, 0 when it cannot be read */
size_t runner_proc_cmdline(pid_t pid, char *buf, size_t sz);

#endif
