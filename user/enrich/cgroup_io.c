// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A cgroup's block I/O and pids: the parsers of their files and the readers cgroup_stats.c
 * calls for each hierarchy that has them.
 *
 *   v1 blkio   blkio.throttle.io_service_bytes_recursive, blkio.throttle.io_serviced_recursive
 *              (kernels older than 4.16 have no _recursive: then the cgroup's own)
 *   cgroup2    io.stat
 *   both       pids.current, pids.max
 *
 * v1 counts a device's I/O in the throttle files only once throttling was set up for that
 * device (any blkio.throttle.*_device limit, even one never reached): until then the files
 * list no device and the container's I/O is absent, not 0.
 */
#include <errno.h>
#include <string.h>
#include "enrich/cgroup_io.h"
#include "enrich/cgroupfs_priv.h"

/* decimal digits from *s up to end or a non-digit; *s moves past them. 0, or -EINVAL */
static int digits(const char **s, const char *end, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;

	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		unsigned int d = (unsigned int)(*p - '0');

		if (x > (UINT64_MAX - d) / 10)
			return -EINVAL;
		x = x * 10 + d;
	}
	if (p == *s)
		return -EINVAL;
	*s = p;
	*v = x;
	return 0;
}

static int add(uint64_t *sum, uint64_t v)
{
	if (*sum + v < *sum)
		return -EINVAL;
	*sum += v;
	return 0;
}

/* "<maj>:<min>" up to a space: 0 and *s past it, -EINVAL */
static int device(const char **s, const char *end)
{
	uint64_t v;

	if (digits(s, end, &v) || *s == end || **s != ':')
		return -EINVAL;
	(*s)++;
	if (digits(s, end, &v) || *s == end || **s != ' ')
		return -EINVAL;
	(*s)++;
	return 0;
}

/* the next line of [*s, end) without its newline; 0 when there is none left */
static int next_line(const char **s, const char *end, const char **line, const char **eol)
{
	const char *nl;

	if (*s >= end)
		return 0;
	nl = memchr(*s, '\n', (size_t)(end - *s));
	*line = *s;
	*eol = nl ? nl : end;
	*s = nl ? nl + 1 : end;
	return 1;
}

int cgroup_io_stat_parse(const char *text, size_t len, struct io_totals *out)
{
	static const char *const keys[] = { "rbytes=", "wbytes=", "rios=", "wios=" };
	const char *s = text, *end = text + len, *line, *eol;
	struct io_totals t = {};
	int devices = 0;

	memset(out, 0, sizeof(*out));
	while (next_line(&s, end, &line, &eol)) {
		if (line == eol)
			continue;
		if (device(&line, eol))
			return -EINVAL;
		devices++;
		/* key=value fields; those of io.cost and io.latency are not numbers */
		while (line < eol) {
			const char *sp = memchr(line, ' ', (size_t)(eol - line));
			const char *f_end = sp ? sp : eol;

			for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
				size_t kl = strlen(keys[k]);
				uint64_t v, *sum = k < 2 ? &t.bytes[k] : &t.ops[k - 2];
				const char *p = line + kl;

				if ((size_t)(f_end - line) < kl || memcmp(line, keys[k], kl))
					continue;
				if (digits(&p, f_end, &v) || p != f_end || add(sum, v))
					return -EINVAL;
			}
			line = sp ? sp + 1 : eol;
		}
	}
	if (!devices)
		return -ENOENT;
	*out = t;
	return 0;
}

int cgroup_io_blkio_parse(const char *text, size_t len, uint64_t out[2])
{
	const char *s = text, *end = text + len, *line, *eol;
	uint64_t t[2] = {};
	int devices = 0;

	out[0] = out[1] = 0;
	while (next_line(&s, end, &line, &eol)) {
		const char *p;
		uint64_t v;
		int dir;

		/* the total of every device */
		if (line == eol || (eol - line >= 6 && !memcmp(line, "Total ", 6)))
			continue;
		if (device(&line, eol))
			return -EINVAL;
		devices++;
		p = memchr(line, ' ', (size_t)(eol - line));
		if (!p)
			return -EINVAL;
		if (p - line == 4 && !memcmp(line, "Read", 4))
			dir = 0;
		else if (p - line == 5 && !memcmp(line, "Write", 5))
			dir = 1;
		else
			dir = -1;
		p++;
		if (digits(&p, eol, &v) || p != eol)
			return -EINVAL;
		if (dir >= 0 && add(&t[dir], v))
			return -EINVAL;
	}
	if (!devices)
		return -ENOENT;
	out[0] = t[0];
	out[1] = t[1];
	return 0;
}

int cgroup_io_pids_parse(const char *text, size_t len, uint64_t *v)
{
	const char *p = text, *end = text + len;

	if (len == 4 && !memcmp(text, "max\n", 4))
		return -ERANGE;
	if (digits(&p, end, v) || end - p != 1 || *p != '\n')
		return -EINVAL;
	return 0;
}

/* two throttle files of one kind: the hierarchical one where the kernel has it */
static int blkio_file(const struct cgroupfs_dir *d, const char *recursive, const char *own,
		      uint64_t out[2])
{
	char buf[32768]; /* six lines a device */
	ssize_t n = cgroupfs_dir_read(d, recursive, buf, sizeof(buf));

	if (n == -ENOENT)
		n = cgroupfs_dir_read(d, own, buf, sizeof(buf));
	return n < 0 ? (int)n : cgroup_io_blkio_parse(buf, (size_t)n, out);
}

void cgroup_io_v1(const struct cgroupfs_dir *d, struct container_stats *st)
{
	uint64_t bytes[2], ops[2];

	if (blkio_file(d, "blkio.throttle.io_service_bytes_recursive",
		       "blkio.throttle.io_service_bytes", bytes) ||
	    blkio_file(d, "blkio.throttle.io_serviced_recursive", "blkio.throttle.io_serviced",
		       ops))
		return;
	memcpy(st->io_bytes, bytes, sizeof(bytes));
	memcpy(st->io_ops, ops, sizeof(ops));
	st->have |= CG_IO;
}

void cgroup_io_v2(const struct cgroupfs_dir *d, struct container_stats *st)
{
	char buf[32768];
	struct io_totals t;
	ssize_t n = cgroupfs_dir_read(d, "io.stat", buf, sizeof(buf));

	if (n < 0 || cgroup_io_stat_parse(buf, (size_t)n, &t))
		return;
	memcpy(st->io_bytes, t.bytes, sizeof(t.bytes));
	memcpy(st->io_ops, t.ops, sizeof(t.ops));
	st->have |= CG_IO;
}

void cgroup_io_pids(const struct cgroupfs_dir *d, struct container_stats *st)
{
	char buf[64];
	ssize_t n = cgroupfs_dir_read(d, "pids.current", buf, sizeof(buf));

	if (n < 0 || cgroup_io_pids_parse(buf, (size_t)n, &st->pids))
		return;
	st->have |= CG_PIDS;
	n = cgroupfs_dir_read(d, "pids.max", buf, sizeof(buf));
	if (n >= 0 && !cgroup_io_pids_parse(buf, (size_t)n, &st->pids_limit))
		st->have |= CG_PIDS_LIMIT;
}
