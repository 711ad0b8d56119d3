// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Each kind of runner's work folder from its own files, the paths made of them, the reading
 * of a folder's filesystem and when it counts as full
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <cmocka.h>
#include "ci/runner_file.h"
#include "ci/kinds/kinds.h"
#include "enrich/procfs.h"
#include "enrich/workfs.h"

static void check_path(const char *base, const char *rel, const char *want)
{
	char out[WORKDIR_LEN];

	assert_int_equal(workfs__path(base, rel, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void test_paths(void **unused)
{
	char small[8];

	(void)unused;
	check_path("/home/runner/actions-runner", "_work", "/home/runner/actions-runner/_work");
	check_path("/home/runner/actions-runner", "/mnt/work", "/mnt/work");
	check_path("/a/b/", "../c/./d//", "/a/c/d");
	check_path("/a", "../../..", "/");
	check_path("", "", "/");
	check_path("/", "", "/");
	check_path("relative/base", "x", "/relative/base/x");
	assert_int_equal(workfs__path("/", "a-long-name", small, sizeof(small)), -ENAMETOOLONG);
	assert_string_equal(small, "");
}

static void test_low(void **unused)
{
	struct workfs fs = { .size_bytes = 1000, .avail_bytes = 10, .files = 0, .files_free = 0 };

	(void)unused;
	/* below, not at: 1 % free of 1 % is not full */
	assert_false(workfs__low(&fs, 1));
	fs.avail_bytes = 9;
	assert_true(workfs__low(&fs, 1));
	assert_false(workfs__low(&fs, 0.5));
	assert_false(workfs__low(&fs, 0)); /* 0: never */
	fs.avail_bytes = 500;
	fs.files = 200;
	fs.files_free = 1; /* out of inodes: as full, for a job that wants a file */
	assert_true(workfs__low(&fs, 1));
	fs.files_free = 2;
	assert_false(workfs__low(&fs, 1));
	/* a filesystem with no figures says nothing */
	assert_false(workfs__low(&(struct workfs){ 0 }, 100));
}

/* read through our own root: a folder not made yet is its nearest parent's filesystem */
static void test_read_own(void **unused)
{
	char dir[] = "/tmp/rs-workfs-XXXXXX", deeper[64], file[64];
	struct workfs fs;
	struct statvfs want;
	FILE *f;

	(void)unused;
	assert_non_null(mkdtemp(dir));
	snprintf(deeper, sizeof(deeper), "%s/_work/not/yet", dir);
	assert_int_equal(workfs__read(getpid(), deeper, &fs), 0);
	assert_int_equal(statvfs(dir, &want), 0);
	assert_int_equal(fs.size_bytes, (uint64_t)want.f_blocks * want.f_frsize);
	assert_int_equal(fs.files, want.f_files);
	assert_true(fs.avail_bytes <= fs.size_bytes);
	/* a file where the folder should be is no folder */
	snprintf(file, sizeof(file), "%s/f", dir);
	f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(workfs__read(getpid(), file, &fs), -ENOTDIR);
	assert_int_equal(workfs__read(0x7ffffff0, "/", &fs), -ENOENT); /* no such process */
	unlink(file);
	rmdir(dir);
}

/*
 * A symlink planted in a runner's root resolves inside that root: here a process whose root
 * is a folder of ours (a procfs of our own making says so), whose _work links to /proc, and
 * which has a /proc folder of its own. Followed on the host, the link is procfs (no blocks),
 * and a path read outside the root is not there (its parent, /, is the host's filesystem);
 * inside, it is the folder's filesystem: /dev/shm's where that is another than /'s.
 */
static void test_read_stays_in_root(void **unused)
{
	char top[64], p[128], q[128];
	struct statvfs host, mine, slash;
	struct stat shm, root;
	struct workfs fs;
	static const char *const dirs[] = { "proc", "proc/4242", "root", "root/proc", "root/runner" };

	(void)unused;
	snprintf(top, sizeof(top), "%s/rs-root-XXXXXX",
		 !stat("/dev/shm", &shm) && !stat("/", &root) && shm.st_dev != root.st_dev ?
			 "/dev/shm" :
			 "/tmp");
	assert_non_null(mkdtemp(top));
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(p, sizeof(p), "%s/%s", top, dirs[i]);
		assert_int_equal(mkdir(p, 0755), 0);
	}
	snprintf(p, sizeof(p), "%s/proc/4242/root", top);
	snprintf(q, sizeof(q), "%s/root", top);
	assert_int_equal(symlink(q, p), 0);
	snprintf(p, sizeof(p), "%s/root/runner/_work", top);
	assert_int_equal(symlink("/proc", p), 0);
	assert_int_equal(statvfs(p, &host), 0);
	assert_int_equal(host.f_blocks, 0); /* followed from here: procfs */
	assert_int_equal(statvfs(top, &mine), 0);
	assert_int_equal(statvfs("/", &slash), 0);
	assert_true(mine.f_blocks > 0);

	snprintf(p, sizeof(p), "%s/proc", top);
	procfs__set_root(p);
	assert_int_equal(workfs__read(4242, "/runner/_work", &fs), 0);
	procfs__set_root("/proc");
	assert_int_equal(fs.size_bytes, (uint64_t)mine.f_blocks * mine.f_frsize);
	if (strncmp(top, "/dev/shm/", 9) == 0)
		assert_true(fs.size_bytes != (uint64_t)slash.f_blocks * slash.f_frsize);

	snprintf(p, sizeof(p), "rm -rf %s", top);
	assert_int_equal(system(p), 0);
}

/* github_workdir() and gitlab_workdir(): a file's text (or NULL) and the folder it is from */
static void check_in(int (*fn)(const char *, size_t, const char *, char *, size_t),
		     const char *text, const char *base, const char *want)
{
	char out[WORKDIR_LEN];

	assert_int_equal(fn(text, text ? strlen(text) : 0, base, out, sizeof(out)), 0);
	assert_string_equal(out, want);
}

static void check_github(const char *text, const char *root, const char *want)
{
	check_in(github_workdir, text, root, want);
}

static void test_github(void **unused)
{
	(void)unused;
	/* as config.sh writes it: a BOM, the default work folder */
	check_github("\xef\xbb\xbf{\n  \"agentName\": \"standard\",\n  \"workFolder\": \"_work\"\n}",
		     "/actions-runner", "/actions-runner/_work");
	check_github("{\"agentName\": \"x\", \"workFolder\": \"/mnt/disk/work\"}", "/r",
		     "/mnt/disk/work");
	check_github("{\"agentName\": \"x\", \"workFolder\": \"../shared\"}", "/opt/r",
		     "/opt/shared");
	/* none named, or no .runner at all: the runner's default */
	check_github("{\"agentName\": \"x\"}", "/r", "/r/_work");
	check_github(NULL, "/r", "/r/_work");
	check_github("not json", "/r", "/r/_work");
}

static void check_gitea(const char *text, const char *cwd, const char *home, const char *want)
{
	char out[WORKDIR_LEN];

	assert_int_equal(act_workdir(text, text ? strlen(text) : 0, cwd, home, out, sizeof(out)),
			 0);
	assert_string_equal(out, want);
}

static void test_gitea(void **unused)
{
	(void)unused;
	check_gitea("runner:\n  capacity: 2\nhost:\n  workdir_parent: /srv/act # host mode\n",
		    "/data", "/root", "/srv/act");
	check_gitea("host:\n  workdir_parent: 'work dir'\n", "/data", "/root", "/data/work dir");
	/* container.workdir_parent is inside the job containers: not the runner's */
	check_gitea("container:\n  workdir_parent: /ws\nhost:\n  other: 1\n", "/data", "/home/act",
		    "/home/act/.cache/act");
	check_gitea("host:\n  workdir_parent:\n", "/data", "/home/act", "/home/act/.cache/act");
	check_gitea(NULL, "/data", "/home/act", "/home/act/.cache/act");
	check_gitea(NULL, "/data", "", "/");
}

static void check_gitlab(const char *text, const char *cwd, const char *want)
{
	check_in(gitlab_workdir, text, cwd, want);
}

static void test_gitlab(void **unused)
{
	(void)unused;
	check_gitlab("concurrent = 2\n[[runners]]\n  name = \"shell\"\n  executor = \"shell\"\n"
		     "  builds_dir = \"/var/builds\"\n",
		     "/home/gitlab-runner", "/var/builds");
	check_gitlab("[[runners]]\n  executor = \"shell\"\n  builds_dir = 'b'\n", "/srv", "/srv/b");
	check_gitlab("[[runners]]\n  executor = \"shell\"\n", "/home/gitlab-runner",
		     "/home/gitlab-runner/builds");
	/* the docker executor builds in its containers' volumes */
	check_gitlab("[[runners]]\n  executor = \"docker\"\n  builds_dir = \"/builds\"\n", "/x", "/");
	/* only the first [[runners]] table's own keys */
	check_gitlab("[[runners]]\n  executor = \"docker\"\n[runners.docker]\n  executor = \"shell\"\n"
		     "[[runners]]\n  executor = \"shell\"\n",
		     "/x", "/");
	check_gitlab(NULL, "/x", "/");
}

static int env(void *ctx, const char *key, char *out, size_t sz)
{
	for (const char *const *kv = ctx; *kv; kv += 2)
		if (!strcmp(kv[0], key))
			return snprintf(out, sz, "%s", kv[1]) < (int)sz ? 0 : -ENAMETOOLONG;
	return -ENOENT;
}

static void check_buildkite(const char *raw, const char *want)
{
	static const char *const vars[] = { "HOME", "/var/lib/buildkite-agent", "DISK", "/mnt/d",
					    NULL };
	char out[WORKDIR_LEN];

	assert_int_equal(buildkite_workdir(raw, "/srv/agent", env, (void *)vars, out, sizeof(out)),
			 0);
	assert_string_equal(out, want);
}

static void test_buildkite(void **unused)
{
	char raw[64], big[WORKDIR_LEN + 8], out[WORKDIR_LEN];
	static const char cfg[] = "# The token\ntoken=\"xxx\"\nname=\"%hostname-%spawn\"\n"
				  "build-path=\"~/builds\"\nhooks-path=/etc/hooks # comment\n";

	(void)unused;
	check_buildkite("/var/lib/buildkite-agent/builds", "/var/lib/buildkite-agent/builds");
	check_buildkite("~/builds", "/var/lib/buildkite-agent/builds");
	check_buildkite("~", "/var/lib/buildkite-agent");
	check_buildkite("$DISK/builds", "/mnt/d/builds");
	check_buildkite("${DISK}x/b", "/mnt/dx/b");
	check_buildkite("$UNSET/b", "/b");
	check_buildkite("builds", "/srv/agent/builds");
	check_buildkite("~other/b", "/srv/agent/~other/b");
	assert_int_equal(config_kv_value(cfg, sizeof(cfg) - 1, "build-path", raw, sizeof(raw)), 0);
	assert_string_equal(raw, "~/builds");
	assert_int_equal(config_kv_value(cfg, sizeof(cfg) - 1, "hooks-path", raw, sizeof(raw)), 0);
	assert_string_equal(raw, "/etc/hooks");
	assert_int_equal(config_kv_value(cfg, sizeof(cfg) - 1, "build", raw, sizeof(raw)),
			 -ENOENT);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(buildkite_workdir(big, "/", env, (void *)(const char *[]){ NULL }, out,
					   sizeof(out)),
			 -ENAMETOOLONG);
}

static void test_config_values(void **unused)
{
	static const char yaml[] = "runner:\n  capacity: 3\n  labels:\n    - workdir_parent: no\n"
				   "host:\n  # a comment\n  workdir_parent: \"/a #b\" # c\n";
	char v[64];

	(void)unused;
	assert_int_equal(config_yaml_value(yaml, sizeof(yaml) - 1, "host", "workdir_parent", v,
					   sizeof(v)),
			 0);
	assert_string_equal(v, "/a #b");
	/* a deeper key of another section is not the section's own */
	assert_int_equal(config_yaml_value(yaml, sizeof(yaml) - 1, "runner", "workdir_parent", v,
					   sizeof(v)),
			 -ENOENT);
	assert_int_equal(config_yaml_value(yaml, sizeof(yaml) - 1, "hos", "workdir_parent", v,
					   sizeof(v)),
			 -ENOENT);
	assert_int_equal(config_yaml_value("x", RUNNER_FILE_MAX + 1, "host", "k", v, sizeof(v)),
			 -E2BIG);
	assert_int_equal(config_toml_runner("[[runners]]\n  builds_dirx = \"a\"\n", 33,
					    "builds_dir", v, sizeof(v)),
			 -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_paths),	   cmocka_unit_test(test_low),
		cmocka_unit_test(test_read_own),   cmocka_unit_test(test_read_stays_in_root),
		cmocka_unit_test(test_github),
		cmocka_unit_test(test_gitea),	   cmocka_unit_test(test_gitlab),
		cmocka_unit_test(test_buildkite),  cmocka_unit_test(test_config_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
