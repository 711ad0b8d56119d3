/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Trees of files the unit tests make under /tmp (a cgroupfs, a /proc, a kubelet's log
 * links) and remove again. Included after <cmocka.h>: a file that cannot be made fails the
 * test.
 */
#ifndef RS_TEST_FILES_H
#define RS_TEST_FILES_H

#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* the file dir/name holding text, its directories made */
static inline void put_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	assert_true(snprintf(path, sizeof(path), "%s/%s", dir, name) < (int)sizeof(path));
	for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static inline int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	return remove(path);
}

/* rm -rf dir */
static inline void remove_tree(const char *dir)
{
	assert_int_equal(nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS), 0);
}

/* a runner pod's container's config.json, with what containerd's CRI plugin writes into it */
#define CRI_RUNNER_CONFIG                                                                          \
	"{\"annotations\":{\"io.kubernetes.cri.container-name\":\"runner\","                         \
	"\"io.kubernetes.cri.sandbox-name\":\"arc-pod\","                                            \
	"\"io.kubernetes.cri.sandbox-namespace\":\"arc\","                                           \
	"\"io.kubernetes.cri.image-name\":\"ghcr.io/actions/actions-runner:2\"}}"

#endif
