/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * How many jobs a runner may run at once, as its own configuration says: what the kinds'
 * parsers of the files and arguments that say it share. Each returns the capacity (1 or
 * more) or -errno.
 */
#ifndef RUNNERSCOPE_CAPACITY_H
#define RUNNERSCOPE_CAPACITY_H

#include <stddef.h>

#define CAPACITY_MAX 100000 /* larger numbers are taken as not said */

/* the number after "key" and sep on a config line (k: the key's start, eol: its end), as
 * capacity_number() takes it; -ENOENT when the line is not key's */
int capacity_key_number(const char *k, const char *eol, const char *key, char sep);
/*
 * The value of an option in a NUL-separated argument list (/proc/<pid>/cmdline): "-c X",
 * "--config X" or "--config=X" for names "-c" and "--config" (short may be NULL). 0 and out
 * filled; -ENOENT when it is not there; -ENAMETOOLONG when out is too small.
 */
int capacity_arg(const char *args, size_t len, const char *shortopt, const char *longopt,
		 char *out, size_t sz);
/* a whole decimal number 1 … CAPACITY_MAX, or -EINVAL */
int capacity_number(const char *s);
/* the first n bytes of s as a decimal id of at most 18 digits (a task's, a job's), or -1 */
long long capacity_id(const char *s, size_t n);

#endif
