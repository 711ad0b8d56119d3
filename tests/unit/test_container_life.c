// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * A container's life as the kernel's cgroup records tell it (enrich/container_life.c): its
 * cgroups made and removed in each hierarchy, its final figures, a container made again under
 * its id, and the lifecycle counters (enrich/container_counts.c), counted once each, kept in a
 * store that outlives the daemon (in memory here, as the pinned maps ctr_counts and ctr_acct
 * are in the daemon).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "enrich/containers.h"
#include "files.h"
#include "ci/kinds/kinds.h"

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define ID_C "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
/* a hybrid host's /proc/cgroups: cpuacct on hierarchy 2, memory on 4 */
#define PROC_CGROUPS                                                                               \
	"#subsys_name\thierarchy\tnum_cgroups\tenabled\n"                                          \
	"cpu\t1\t1\t1\ncpuacct\t2\t1\t1\nmemory\t4\t17\t1\npids\t8\t1\t1\n"

/* the store, in memory: a few label sets and container ids */
#define SLOTS 8
struct store {
	int n_counts, n_acct;
	struct rs_ctr_labels labels[SLOTS];
	struct rs_ctr_count counts[SLOTS];
	int acct_used[SLOTS];
	struct rs_ctr_id ids[SLOTS];
	struct rs_ctr_acct acct[SLOTS];
	uint64_t record_wait; /* what the cpuacct cgroup's record says of its threads' wait */
};

static int count_at(struct store *s, const struct rs_ctr_labels *k)
{
	for (int i = 0; i < s->n_counts; i++)
		if (!memcmp(&s->labels[i], k, sizeof(*k)))
			return i;
	return -1;
}

static int count_get(void *ctx, const struct rs_ctr_labels *k, struct rs_ctr_count *v)
{
	struct store *s = ctx;
	int i = count_at(s, k);

	if (i < 0)
		return -ENOENT;
	*v = s->counts[i];
	return 0;
}

static int count_put(void *ctx, const struct rs_ctr_labels *k, const struct rs_ctr_count *v)
{
	struct store *s = ctx;
	int i = count_at(s, k);

	if (i < 0) {
		if (s->n_counts == SLOTS)
			return -E2BIG;
		i = s->n_counts++;
		s->labels[i] = *k;
	}
	s->counts[i] = *v;
	return 0;
}

static int count_next(void *ctx, const struct rs_ctr_labels *k, struct rs_ctr_labels *next)
{
	struct store *s = ctx;
	int i = k ? count_at(s, k) + 1 : 0;

	if (i >= s->n_counts)
		return -ENOENT;
	*next = s->labels[i];
	return 0;
}

static int acct_at(struct store *s, const struct rs_ctr_id *id)
{
	for (int i = 0; i < s->n_acct; i++)
		if (s->acct_used[i] && !memcmp(&s->ids[i], id, sizeof(*id)))
			return i;
	return -1;
}

static int acct_get(void *ctx, const struct rs_ctr_id *id, struct rs_ctr_acct *v)
{
	struct store *s = ctx;
	int i = acct_at(s, id);

	if (i < 0)
		return -ENOENT;
	*v = s->acct[i];
	return 0;
}

static int acct_put(void *ctx, const struct rs_ctr_id *id, const struct rs_ctr_acct *v)
{
	struct store *s = ctx;
	int i = acct_at(s, id);

	if (i < 0) {
		if (s->n_acct == SLOTS)
			return -E2BIG;
		i = s->n_acct++;
		s->ids[i] = *id;
		s->acct_used[i] = 1;
	}
	s->acct[i] = *v;
	return 0;
}

static int acct_del(void *ctx, const struct rs_ctr_id *id)
{
	struct store *s = ctx;
	int i = acct_at(s, id);

	if (i < 0)
		return -ENOENT;
	s->acct_used[i] = 0;
	return 0;
}

/* the cpuacct cgroup's record (hierarchy 2); the memory one's says 0 */
static int cg_wait(void *ctx, const struct rs_cg_key *key, int live, uint64_t *wait_ns)
{
	struct store *s = ctx;

	(void)live;
	*wait_ns = key->hier == 2 ? s->record_wait : 0;
	return 0;
}

static const struct containers_store_ops ops = {
	.count_get = count_get, .count_put = count_put, .count_next = count_next,
	.acct_get = acct_get,	.acct_put = acct_put,	.acct_del = acct_del,
	.cg_wait = cg_wait,
};

static char root[64];

/* a hybrid host's v1 cpuacct and memory mounts, under a directory of the test's own */
static int setup(void **state)
{
	char path[128];
	const char *dirs[] = { "cpuacct", "memory" };
	const char *markers[] = { "cpuacct/cpuacct.usage", "memory/memory.usage_in_bytes" };
	FILE *f;

	(void)state;
	snprintf(root, sizeof(root), "/tmp/rs-container-life-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
		mkdir(path, 0755);
		snprintf(path, sizeof(path), "%s/%s", root, markers[i]);
		f = fopen(path, "w");
		if (!f)
			return -1;
		fputs("0\n", f);
		fclose(f);
	}
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd);
}

static struct containers *make(struct store *s)
{
	struct containers_opts o = { .cgroup_root = root, .grace_ns = 60000000000ULL,
				     .proc_cgroups = PROC_CGROUPS, .all = 1 };
	struct containers *c = containers__new(&o);

	assert_non_null(c);
	if (s)
		containers__set_store(c, &ops, s);
	return c;
}

static struct container_ref ref_of(const char *id)
{
	struct container_ref r = { .runtime = RUNTIME_DOCKER };

	memcpy(r.id, id, sizeof(r.id));
	return r;
}

/* the cgroup of hierarchy hier (2: cpuacct, 4: memory) with that id, made or removed */
static int cg(struct containers *c, const char *id, __u32 hier, __u64 cgid,
	      const struct rs_cg_final *fin)
{
	struct container_ref r = ref_of(id);
	struct container_cgroup x = { .key = { .id = cgid, .hier = hier },
				      .path = "/docker/x",
				      .removed = fin != NULL,
				      .tasks = 0,
				      .fin = fin };

	return containers__cgroup(c, &r, &x);
}

static struct container *find(struct containers *c, const char *id)
{
	for (struct container *x = containers__list(c); x; x = x->hh.next)
		if (!strcmp(x->id, id))
			return x;
	return NULL;
}

/* created and removed under labels: runtime docker, and kind/runner/role when given */
static struct rs_ctr_count counted(struct containers *c, int kind, const char *runner,
				   const char *role)
{
	struct rs_ctr_count n = {};

	for (struct container_count *k = containers__counts(c); k; k = k->hh.next)
		if (k->labels.runtime == RUNTIME_DOCKER && (int)k->labels.kind == kind &&
		    !strcmp(k->labels.runner, runner) && !strcmp(k->labels.role, role))
			n = k->n;
	return n;
}

static const struct rs_cg_final cpu_fin = {
	.cpu_usage_ns = 300000000, .cpu_user_ns = 200, .cpu_system_ns = 100, .have = RS_CGF_CPU
};
static const struct rs_cg_final mem_fin = {
	.mem_peak = 64 << 20, .oom_kills = 2, .have = RS_CGF_MEMORY
};

/* made in two hierarchies, removed in both: its figures are what each removal said */
static void test_final_values(void **state)
{
	struct containers *c = make(NULL);
	struct container *x;

	(void)state;
	assert_int_equal(cg(c, ID_A, 2, 100, NULL), CONTAINER_MADE);
	assert_int_equal(cg(c, ID_A, 4, 200, NULL), 0);
	/* the first removal makes it gone; the second adds the memory controller's figures */
	assert_int_equal(cg(c, ID_A, 2, 100, &cpu_fin), CONTAINER_GONE);
	assert_int_equal(cg(c, ID_A, 4, 200, &mem_fin), 0);
	x = find(c, ID_A);
	assert_non_null(x);
	assert_true(x->gone_ns > 0);
	/* the measured usage split by the sampled times: 2 to 1 */
	assert_int_equal(x->cpu_user_ns, 200000000);
	assert_int_equal(x->cpu_system_ns, 100000000);
	assert_int_equal(x->mem_peak, 64 << 20);
	assert_int_equal(x->oom_kills, 2);
	containers__free(c);
}

/*
 * A pass that finds a followed container's files gone, before its rmdir's record is taken
 * (the kernel removed the cgroup a moment ago): it is not gone yet, so that it is counted
 * removed with the final figures its rmdir brings, not without them
 */
static void test_files_gone_before_the_rmdir(void **state)
{
	struct containers *c = make(NULL);
	struct container_ref r = ref_of(ID_A);
	/* told of with a task in it; its directories are gone when the pass reads it */
	struct container_cgroup live = { .key = { .id = 100, .hier = 2 },
					 .path = "/docker/" ID_A,
					 .tasks = 1 };
	struct container *x;

	(void)state;
	assert_int_equal(containers__cgroup(c, &r, &live), CONTAINER_MADE);
	containers__refresh(c);
	x = find(c, ID_A);
	assert_non_null(x);
	assert_int_equal(x->gone_ns, 0);
	assert_int_equal(counted(c, 0, "", "").removed, 0);
	/* its rmdir: gone now, with what its cgroup said at the end */
	assert_int_equal(cg(c, ID_A, 2, 100, &cpu_fin), CONTAINER_GONE);
	assert_true(x->gone_ns > 0);
	assert_int_equal(x->cpu_user_ns, 200000000);
	assert_int_equal(counted(c, 0, "", "").removed, 1);
	containers__free(c);
}

/* created and removed once each, whatever order its hierarchies' records come in */
static void test_counted_once(void **state)
{
	struct containers *c = make(NULL);
	struct rs_ctr_count n;

	(void)state;
	/* its mkdir unseen: the first record is a removal */
	assert_int_equal(cg(c, ID_A, 4, 200, &mem_fin), CONTAINER_MADE | CONTAINER_GONE);
	assert_int_equal(cg(c, ID_A, 2, 100, &cpu_fin), 0);
	cg(c, ID_B, 2, 101, NULL);
	cg(c, ID_B, 4, 201, NULL);
	containers__set_job(c, ID_B, KIND_GITHUB, "standard", "action");
	cg(c, ID_B, 2, 101, &cpu_fin);
	cg(c, ID_B, 4, 201, &mem_fin);
	n = counted(c, 0, "", "");
	assert_int_equal(n.created, 1);
	assert_int_equal(n.removed, 1);
	n = counted(c, KIND_GITHUB, "standard", "action");
	assert_int_equal(n.created, 1);
	assert_int_equal(n.removed, 1);
	containers__free(c);
}

/* counted under what it was known by when counted created; its removal under the same */
static void test_labels_of_creation(void **state)
{
	struct containers *c = make(NULL);
	struct rs_ctr_count n;

	(void)state;
	cg(c, ID_A, 2, 100, NULL);
	containers__set_job(c, ID_A, KIND_GITEA, "gitea-1", "job");
	/* known as something else later (a runner started in it): no new label set */
	containers__set_runner(c, ID_A, KIND_GITHUB, "later");
	cg(c, ID_A, 2, 100, &cpu_fin);
	n = counted(c, KIND_GITEA, "gitea-1", "job");
	assert_int_equal(n.created, 1);
	assert_int_equal(n.removed, 1);
	n = counted(c, KIND_GITHUB, "later", "");
	assert_int_equal(n.created + n.removed, 0);
	containers__free(c);
}

/*
 * Those the start-up walk found are counted at once, under what is known of them then (the
 * first scrape has them); one counted before is not counted again, nor is one made later
 * before it settles
 */
static void test_known_at_startup(void **state)
{
	struct containers *c = make(NULL);
	struct rs_ctr_count n;

	(void)state;
	cg(c, ID_A, 2, 100, NULL);
	cg(c, ID_B, 2, 101, NULL);
	containers__set_job(c, ID_B, KIND_GITEA, "gitea-1", "job");
	assert_int_equal(counted(c, 0, "", "").created, 0);
	containers__count_known(c);
	n = counted(c, 0, "", "");
	assert_int_equal(n.created, 1);
	assert_int_equal(n.removed, 0);
	assert_int_equal(counted(c, KIND_GITEA, "gitea-1", "job").created, 1);
	containers__count_known(c);
	assert_int_equal(counted(c, 0, "", "").created, 1);
	/* made since: it settles for a second first, its job may still be told */
	cg(c, ID_C, 2, 102, NULL);
	containers__refresh(c);
	assert_int_equal(counted(c, 0, "", "").created, 1);
	/* A's removal under the labels it was counted by */
	cg(c, ID_A, 2, 100, &cpu_fin);
	n = counted(c, 0, "", "");
	assert_int_equal(n.created, 1);
	assert_int_equal(n.removed, 1);
	containers__free(c);
}

/* made again under its id (docker restart): counted again, and its counters go on */
static void test_made_again(void **state)
{
	struct containers *c = make(NULL);
	struct rs_cg_final second = cpu_fin;
	struct rs_ctr_count n;
	struct container *x;

	(void)state;
	cg(c, ID_A, 2, 100, NULL);
	cg(c, ID_A, 2, 100, &cpu_fin);
	assert_int_equal(cg(c, ID_A, 2, 150, NULL), CONTAINER_MADE);
	x = find(c, ID_A);
	assert_int_equal(x->gone_ns, 0);
	/* the new instance's own count starts from 0: 60 ms, 40 user to 20 system */
	second.cpu_usage_ns = 60000000;
	second.cpu_user_ns = 40;
	second.cpu_system_ns = 20;
	cg(c, ID_A, 2, 150, &second);
	x = find(c, ID_A);
	assert_int_equal(x->cpu_user_ns, 200000000 + 40000000);
	assert_int_equal(x->cpu_system_ns, 100000000 + 20000000);
	n = counted(c, 0, "", "");
	assert_int_equal(n.created, 2);
	assert_int_equal(n.removed, 2);
	/* a new cgroup in a hierarchy where it has one there still: its rmdir went unseen, and
	 * that instance is counted created and removed; the new one once it settles */
	cg(c, ID_B, 2, 300, NULL);
	assert_int_equal(cg(c, ID_B, 2, 301, NULL), CONTAINER_MADE);
	n = counted(c, 0, "", "");
	assert_int_equal(n.created, 3);
	assert_int_equal(n.removed, 3);
	assert_int_equal(find(c, ID_B)->counted, CONTAINER_UNCOUNTED);
	containers__free(c);
}

/*
 * Gone with its first rmdir, then a cgroup of it in a hierarchy it had none in (its mkdir went
 * untold, the walk found it): the same instance's, whose rmdir adds its figures; counted once.
 * A new instance once a removed hierarchy has its directory there again (a restart).
 */
static void test_a_cgroup_whose_mkdir_went_untold(void **state)
{
	struct containers *c = make(NULL);
	struct rs_ctr_count n;
	char dir[128];

	(void)state;
	cg(c, ID_A, 2, 100, NULL);
	assert_int_equal(cg(c, ID_A, 2, 100, &cpu_fin), CONTAINER_GONE);
	assert_int_equal(cg(c, ID_A, 4, 200, NULL), 0);
	assert_int_equal(cg(c, ID_A, 4, 200, &mem_fin), 0);
	n = counted(c, 0, "", "");
	assert_int_equal(n.created, 1);
	assert_int_equal(n.removed, 1);
	assert_int_equal(find(c, ID_A)->mem_peak, 64 << 20);
	assert_int_equal(find(c, ID_A)->cpu_user_ns, 200000000);
	/* B is made again: its cpuacct cgroup's directory, removed, is there again */
	snprintf(dir, sizeof(dir), "%s/cpuacct/docker", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(dir, sizeof(dir), "%s/cpuacct/docker/x", root);
	assert_int_equal(mkdir(dir, 0755), 0);
	cg(c, ID_B, 2, 300, NULL);
	assert_int_equal(rmdir(dir), 0);
	cg(c, ID_B, 2, 300, &cpu_fin);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(cg(c, ID_B, 4, 400, NULL), CONTAINER_MADE);
	assert_int_equal(find(c, ID_B)->gone_ns, 0);
	n = counted(c, 0, "", "");
	assert_int_equal(n.created, 2);
	assert_int_equal(n.removed, 2);
	rmdir(dir);
	snprintf(dir, sizeof(dir), "%s/cpuacct/docker", root);
	rmdir(dir);
	containers__free(c);
}

/* a daemon restarted over the same store counts nothing twice */
static void test_restart_counts_nothing_twice(void **state)
{
	struct store *s = calloc(1, sizeof(*s));
	struct containers *c = make(s);
	struct rs_ctr_count n;

	(void)state;
	cg(c, ID_A, 2, 100, NULL);
	containers__set_job(c, ID_A, KIND_BUILDKITE, "bk-1", "step");
	cg(c, ID_B, 2, 101, NULL);
	containers__set_job(c, ID_B, KIND_BUILDKITE, "bk-1", "step");
	containers__free(c);

	/* the next daemon finds A's cgroup there still, and B's an instance made while no daemon
	 * ran (another cgroup): A is not counted again, B's old instance is removed */
	c = make(s);
	n = counted(c, KIND_BUILDKITE, "bk-1", "step");
	assert_int_equal(n.created, 2);
	assert_int_equal(n.removed, 0);
	cg(c, ID_A, 2, 100, NULL);
	cg(c, ID_B, 2, 999, NULL);
	containers__set_job(c, ID_A, KIND_BUILDKITE, "bk-1", "step");
	containers__set_job(c, ID_B, KIND_BUILDKITE, "other", "step");
	n = counted(c, KIND_BUILDKITE, "bk-1", "step");
	assert_int_equal(n.created, 2);
	assert_int_equal(n.removed, 1);
	n = counted(c, KIND_BUILDKITE, "other", "step");
	assert_int_equal(n.created, 1);
	/* A's removal under the labels the first daemon counted it by */
	cg(c, ID_A, 2, 100, &cpu_fin);
	n = counted(c, KIND_BUILDKITE, "bk-1", "step");
	assert_int_equal(n.removed, 2);
	containers__free(c);
	/* and a third finds the counts where the second left them */
	c = make(s);
	n = counted(c, KIND_BUILDKITE, "bk-1", "step");
	assert_int_equal(n.created, 2);
	assert_int_equal(n.removed, 2);
	containers__free(c);
	free(s);
}

/* the hierarchies the kernel follows: v1 cpuacct's and memory's on a hybrid host */
/* the threads' wait: from the record while the cgroup is there, then from its removal, once
 * however many times the removal is told, and never less than was shown */
static void test_wait_at_removal(void **state)
{
	struct store s = { .record_wait = 700 };
	struct containers *c = make(&s);
	struct container_cgroup gone = { .key = { .id = 100, .hier = 2 }, .removed = 1,
					 .fin = &cpu_fin, .wait_ns = 900 };
	struct container_ref r = ref_of(ID_A);
	struct container *x;

	(void)state;
	assert_int_equal(cg(c, ID_A, 2, 100, NULL), CONTAINER_MADE);
	assert_int_equal(cg(c, ID_A, 4, 200, NULL), 0);
	/* the memory cgroup goes first: the cpuacct one's record says 700 */
	cg(c, ID_A, 4, 200, &mem_fin);
	assert_non_null(x = find(c, ID_A));
	assert_int_equal(x->wait_ns, 700);
	/* the cpuacct cgroup's removal: its record's last word, told twice */
	containers__cgroup(c, &r, &gone);
	containers__cgroup(c, &r, &gone);
	assert_int_equal(x->wait_ns, 900);
	assert_int_equal(x->wait_final, 900);
	containers__free(c);
}

static void test_followed_hierarchies(void **state)
{
	struct containers *c = make(NULL);
	struct cgroup_layout l = {};
	const char *text = "#h\nmemory\t0\t1\t1\ncpuacct\t3\t1\t1\n";

	(void)state;
	assert_int_equal(containers__followed(c), 1U << 2 | 1U << 4);
	containers__free(c);
	/* /proc/cgroups' own text: v2-bound controllers (0) give no v1 hierarchy */
	strcpy(l.memory, "/m");
	strcpy(l.cpuacct, "/c");
	assert_int_equal(cgroupfs_hier_ids(text, strlen(text), &l), 0);
	assert_int_equal(l.hier_memory, -1);
	assert_int_equal(l.hier_cpuacct, 3);
	assert_int_equal(cgroupfs_hier_ids("memory\tx\t1\t1\n", 13, &l), -EINVAL);
	assert_int_equal(cgroupfs_hier_ids("", 0, &l), -EINVAL);
}

/*
 * A containerd container whose processes all sit one cgroup below its own (cgroup2's
 * <scope>/container, a sandbox's pause below its pod): its process is found there, so that
 * runtime files not found are counted for it, once. One with no process at all is not
 * counted: its runtime may not have written them yet. Its bundle found later, the names are
 * read again when it becomes a job's.
 */
static void test_names_through_a_process_below(void **state)
{
	char rt[] = "/tmp/rs-runtime-root-XXXXXX", pid[32];
	struct container_ref a = { .runtime = RUNTIME_CONTAINERD }, b = a;
	struct container_cgroup ca = { .key = { .id = 901, .hier = 2 },
				       .path = "/kubepods/podu1/" ID_A, .tasks = 1 };
	struct container_cgroup cb = { .key = { .id = 902, .hier = 2 },
				       .path = "/kubepods/podu2/" ID_B, .tasks = 0 };
	struct containers_opts o = { .cgroup_root = root, .grace_ns = 60000000000ULL,
				     .proc_cgroups = PROC_CGROUPS, .all = 1, .runtime_root = rt };
	struct container_names n;
	struct containers *c;

	(void)state;
	assert_non_null(mkdtemp(rt));
	memcpy(a.id, ID_A, sizeof(a.id));
	memcpy(b.id, ID_B, sizeof(b.id));
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	put_file(root, "cpuacct/kubepods/podu1/" ID_A "/cgroup.procs", "");
	put_file(root, "cpuacct/kubepods/podu1/" ID_A "/container/cgroup.procs", pid);
	put_file(root, "cpuacct/kubepods/podu2/" ID_B "/cgroup.procs", "");
	c = containers__new(&o);
	assert_non_null(c);
	assert_true(containers__cgroup(c, &a, &ca) >= 0);
	assert_true(containers__cgroup(c, &b, &cb) >= 0);
	assert_int_equal(containers__names_missing(c, RUNTIME_CONTAINERD), 1);
	/* a later read that fails again is not counted again */
	containers__set_runner(c, ID_A, KIND_GITHUB, "arc-runner");
	assert_int_equal(containers__names_missing(c, RUNTIME_CONTAINERD), 1);
	assert_int_equal(containers__names_of(c, ID_A, &n), 0);
	assert_string_equal(n.name, "");

	put_file(rt, "run/containerd/io.containerd.runtime.v2.task/k8s.io/" ID_A "/config.json",
		 CRI_RUNNER_CONFIG);
	containers__set_job(c, ID_A, KIND_GITHUB, "arc-runner", "job");
	assert_int_equal(containers__names_of(c, ID_A, &n), 0);
	assert_string_equal(n.name, "runner");
	assert_string_equal(n.pod, "arc-pod");
	assert_string_equal(n.image, "ghcr.io/actions/actions-runner:2");
	assert_int_equal(containers__names_missing(c, RUNTIME_CONTAINERD), 1);
	containers__free(c);
	remove_tree(rt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_final_values),
		cmocka_unit_test(test_files_gone_before_the_rmdir),
		cmocka_unit_test(test_counted_once),
		cmocka_unit_test(test_labels_of_creation),
		cmocka_unit_test(test_made_again),
		cmocka_unit_test(test_a_cgroup_whose_mkdir_went_untold),
		cmocka_unit_test(test_restart_counts_nothing_twice),
		cmocka_unit_test(test_known_at_startup),
		cmocka_unit_test(test_followed_hierarchies),
		cmocka_unit_test(test_wait_at_removal),
		cmocka_unit_test(test_names_through_a_process_below),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
