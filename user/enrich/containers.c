// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <sys/stat.h>
#include "lib/clock.h"
#include "lib/cputime.h"
#include "lib/log.h"
#include "enrich/containers_priv.h"
#include "enrich/netns_stats.h"

#define DISCOVER_NS 1000000000ULL /* --containers=all walks the cgroup tree at most this often */
#define DISCOVER_DEPTH 12
/* names not found at first are looked for again after 1, 2, 4 … 32 s, then no more */
#define NAMES_RETRY_NS 1000000000ULL
#define NAMES_TRIES 6

struct containers {
	pthread_mutex_t lock;
	struct containers_opts opts;
	struct cgroup_layout layout;
	struct container *list;
	uint64_t last_discover;
};

struct containers *containers__new(const struct containers_opts *opts)
{
	struct containers *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return NULL;
	c->opts = *opts;
	err = cgroupfs_layout(opts->cgroup_root, &c->layout);
	if (err) {
		pr_err("no cgroup hierarchy found under %s: %s", opts->cgroup_root, strerror(-err));
		free(c);
		errno = -err;
		return NULL;
	}
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void containers__free(struct containers *c)
{
	struct container *x, *t;

	if (!c)
		return;
	HASH_ITER(hh, c->list, x, t) {
		HASH_DEL(c->list, x);
		cgroupfs_files_close(&x->files);
		free(x);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void containers__lock(struct containers *c)
{
	pthread_mutex_lock(&c->lock);
}

void containers__unlock(struct containers *c)
{
	pthread_mutex_unlock(&c->lock);
}

struct container *containers__list(struct containers *c)
{
	return c->list;
}

/*
 * kubelet's names where it runs the container; else the runtime's own. 1 when they may come
 * later: kubelet runs here and has no link for it yet, or the runtime's files named nothing
 */
static int read_names(struct containers *c, struct container *x)
{
	struct container_names k = {}, r = x->names;
	int err = containers_kubelet_names(c->opts.kubelet_log_dir, x->id, &k);

	/* the runtime's files once more only while they have not said all */
	if (!r.name[0] || !r.image[0]) {
		memset(&r, 0, sizeof(r));
		if (x->runtime == RUNTIME_DOCKER && c->opts.docker_root && c->opts.docker_root[0])
			containers_docker_names(c->opts.docker_root, x->id, &r);
		else
			containers_runtime_names(c->opts.runtime_root, x->runtime, x->id, &r);
	}
	if (!err)
		memcpy(k.image, r.image, sizeof(k.image));
	x->names = err ? r : k;
	return err == -ENOENT || !x->names.name[0];
}

/* names looked for again, a few times, further apart each time */
static void retry_names(struct containers *c, struct container *x, uint64_t now)
{
	struct container_names was = x->names;

	if (!read_names(c, x) || ++x->names_tries >= NAMES_TRIES)
		x->names_retry_ns = 0;
	else
		x->names_retry_ns = now + (NAMES_RETRY_NS << x->names_tries);
	if (memcmp(&was, &x->names, sizeof(was)))
		pr_info("container names found id=%s name=%s pod=%s namespace=%s", x->id,
			x->names.name, x->names.pod, x->names.ns);
}

static struct container *get(struct containers *c, const struct container_ref *ref,
			     const struct cgroup_paths *paths)
{
	struct container *x;

	HASH_FIND_STR(c->list, ref->id, x);
	if (x)
		return x;
	x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	memcpy(x->id, ref->id, sizeof(x->id));
	memcpy(x->pod_uid, ref->pod_uid, sizeof(x->pod_uid));
	x->runtime = ref->runtime;
	x->paths = *paths;
	if (read_names(c, x))
		x->names_retry_ns = clock_ns(CLOCK_MONOTONIC) + NAMES_RETRY_NS;
	HASH_ADD_STR(c->list, id, x);
	pr_debug("tracking container id=%s name=%s pod=%s namespace=%s runtime=%s", x->id,
		 x->names.name, x->names.pod, x->names.ns, cgroup_runtime_name(x->runtime));
	return x;
}

void containers__names(struct containers *c, const struct container_ref *ref,
		       const struct cgroup_paths *paths, struct container_names *out)
{
	struct container *x;

	memset(out, 0, sizeof(*out));
	if (!c || !ref->id[0])
		return;
	containers__lock(c);
	x = get(c, ref, paths);
	if (x)
		*out = x->names;
	containers__unlock(c);
}

int containers__usage(struct containers *c, const char *id, struct container_usage *out)
{
	struct container *x;

	memset(out, 0, sizeof(*out));
	if (!c || !id[0])
		return -ENOENT;
	containers__lock(c);
	HASH_FIND_STR(c->list, id, x);
	if (x) {
		out->names = x->names;
		out->cpu_user_ns = x->cpu_user_ns;
		out->cpu_system_ns = x->cpu_system_ns;
		out->mem_peak = x->mem_peak;
	}
	containers__unlock(c);
	return x ? 0 : -ENOENT;
}

int containers__names_of(struct containers *c, const char *id, struct container_names *out)
{
	struct container_usage u;
	int err = containers__usage(c, id, &u);

	*out = u.names;
	return err;
}

void containers__set_runner(struct containers *c, const char *id, int kind, const char *runner)
{
	struct container *x;

	if (!c)
		return;
	containers__lock(c);
	HASH_FIND_STR(c->list, id, x);
	if (x) {
		x->kind = kind;
		snprintf(x->runner, sizeof(x->runner), "%s", runner);
	}
	containers__unlock(c);
}

/* one cgroup directory, relative to its hierarchy's mount: a container's own? */
static void discover_dir(struct containers *c, const char *rel)
{
	struct container_ref ref;
	struct cgroup_paths paths = {};
	const char *leaf = strrchr(rel, '/');
	char dir[PATH_MAX];
	struct stat st;

	if (!cgroup_path_container(rel, &ref) || !leaf || !strstr(leaf, ref.id))
		return;
	/* the same relative path in each hierarchy that has it (cgroupfs and systemd drivers
	 * alike name a container's cgroup the same everywhere) */
	const char *mounts[] = { c->layout.unified, c->layout.cpuacct, c->layout.cpu,
				 c->layout.memory,  c->layout.blkio,   c->layout.pids };
	char *outs[] = { paths.unified, paths.cpuacct, paths.cpu,
			 paths.memory,	paths.blkio,   paths.pids };

	for (size_t i = 0; i < sizeof(outs) / sizeof(outs[0]); i++) {
		if (!mounts[i][0])
			continue;
		snprintf(dir, sizeof(dir), "%s%s", mounts[i], rel);
		if (!stat(dir, &st) && S_ISDIR(st.st_mode))
			snprintf(outs[i], CGROUPFS_PATH_MAX, "%s", rel);
	}
	get(c, &ref, &paths);
}

static void walk(struct containers *c, const char *mount, char *rel, size_t len, int depth)
{
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s%s", mount, rel);
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (de->d_type != DT_DIR || de->d_name[0] == '.' || len + n + 2 >= CGROUPFS_PATH_MAX)
			continue;
		rel[len] = '/';
		memcpy(rel + len + 1, de->d_name, n + 1);
		discover_dir(c, rel);
		if (depth < DISCOVER_DEPTH)
			walk(c, mount, rel, len + 1 + n, depth + 1);
		rel[len] = '\0';
	}
	closedir(d);
}

static void discover(struct containers *c)
{
	/* one hierarchy that has every container: v1 memory on hybrid hosts, else cgroup2 */
	const char *mount = c->layout.memory[0] ? c->layout.memory : c->layout.unified[0] ?
		c->layout.unified : c->layout.cpuacct;
	char rel[CGROUPFS_PATH_MAX] = "";

	if (mount[0])
		walk(c, mount, rel, 0, 0);
}

/* counters must not step back: the split of a growing usage can */
static void split_cpu(struct container *x)
{
	const struct container_stats *s = &x->stats;
	uint64_t user, sys;

	if (!(s->have & CG_CPU))
		return;
	/* v1's sampled user + system can exceed the measured usage; cgroup2's add up to it */
	cputime_split(s->cpu_usage_ns, s->cpu_user_ns, s->cpu_system_ns, &user, &sys);
	if (user > x->cpu_user_ns)
		x->cpu_user_ns = user;
	if (sys > x->cpu_system_ns)
		x->cpu_system_ns = sys;
}

/*
 * A sum steps back when a device or an interface goes, or when the process read through is in
 * another namespace: nothing is added for that read, and the counter goes on from the new sum.
 */
static void advance(struct container_counter *k, uint64_t sum)
{
	if (sum >= k->last)
		k->shown += sum - k->last;
	k->last = sum;
}

/* block I/O from the cgroup's read; the network from its namespace, unless the host's */
static void counters(struct container *x, const struct container_stats *st)
{
	struct net_totals n;

	if (st->have & CG_IO) {
		for (int i = 0; i < CG_IO_DIR_MAX; i++) {
			advance(&x->io_bytes[i], st->io_bytes[i]);
			advance(&x->io_ops[i], st->io_ops[i]);
		}
		x->counters |= CONTAINER_IO;
	}
	if (!netns_read(st->pid, &x->paths, &n)) {
		for (int i = 0; i < NET_DIR_MAX; i++) {
			advance(&x->net_bytes[i], n.bytes[i]);
			advance(&x->net_packets[i], n.packets[i]);
		}
		x->counters |= CONTAINER_NET;
	}
}

void containers__refresh(struct containers *c)
{
	struct container *x, *t;
	int dropped = 0;
	uint64_t now;

	if (!c)
		return;
	containers__lock(c);
	now = clock_ns(CLOCK_MONOTONIC);
	if (c->opts.all && now - c->last_discover >= DISCOVER_NS) {
		discover(c);
		c->last_discover = now;
	}
	HASH_ITER(hh, c->list, x, t) {
		struct container_stats st;
		int err;

		if (x->gone_ns) {
			if (now - x->gone_ns >= c->opts.grace_ns) {
				HASH_DEL(c->list, x);
				cgroupfs_files_close(&x->files);
				free(x);
				dropped++;
			}
			continue;
		}
		if (x->names_retry_ns && now >= x->names_retry_ns)
			retry_names(c, x, now);
		err = cgroupfs_read_kept(&c->layout, &x->paths, &x->files, &st);
		if (err == -ENOENT) {
			pr_debug("container gone id=%s", x->id);
			x->gone_ns = now ? now : 1;
			cgroupfs_files_close(&x->files);
		} else if (!err) {
			x->stats = st;
			split_cpu(x);
			counters(x, &st);
			if ((st.have & CG_MEMORY) && st.mem_usage > x->mem_peak)
				x->mem_peak = st.mem_usage;
		}
	}
	/* a container in a runner's pod that hosts no runner itself (a dind sidecar's nested job
	 * containers, a service) is that runner's */
	HASH_ITER(hh, c->list, x, t) {
		struct container *y;

		if (x->kind || !x->pod_uid[0])
			continue;
		for (y = c->list; y; y = y->hh.next) {
			if (y->kind && !strcmp(y->pod_uid, x->pod_uid)) {
				x->kind = y->kind;
				memcpy(x->runner, y->runner, sizeof(x->runner));
				break;
			}
		}
	}
	containers__unlock(c);
	/* hundreds of containers gone at once: give their memory back */
	if (dropped)
		malloc_trim(0);
}
