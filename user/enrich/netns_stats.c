// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A container's network namespace counters: /proc/<pid>/net/dev of one of its processes,
 * which shows the interfaces of that process's namespace. Opened for each read, never kept:
 * an open net/dev holds its namespace alive after the container is gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "enrich/netns_stats.h"
#include "enrich/procfs.h"

#define NETDEV_MAX (1 << 20) /* thousands of interfaces */

/* "<name>: <16 numbers>" with the name right-aligned; NULL-free, len bounded */
static int netdev_line(const char *s, const char *end, struct net_totals *t)
{
	const char *colon = memchr(s, ':', (size_t)(end - s));
	const char *name = s;
	uint64_t v[16];

	if (!colon)
		return -EINVAL;
	while (name < colon && *name == ' ')
		name++;
	if (name == colon)
		return -EINVAL;
	s = colon + 1;
	for (int i = 0; i < 16; i++) {
		uint64_t x = 0;
		const char *d;

		while (s < end && *s == ' ')
			s++;
		for (d = s; s < end && *s >= '0' && *s <= '9'; s++) {
			if (x > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
				return -EINVAL;
			x = x * 10 + (uint64_t)(*s - '0');
		}
		if (s == d || (s < end && *s != ' '))
			return -EINVAL;
		v[i] = x;
	}
	while (s < end && *s == ' ')
		s++;
	if (s != end)
		return -EINVAL;
	if (colon - name == 2 && !memcmp(name, "lo", 2))
		return 0;
	/* receive: bytes, packets, …; transmit from the ninth field: bytes, packets, … */
	if (t->bytes[NET_RECEIVE] + v[0] < v[0] || t->packets[NET_RECEIVE] + v[1] < v[1] ||
	    t->bytes[NET_TRANSMIT] + v[8] < v[8] || t->packets[NET_TRANSMIT] + v[9] < v[9])
		return -EINVAL;
	t->bytes[NET_RECEIVE] += v[0];
	t->packets[NET_RECEIVE] += v[1];
	t->bytes[NET_TRANSMIT] += v[8];
	t->packets[NET_TRANSMIT] += v[9];
	return 0;
}

int netns_stats_parse(const char *text, size_t len, struct net_totals *out)
{
	const char *s = text, *end = text + len;
	struct net_totals t = {};

	memset(out, 0, sizeof(*out));
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *eol = nl ? nl : end;
		int err;

		/* the two header lines: "Inter-|   Receive …" and " face |bytes …" */
		if (eol == s || memchr(s, '|', (size_t)(eol - s))) {
			s = eol + 1;
			continue;
		}
		err = netdev_line(s, eol, &t);
		if (err)
			return err;
		s = eol + 1;
	}
	*out = t;
	return 0;
}

/* the whole file, however long, up to NETDEV_MAX: a cut one would lose interfaces */
static char *read_all(int dfd, const char *name, size_t *len)
{
	size_t cap = 16384, n = 0;
	char *buf = malloc(cap), *nb;
	int fd = openat(dfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ssize_t r;

	if (fd < 0 || !buf)
		goto fail;
	for (;;) {
		if (n == cap) {
			if (cap >= NETDEV_MAX) {
				errno = EFBIG;
				goto fail;
			}
			nb = realloc(buf, cap * 2);
			if (!nb)
				goto fail;
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto fail;
		if (!r)
			break;
		n += (size_t)r;
	}
	close(fd);
	*len = n;
	return buf;
fail:
	r = errno;
	if (fd >= 0)
		close(fd);
	free(buf);
	errno = (int)r;
	return NULL;
}

/* path p (the process's) is the cgroup's own or one below it */
static int within(const char *p, const char *cg)
{
	size_t n = strlen(cg);

	return !strncmp(p, cg, n) && (p[n] == '\0' || p[n] == '/' || (n == 1 && cg[0] == '/'));
}

/* the process behind dfd is still one of the cgroup's: its pid was not reused */
static int in_cgroup(int dfd, const struct cgroup_paths *cg)
{
	char text[4096];
	struct cgroup_paths p;
	ssize_t n;
	int fd = openat(dfd, "cgroup", O_RDONLY | O_CLOEXEC), same = 0;
	const char *mine[] = { p.unified, p.cpuacct, p.cpu, p.memory, p.blkio, p.pids };
	const char *want[] = { cg->unified, cg->cpuacct, cg->cpu, cg->memory, cg->blkio, cg->pids };

	if (fd < 0)
		return 0;
	n = read(fd, text, sizeof(text));
	close(fd);
	if (n <= 0 || (size_t)n == sizeof(text) || cgroupfs_paths(text, (size_t)n, &p))
		return 0;
	for (size_t i = 0; i < sizeof(mine) / sizeof(mine[0]); i++) {
		if (!mine[i][0] || !want[i][0])
			continue;
		if (!within(mine[i], want[i]))
			return 0;
		same = 1;
	}
	return same;
}

int netns_stats_read(int pid, const struct cgroup_paths *cg, struct net_totals *out)
{
	char path[1100];
	struct stat host, ns;
	size_t len;
	char *text;
	int dfd, err;

	memset(out, 0, sizeof(*out));
	if (pid <= 0)
		return -ESRCH;
	/*
	 * the host's namespace is that of process 1; where even root may not look at it (an
	 * init that is not dumpable in a sandbox), runnerscope's own, which is the host's where
	 * it runs as documented (hostNetwork, or a host service)
	 */
	snprintf(path, sizeof(path), "%s/1/ns/net", procfs__root());
	if (stat(path, &host) && stat("/proc/self/ns/net", &host))
		return -errno;
	snprintf(path, sizeof(path), "%s/%d", procfs__root(), pid);
	dfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	if (fstatat(dfd, "ns/net", &ns, 0)) {
		err = errno == ENOENT ? -ESRCH : -errno;
		goto cleanup;
	}
	if (ns.st_dev == host.st_dev && ns.st_ino == host.st_ino) {
		err = -EEXIST;
		goto cleanup;
	}
	text = read_all(dfd, "net/dev", &len);
	if (!text) {
		err = errno == ENOENT ? -ESRCH : -errno;
		goto cleanup;
	}
	/* checked after the read: what was read is the cgroup's process's namespace */
	err = in_cgroup(dfd, cg) ? netns_stats_parse(text, len, out) : -ESRCH;
	free(text);
cleanup:
	close(dfd);
	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}
