// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <linux/openat2.h>
#include "enrich/procfs.h"

static char proc_root[1024] = "/proc"; /* room for "/<pid>/<file>" in a PATH_MAX buffer */

void procfs__set_root(const char *root)
{
	size_t n;

	snprintf(proc_root, sizeof(proc_root), "%s", root);
	n = strlen(proc_root);
	while (n > 1 && proc_root[n - 1] == '/')
		proc_root[--n] = '\0';
}

const char *procfs__root(void)
{
	return proc_root;
}

static int read_fd(int fd, char *buf, size_t cap, size_t *len)
{
	size_t n = 0;

	while (n < cap - 1) {
		ssize_t r = read(fd, buf + n, cap - 1 - n);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return 0;
}

int procfs__read_file(const char *path, char *buf, size_t cap, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	err = read_fd(fd, buf, cap, len);
	close(fd);
	return err;
}

int procfs__read(pid_t pid, const char *name, char *buf, size_t cap, size_t *len)
{
	char path[PATH_MAX];
	int fd, err;

	snprintf(path, sizeof(path), "%s/%d/%s", proc_root, pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	err = read_fd(fd, buf, cap, len);
	close(fd);
	return err;
}

int procfs_parse_cpu_busy(const char *text, long ticks_per_sec, uint64_t *busy_ns, int max)
{
	int n = 0;

	if (ticks_per_sec <= 0)
		return -EINVAL;
	for (const char *l = text, *nl; l && *l; l = nl ? nl + 1 : NULL) {
		unsigned long long v[8] = { 0 };
		unsigned int cpu;

		nl = strchr(l, '\n');

		/* "cpu " is the sum of them all; "cpuN user nice system idle iowait irq softirq
		 * steal …" */
		if (strncmp(l, "cpu", 3) || l[3] < '0' || l[3] > '9')
			continue;
		if (sscanf(l + 3, "%u %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1],
			   &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) < 8 || cpu >= (unsigned int)max)
			continue;
		/* user, nice, system, irq, softirq, steal (guest time is in user already) */
		busy_ns[cpu] = (v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) *
			       (1000000000ULL / (unsigned long long)ticks_per_sec);
		if ((int)cpu >= n)
			n = (int)cpu + 1;
	}
	return n ? n : -ENOENT;
}

int procfs__cpu_busy(uint64_t *busy_ns, int max)
{
	size_t cap = 65536 + (size_t)max * 192, len;
	char path[PATH_MAX], *buf = malloc(cap);
	int fd, n;

	if (!buf)
		return -ENOMEM;
	snprintf(path, sizeof(path), "%s/stat", proc_root);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -errno : read_fd(fd, buf, cap, &len);
	if (fd >= 0)
		close(fd);
	if (!n)
		n = procfs_parse_cpu_busy(buf, sysconf(_SC_CLK_TCK), busy_ns, max);
	free(buf);
	return n;
}

int procfs__parse_stat(const char *text, long ticks_per_sec, struct proc_stat *st)
{
	const char *lp = strchr(text, '('), *rp = strrchr(text, ')');
	unsigned long long start = 0, utime = 0, stime = 0, vsize = 0, rss = 0, tick;
	unsigned int flags = 0;
	char state = '?';
	size_t n;
	int ppid = 0, got;

	if (!lp || !rp || rp < lp || ticks_per_sec <= 0)
		return -EINVAL;
	n = (size_t)(rp - lp - 1);
	if (n >= sizeof(st->comm))
		n = sizeof(st->comm) - 1;
	memcpy(st->comm, lp + 1, n);
	st->comm[n] = '\0';
	/* after ") ": state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt
	 * utime stime cutime cstime priority nice num_threads itrealvalue starttime vsize rss */
	got = sscanf(rp + 1,
		     " %c %d %*d %*d %*d %*d %u %*u %*u %*u %*u %llu %llu %*d %*d %*d %*d %*d %*d "
		     "%llu %llu %llu",
		     &state, &ppid, &flags, &utime, &stime, &start, &vsize, &rss);
	if (got < 6)
		return -EINVAL;
	tick = 1000000000ULL / (unsigned long long)ticks_per_sec;
	st->state = state;
	st->flags = flags;
	st->ppid = ppid;
	st->utime_ns = utime * tick;
	st->stime_ns = stime * tick;
	st->start_ns = start * tick;
	st->vsize = got == 8 ? vsize : 0;
	st->rss_pages = got == 8 ? rss : 0;
	return 0;
}

int procfs__stat(pid_t pid, struct proc_stat *st)
{
	char buf[1024];
	int err = procfs__read(pid, "stat", buf, sizeof(buf), NULL);

	if (err)
		return err;
	return procfs__parse_stat(buf, sysconf(_SC_CLK_TCK), st);
}

int procfs__arg1(pid_t pid, char *arg1, size_t sz, int *has_arg1)
{
	char buf[4096];
	size_t len, a0;
	int err = procfs__read(pid, "cmdline", buf, sizeof(buf), &len);

	if (err)
		return err;
	a0 = strnlen(buf, len);
	*has_arg1 = a0 + 1 < len;
	arg1[0] = '\0';
	if (*has_arg1)
		snprintf(arg1, sz, "%s", buf + a0 + 1);
	return 0;
}

int procfs_environ(pid_t pid, int (*cb)(const char *var, size_t len, void *ctx), void *ctx)
{
	char path[PATH_MAX], chunk[8192];
	/* environ can be large: scan it in chunks, holding at most one variable at a time */
	char *var = NULL;
	size_t var_len = 0, var_cap = 0;
	const size_t var_max = 64 * 1024;
	int fd, err = 0, stop = 0;

	snprintf(path, sizeof(path), "%s/%d/environ", proc_root, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (!stop) {
		ssize_t r = read(fd, chunk, sizeof(chunk));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		if (r == 0)
			break;
		for (ssize_t i = 0; i < r && !stop; i++) {
			if (chunk[i] != '\0') {
				/* a variable past var_max is cut there: its name, the part that
				 * matters, is at the front */
				if (var_len < var_max) {
					if (var_len + 1 >= var_cap) {
						size_t cap = var_cap ? var_cap * 2 : 256;
						char *p = realloc(var, cap);

						if (!p) {
							err = -ENOMEM;
							goto out;
						}
						var = p;
						var_cap = cap;
					}
					var[var_len++] = chunk[i];
				}
				continue;
			}
			if (var_len) {
				var[var_len] = '\0';
				stop = cb(var, var_len, ctx);
			}
			var_len = 0;
		}
	}
out:
	close(fd);
	free(var);
	return err;
}

struct getenv_req {
	const char *const *keys;
	char **out;
	size_t sz;
	int n;
	int found;
};

static int getenv_cb(const char *var, size_t len, void *ctx)
{
	struct getenv_req *r = ctx;

	for (int i = 0; i < r->n; i++) {
		size_t klen = strlen(r->keys[i]);

		if (len > klen && !memcmp(var, r->keys[i], klen) && var[klen] == '=') {
			if (!(r->found & (1 << i)))
				snprintf(r->out[i], r->sz, "%s", var + klen + 1);
			r->found |= 1 << i;
		}
	}
	return 0;
}

int procfs__getenv_many(pid_t pid, const char *const *keys, char **out, size_t sz, int n)
{
	struct getenv_req r = { .keys = keys, .out = out, .sz = sz, .n = n };
	int err;

	if (n > 31)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		out[i][0] = '\0';
	err = procfs_environ(pid, getenv_cb, &r);
	return err ? err : r.found;
}

int procfs__environ_getenv_many(const char *env, size_t len, const char *const *keys, char **out,
			size_t sz, int n)
{
	struct getenv_req r = { .keys = keys, .out = out, .sz = sz, .n = n };
	char var[4096];

	if (n > 31)
		return -EINVAL;
	for (int i = 0; i < n; i++)
		out[i][0] = '\0';
	/* a copy of each variable, NUL-ended: the last one may have been cut anywhere */
	for (size_t i = 0; i < len;) {
		const char *end = memchr(env + i, '\0', len - i);
		size_t vl = (end ? (size_t)(end - env) : len) - i;
		size_t cl = vl < sizeof(var) - 1 ? vl : sizeof(var) - 1;

		if (cl && end) {
			memcpy(var, env + i, cl);
			var[cl] = '\0';
			getenv_cb(var, cl, &r);
		}
		i += vl + 1;
	}
	return r.found;
}

int procfs__getenv(pid_t pid, const char *key, char *out, size_t sz)
{
	int found = procfs__getenv_many(pid, &key, &out, sz, 1);

	if (found < 0)
		return found;
	return found ? 0 : -ENOENT;
}

int procfs__exe(pid_t pid, char *out, size_t sz)
{
	char path[PATH_MAX];
	ssize_t n;
	const char *del = " (deleted)";
	size_t dl = strlen(del);

	snprintf(path, sizeof(path), "%s/%d/exe", proc_root, pid);
	n = readlink(path, out, sz - 1);
	if (n < 0)
		return -errno;
	out[n] = '\0';
	if ((size_t)n > dl && !strcmp(out + n - dl, del))
		out[n - dl] = '\0';
	return 0;
}

struct uts_req {
	int fd;
	char *out;
	size_t sz;
	int err;
};

/* setns(CLONE_NEWUTS) changes only the calling thread: do it on a throwaway thread */
static void *uts_thread(void *arg)
{
	struct uts_req *r = arg;
	struct utsname u;

	if (setns(r->fd, CLONE_NEWUTS) || uname(&u)) {
		r->err = -errno;
		return NULL;
	}
	snprintf(r->out, r->sz, "%s", u.nodename);
	return NULL;
}

int procfs__hostname(pid_t pid, char *out, size_t sz)
{
	char path[PATH_MAX];
	struct stat a, b;
	struct uts_req req = { .out = out, .sz = sz };
	pthread_t t;
	int err;

	snprintf(path, sizeof(path), "%s/%d/ns/uts", proc_root, pid);
	req.fd = open(path, O_RDONLY | O_CLOEXEC);
	if (req.fd < 0)
		return -errno;
	if (!fstat(req.fd, &a) && !stat("/proc/self/ns/uts", &b) && a.st_ino == b.st_ino &&
	    a.st_dev == b.st_dev) {
		close(req.fd);
		if (gethostname(out, sz))
			return -errno;
		out[sz - 1] = '\0';
		return 0;
	}
	err = pthread_create(&t, NULL, uts_thread, &req);
	if (!err)
		pthread_join(t, NULL);
	close(req.fd);
	return err ? -err : req.err;
}

int procfs_open_root(pid_t pid)
{
	char root[PATH_MAX];
	int fd;

	snprintf(root, sizeof(root), "%s/%d/root", proc_root, pid);
	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int procfs_open_in_root(int root_fd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (__u64)flags,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

int procfs__read_in_root(pid_t pid, const char *path, char *buf, size_t cap, size_t *len)
{
	struct stat st;
	int rfd, fd, err;

	rfd = procfs_open_root(pid);
	if (rfd < 0)
		return rfd;
	fd = procfs_open_in_root(rfd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	close(rfd);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		err = -errno;
	} else if (!S_ISREG(st.st_mode)) {
		err = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	} else if ((size_t)st.st_size >= cap) {
		err = -EFBIG;
	} else {
		err = read_fd(fd, buf, cap, len);
	}
	close(fd);
	return err;
}
