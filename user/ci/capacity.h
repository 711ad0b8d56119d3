/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * How many jobs a runner may run at once, as its own configuration says: the parsers of the
 * files and arguments that say it. Each returns the capacity (1 or more) or -errno.
 */
#ifndef RUNNERSCOPE_CAPACITY_H
#define RUNNERSCOPE_CAPACITY_H

#include <stddef.h>

#define CAPACITY_MAX 100000 /* larger numbers are taken as not said */

/*
 * act_runner's config.yaml: runner.capacity, 1 when the file does not say it (act_runner's
 * default). -E2BIG past RUNNER_FILE_MAX.
 */
int gitea_config_capacity(const char *text, size_t len);
/*
 * GitLab Runner's config.toml: the global concurrent (default 1), lowered by the first
 * [[runners]] table's limit where that is set (0 is no limit). -E2BIG past RUNNER_FILE_MAX.
 */
int gitlab_config_capacity(const char *text, size_t len);
/*
 * The value of an option in a NUL-separated argument list (/proc/<pid>/cmdline): "-c X",
 * "--config X" or "--config=X" for names "-c" and "--config" (short may be NULL). 0 and out
 * filled; -ENOENT when it is not there; -ENAMETOOLONG when out is too small.
 */
int capacity_arg(const char *args, size_t len, const char *shortopt, const char *longopt,
		 char *out, size_t sz);
/* a whole decimal number 1 … CAPACITY_MAX, or -EINVAL */
int capacity_number(const char *s);

#endif
