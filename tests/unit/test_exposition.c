// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The /metrics page of a fixed synthetic state and two containers, in both formats, against
 * the checked-in tests/unit/golden/metrics.txt and metrics.openmetrics.txt: a change of a
 * metric's name, type, help, labels or value shows in review. What differs from machine to
 * machine and run to run (the libbpf version, wall-clock times, this process's own process_*
 * series, the page's build time) is replaced by a placeholder first.
 *
 * After an intended change: RS_GOLDEN_UPDATE=1 build/tests/test_exposition, and review the
 * diff of the golden files.
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "files.h"
#include "enrich/cgroup_path.h"
#include "enrich/cgroupfs.h"
#include "enrich/containers.h"
#include "expo/expo.h"
#include "expo/metrics.h"
#include "state/state.h"
#include "mem_store.h"
#include "ci/kinds/kinds.h"

#define S 1000000000ULL
#define GOLDEN_DIR "tests/unit/golden/"

static struct mem_store mem;

/* a job of several processes (tgid 0) of a named runner, seen running, then ended */
static void job(struct state *s, int kind, const char *runner, int n, __u64 dur_ns, int status,
		__u64 cpu_ns, __u64 rss, __u32 ooms, int finish)
{
	struct rs_key key = { .tgid = 0, .start_ns = (1000 + (__u64)n) * S };
	struct rs_job rec = {
		.kind = (__u8)kind,
		.state = RS_STATE_RUNNING,
		.run_ns = cpu_ns / 2,
		.utime_ns = 3,
		.stime_ns = 1, /* three quarters user */
		.live_procs = 2,
		.total_procs = 3,
	};

	state__name_job(s, &key, kind, runner);
	state__job(s, &key, &rec, NULL, NULL, NULL);
	if (!finish)
		return;
	rec.state = RS_STATE_FINISHED;
	rec.run_ns = cpu_ns;
	rec.wait_ns = cpu_ns / 8;
	rec.live_procs = 0;
	rec.end_ns = key.start_ns + dur_ns;
	rec.exit_code = status;
	rec.max_rss = rss;
	rec.oom_kills = ooms;
	state__job(s, &key, &rec, NULL, NULL, NULL);
}

static struct state *synthetic_state(void)
{
	struct state_opts o = { .grace_ns = 300 * S, .cpu_wait = 1 };
	struct state *s = state__new(&o);

	assert_non_null(s);
	mem_init(&mem);
	state__set_store(s, &mem_ops, &mem);
	job(s, KIND_GITEA, "gitea-1", 1, 2 * S, 0, 4 * S, 50 << 20, 0, 1);
	job(s, KIND_GITEA, "gitea-1", 2, 95 * S, 1 << 8, 60 * S, 700 << 20, 1, 1);
	job(s, KIND_GITEA, "gitea-1", 3, 0, 0, 1 * S, 0, 0, 0); /* still running */
	job(s, KIND_GITLAB, "gitlab \"odd\" name\\", 4, 3600 * S, 9, 0, 3ULL << 30, 0, 1);
	/* a work filesystem read for one runner; the other's could not be: no such series */
	state__runner_fs(s, KIND_GITEA, "gitea-1",
			 &(struct workfs){ 64ULL << 20, 20ULL << 20, 16384, 16000 }, 0);
	state__runner_fs(s, KIND_GITLAB, "gitlab \"odd\" name\\", NULL, -EACCES);
	return s;
}

/* a runner's pod: the runner's container, and a service container of its job */
#define POD_UID "2f6c1e9a-3b4d-4c5e-8f70-a1b2c3d4e5f6"
#define RUNNER_ID "8d3c2b7f0e1a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"
#define SERVICE_ID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define POD_CGROUP "/kubepods/burstable/pod" POD_UID

/* what a cgroup2 directory of a container holds, as far as cgroup_stats.c reads it */
struct cgroup_text {
	const char *cpu_stat, *memory_current, *memory_stat, *memory_max, *memory_events;
	const char *cpu_pressure, *memory_pressure, *io_pressure;
	const char *io_stat, *pids_current, *pids_max;
};

static const struct cgroup_text runner_cgroup = {
	"usage_usec 64500000\nuser_usec 48375000\nsystem_usec 16125000\nnr_periods 1200\n"
	"nr_throttled 30\nthrottled_usec 2250000\n",
	"805306368\n",
	"anon 536870912\nfile 268435456\ninactive_file 201326592\nactive_file 67108864\n",
	"1073741824\n",
	"low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\noom_group_kill 0\n",
	"some avg10=1.25 avg60=0.80 avg300=0.31 total=2500000\n"
	"full avg10=0.90 avg60=0.51 avg300=0.20 total=1000000\n",
	"some avg10=0.00 avg60=0.02 avg300=0.01 total=125000\n"
	"full avg10=0.00 avg60=0.01 avg300=0.00 total=100000\n",
	"some avg10=0.12 avg60=0.33 avg300=0.10 total=750000\n"
	"full avg10=0.10 avg60=0.30 avg300=0.09 total=600000\n",
	/* two devices */
	"8:0 rbytes=104857600 wbytes=52428800 rios=2000 wios=800 dbytes=0 dios=0\n"
	"259:0 rbytes=1048576 wbytes=4194304 rios=16 wios=64 dbytes=0 dios=0\n",
	"37\n",
	"512\n",
};

/* unlimited, and OOM-killed twice before it went */
static const struct cgroup_text service_cgroup = {
	"usage_usec 3000000\nuser_usec 2000000\nsystem_usec 1000000\nnr_periods 0\n"
	"nr_throttled 0\nthrottled_usec 0\n",
	"134217728\n",
	"anon 100663296\nfile 25165824\ninactive_file 16777216\nactive_file 8388608\n",
	"max\n",
	"low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\noom_group_kill 0\n",
	"some avg10=0.00 avg60=0.00 avg300=0.00 total=40000\n"
	"full avg10=0.00 avg60=0.00 avg300=0.00 total=20000\n",
	"some avg10=3.10 avg60=1.20 avg300=0.40 total=300000\n"
	"full avg10=2.00 avg60=0.90 avg300=0.30 total=250000\n",
	"some avg10=0.00 avg60=0.00 avg300=0.00 total=5000\n"
	"full avg10=0.00 avg60=0.00 avg300=0.00 total=4000\n",
	/* no I/O accounted yet: absent; no pids limit */
	"",
	"3\n",
	"max\n",
};

static void put_cgroup(const char *root, const char *id, const struct cgroup_text *t)
{
	const char *files[][2] = {
		{ "cpu.stat", t->cpu_stat },
		{ "memory.current", t->memory_current },
		{ "memory.stat", t->memory_stat },
		{ "memory.max", t->memory_max },
		{ "memory.events", t->memory_events },
		{ "cpu.pressure", t->cpu_pressure },
		{ "memory.pressure", t->memory_pressure },
		{ "io.pressure", t->io_pressure },
		{ "io.stat", t->io_stat },
		{ "pids.current", t->pids_current },
		{ "pids.max", t->pids_max },
	};
	char dir[512];

	snprintf(dir, sizeof(dir), "%s" POD_CGROUP "/%s", root, id);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		put_file(dir, files[i][0], files[i][1]);
}

/* a container found as the daemon finds one: from a process's /proc/<pid>/cgroup */
static void track(struct containers *c, const char *id)
{
	char text[256];
	struct container_ref ref;
	struct cgroup_paths paths;
	struct container_names names;
	int len = snprintf(text, sizeof(text), "0::" POD_CGROUP "/%s\n", id);

	assert_true(cgroup_path_file_container(text, (size_t)len, &ref));
	assert_int_equal(cgroupfs_paths(text, (size_t)len, &paths), 0);
	containers__names(c, &ref, &paths, &names);
	assert_string_equal(names.pod, "arc-runner-x7k2p");
}

/*
 * Two containers of a runner's pod, read from a cgroup2 tree and kubelet's log links made for
 * them and removed again: the runner's, and a service container of its job whose cgroup went
 * after one read, within the grace period. The service container is the runner's through the
 * pod. The page shows what the reads left of them: rendering reads no file.
 */
static struct containers *synthetic_containers(void)
{
	char tmp[] = "/tmp/rs-exposition-XXXXXX", root[64], logs[64], cmd[512];
	struct containers_opts o = { .grace_ns = 300 * S, .cpu_wait = 1 };
	struct containers *c;
	struct container *x;
	int n = 0, wrong = 0;

	assert_non_null(mkdtemp(tmp));
	snprintf(root, sizeof(root), "%s/cgroup", tmp);
	snprintf(logs, sizeof(logs), "%s/logs", tmp);
	put_file(root, "cgroup.controllers", "cpu io memory pids\n");
	put_cgroup(root, RUNNER_ID, &runner_cgroup);
	put_cgroup(root, SERVICE_ID, &service_cgroup);
	put_file(logs, "arc-runner-x7k2p_ci_runner-" RUNNER_ID ".log", "");
	put_file(logs, "arc-runner-x7k2p_ci_postgres-" SERVICE_ID ".log", "");
	o.cgroup_root = root;
	o.kubelet_log_dir = logs;
	c = containers__new(&o);
	if (c) {
		track(c, RUNNER_ID);
		track(c, SERVICE_ID);
		containers__set_runner(c, RUNNER_ID, KIND_GITEA, "gitea-1");
		containers__refresh(c);
		snprintf(cmd, sizeof(cmd), "rm -r %s" POD_CGROUP "/" SERVICE_ID, root);
		if (!system(cmd))
			containers__refresh(c);
	}
	remove_tree(tmp);
	assert_non_null(c);

	/* the service container gone, the runner's not */
	containers__lock(c);
	for (x = containers__list(c); x; x = x->hh.next, n++)
		wrong += !!x->gone_ns != !strcmp(x->id, SERVICE_ID);
	containers__unlock(c);
	assert_int_equal(n, 2);
	assert_int_equal(wrong, 0);
	return c;
}

/* the run-dependent parts of a page, made placeholders */
static char *normalize(const char *page)
{
	size_t cap = strlen(page) + 1;
	char *out = malloc(cap), *o = out;
	const char *line = page;

	assert_non_null(out);
	while (*line) {
		const char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
		const char *v;

		/* our own process: another process, other numbers */
		if (strstr(line, "process_") == line ||
		    (line[0] == '#' && len > 8 && strstr(line, " process_") &&
		     strstr(line, " process_") < line + len)) {
			line += len;
			continue;
		}
		memcpy(o, line, len);
		o[len] = '\0';
		if ((v = strstr(o, "libbpf_version=\""))) {
			char *q = strchr(v + 16, '"');

			memmove((char *)v + 17, q, strlen(q) + 1);
			((char *)v)[16] = 'X';
		}
		if (o[0] != '#' && (strstr(o, "_start_time_seconds") ||
				    strstr(o, "scrape_duration_seconds"))) {
			char *sp = strrchr(o, ' ');

			if (sp)
				strcpy(sp, " <varies>\n");
		}
		o += strlen(o);
		line += len;
	}
	*o = '\0';
	return out;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* the first line that differs, for the failure message */
static void first_difference(const char *want, const char *got)
{
	int line = 1;

	while (*want && *want == *got) {
		line += *want == '\n';
		want++;
		got++;
	}
	while (line > 1 && want[-1] != '\n') {
		want--;
		got--;
	}
	fail_msg("line %d differs from the golden file:\n  want: %.*s\n  got:  %.*s", line,
		 (int)strcspn(want, "\n"), want, (int)strcspn(got, "\n"), got);
}

static void check(enum expo_format fmt, const char *golden)
{
	struct state *s = synthetic_state();
	struct metrics_src src = { .state = s, .version = "0.0.0", .revision = "golden" };
	struct buf b;
	char *got, *want;

	src.containers = synthetic_containers();
	buf_init(&b);
	b.fmt = fmt;
	metrics__render_tail(&b, &src, metrics__render_page(&b, &src, 0));
	assert_false(b.oom);
	got = normalize(b.p);
	if (getenv("RS_GOLDEN_UPDATE")) {
		FILE *f = fopen(golden, "we");

		assert_non_null(f);
		fputs(got, f);
		fclose(f);
	}
	want = slurp(golden);
	if (!want)
		fail_msg("%s is missing: RS_GOLDEN_UPDATE=1 %s writes it", golden,
			 "build/tests/test_exposition");
	if (strcmp(want, got))
		first_difference(want, got);
	free(want);
	free(got);
	buf_free(&b);
	containers__free(src.containers);
	state__free(s);
}

static void test_text(void **unused)
{
	(void)unused;
	check(EXPO_TEXT, GOLDEN_DIR "metrics.txt");
}

static void test_openmetrics(void **unused)
{
	(void)unused;
	check(EXPO_OPENMETRICS, GOLDEN_DIR "metrics.openmetrics.txt");
}

/*
 * No cgroup file kept open between reads (cgroupfs.h: up to half the soft file limit, less a
 * margin): a removed directory then reads as gone, as a removed cgroup does on cgroupfs, where
 * a kept file's read fails. Before the first read: the budget is worked out once.
 */
static int keep_no_cgroup_files(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -1;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur <= 256)
		return 0;
	rl.rlim_cur = 256;
	return setrlimit(RLIMIT_NOFILE, &rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_openmetrics),
	};

	if (keep_no_cgroup_files()) {
		perror("setrlimit");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
