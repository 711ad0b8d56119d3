// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The files of the web config: the config itself, and the PEM files it names */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "web/webconfig_priv.h"

char *webconfig_read_file(const char *path)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t r = 0;
	int fd, err = 0;

	/* O_NONBLOCK: a FIFO named here must not hang start-up */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st)) {
		err = errno;
	} else if (S_ISDIR(st.st_mode)) {
		err = EISDIR;
	} else if (!S_ISREG(st.st_mode) || st.st_size > WEBCONFIG_MAX) {
		err = EFBIG; /* or not a file at all: either way, not one to read */
	} else if (!(buf = malloc((size_t)st.st_size + 1))) {
		err = ENOMEM;
	} else {
		while (len < (size_t)st.st_size &&
		       (r = read(fd, buf + len, (size_t)st.st_size - len)) > 0)
			len += (size_t)r;
		if (r < 0)
			err = errno;
		else if (len != (size_t)st.st_size || memchr(buf, '\0', len))
			err = EINVAL; /* it changed under us, or it is binary */
		buf[len] = '\0';
	}
	close(fd);
	if (err) {
		free(buf);
		errno = err;
		return NULL;
	}
	return buf;
}

const char *webconfig_read_error(int err)
{
	return err == EFBIG ? "not a regular file of at most 1 MiB" :
	       err == EINVAL ? "binary or changing while read" : strerror(err);
}

char *webconfig_read_pem(struct webconfig_doc *x, const yaml_node_t *n, const char *key)
{
	const char *path = webconfig_scalar(n);
	char full[4096];
	char *text;

	if (!path || !*path) {
		webconfig_fail(x, n, "%s: want a file name", key);
		return NULL;
	}
	if (path[0] == '/' || !x->dir)
		snprintf(full, sizeof(full), "%s", path);
	else
		snprintf(full, sizeof(full), "%s/%s", x->dir, path);
	text = webconfig_read_file(full);
	if (!text)
		webconfig_fail(x, n, "%s: cannot read %s: %s", key, full,
			       webconfig_read_error(errno));
	return text;
}
