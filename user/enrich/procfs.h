/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Bounded reads of /proc/<pid>/… under --proc.root, and of files inside a process's root
 * (its container) that can never resolve to a file outside that root.
 */
#ifndef RUNNERSCOPE_PROCFS_H
#define RUNNERSCOPE_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct proc_stat {
	char comm[16];
	char state; /* R, S, D, Z, X, ... */
	unsigned int flags; /* the task's PF_* flags (PF_EXITING: 0x4) */
	pid_t ppid;
	uint64_t start_ns; /* CLOCK_BOOTTIME at the process's start */
	uint64_t utime_ns, stime_ns; /* CPU it has used, in clock-tick steps */
	uint64_t vsize; /* bytes; 0 when the line ends before it */
	uint64_t rss_pages; /* 0 when the line ends before it */
};

void procfs__set_root(const char *root);
const char *procfs__root(void);

/* reads at most cap - 1 bytes of /proc/<pid>/<name>, NUL-terminates; 0 or -errno */
int procfs__read(pid_t pid, const char *name, char *buf, size_t cap, size_t *len);
/* a file (path as given, not under --proc.root) into buf, NUL-terminated: 0 or -errno */
int procfs__read_file(const char *path, char *buf, size_t cap, size_t *len);
int procfs__stat(pid_t pid, struct proc_stat *st);
/*
 * How long each CPU has been busy (user, nice, system, irq, softirq and steal time of its
 * "cpuN" line of /proc/stat, in clock-tick steps) into busy_ns[N], N < max: the number of CPUs
 * (the highest N plus one), or -errno. procfs_parse_cpu_busy() parses text, /proc/stat's.
 */
int procfs__cpu_busy(uint64_t *busy_ns, int max);
int procfs_parse_cpu_busy(const char *text, long ticks_per_sec, uint64_t *busy_ns, int max);
/* argv[1] of the process; *has_arg1 = 0 when it has none */
int procfs__arg1(pid_t pid, char *arg1, size_t sz, int *has_arg1);
/* calls cb for each NAME=value of the process's environment until cb returns non-zero */
int procfs_environ(pid_t pid, int (*cb)(const char *var, size_t len, void *ctx), void *ctx);
/* the value of KEY in the process's environment; -ENOENT when unset */
int procfs__getenv(pid_t pid, const char *key, char *out, size_t sz);
/* several keys in one pass: out[i] gets keys[i]'s value or ""; returns a bitmask of the keys
 * found (bit i for keys[i], n <= 31) or -errno */
int procfs__getenv_many(pid_t pid, const char *const *keys, char **out, size_t sz, int n);
/* the same from an environment in memory: NAME=value strings, each ended by a NUL; an unended
 * last one (the environment was cut there) is left out */
int procfs__environ_getenv_many(const char *env, size_t len, const char *const *keys, char **out,
			size_t sz, int n);
/* the executable's path as the process sees it */
int procfs__exe(pid_t pid, char *out, size_t sz);
/* the process's hostname: its UTS namespace's */
int procfs__hostname(pid_t pid, char *out, size_t sz);

/*
 * Reads a regular file at path (absolute, as the process sees it) inside the process's root
 * with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS: symlinks resolve inside that root, never out
 * of it. Non-blocking (a FIFO fails with -EINVAL), at most cap - 1 bytes; -EFBIG when the file
 * is larger. 0 or -errno.
 */
int procfs__read_in_root(pid_t pid, const char *path, char *buf, size_t cap, size_t *len);
/* the process's root directory (O_PATH), for procfs_open_in_root(): an fd or -errno */
int procfs_open_root(pid_t pid);
/* path opened with flags under that root, resolved as procfs__read_in_root() does: fd or -errno */
int procfs_open_in_root(int root_fd, const char *path, int flags);

/* parses the text of /proc/<pid>/stat; comm may hold spaces and parentheses */
int procfs__parse_stat(const char *text, long ticks_per_sec, struct proc_stat *st);

#endif
