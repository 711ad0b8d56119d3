// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The table of containers: made as the kernel reports their cgroups (container_life.c) or a
 * walk of the hierarchies finds them (container_walk.c), named from the runtimes' files, read
 * once a pass while reported, kept for the grace period once gone
 */
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
#include "enrich/procfs.h"

/* names not found at first are looked for again after 1, 2, 4 … 32 s, then no more */

struct containers *containers__new(const struct containers_opts *opts)
{
	struct containers *c = calloc(1, sizeof(*c));
	int err;

	if (!c)
		return NULL;
	c->opts = *opts;
	err = cgroupfs__layout(opts->cgroup_root, &c->layout);
	if (err) {
		pr_err("no cgroup hierarchy found under %s: %s", opts->cgroup_root, strerror(-err));
		free(c);
		errno = -err;
		return NULL;
	}
	containers_hier_ids(c);
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

void containers__free(struct containers *c)
{
	struct container *x, *t;

	if (!c)
		return;
	HASH_ITER(hh, c->list, x, t)
		containers_drop(c, x);
	containers_counts_free(c);
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

struct container *containers_get(struct containers *c, const struct container_ref *ref,
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
	if (paths)
		x->paths = *paths;
	x->made_ns = clock_ns(CLOCK_MONOTONIC);
	x->reported = c->opts.all;
	x->tasks = -1;
	/* without its paths, a process to find its runtime's files by is not known yet: its
	 * names are read once they are (containers__cgroup()) */
	if (paths)
		containers_first_names(c, x);
	HASH_ADD_STR(c->list, id, x);
	pr_debug("tracking container id=%s name=%s pod=%s namespace=%s runtime=%s", x->id,
		 x->names.name, x->names.pod, x->names.ns, cgroup_path__runtime_name(x->runtime));
	return x;
}

void containers_drop(struct containers *c, struct container *x)
{
	HASH_DEL(c->list, x);
	cgroupfs_files_close(&x->files);
	free(x);
}

int containers_fill_paths(struct containers *c, struct container *x, const char *path)
{
	struct slot slots[] = SLOTS(c, &x->paths);
	char dir[PATH_MAX];
	struct stat st;
	int added = 0;

	for (size_t i = 0; i < sizeof(slots) / sizeof(slots[0]); i++) {
		if (!slots[i].mount[0] || slots[i].path[0])
			continue;
		snprintf(dir, sizeof(dir), "%s%s", slots[i].mount, path);
		if (!stat(dir, &st) && S_ISDIR(st.st_mode)) {
			snprintf(slots[i].path, CGROUPFS_PATH_MAX, "%s", path);
			added = 1;
		}
	}
	/* the directories kept open are those it had: open them again with the new one */
	if (added)
		cgroupfs_files_close(&x->files);
	return added;
}

/* the paths a process's /proc/<pid>/cgroup gives, where its cgroup event gave none */
static void merge_paths(struct container *x, const struct cgroup_paths *p)
{
	char *mine[] = { x->paths.unified, x->paths.cpuacct, x->paths.cpu,
			 x->paths.memory,  x->paths.blkio,   x->paths.pids };
	const char *theirs[] = { p->unified, p->cpuacct, p->cpu, p->memory, p->blkio, p->pids };
	int added = 0;

	for (size_t i = 0; i < sizeof(mine) / sizeof(mine[0]); i++) {
		if (!mine[i][0] && theirs[i][0]) {
			memcpy(mine[i], theirs[i], CGROUPFS_PATH_MAX);
			added = 1;
		}
	}
	if (added)
		cgroupfs_files_close(&x->files);
}

void containers__names(struct containers *c, const struct container_ref *ref,
		       const struct cgroup_paths *paths, struct container_names *out)
{
	struct container *x;

	memset(out, 0, sizeof(*out));
	if (!c || !ref->id[0])
		return;
	containers__lock(c);
	x = containers_get(c, ref, paths);
	if (x) {
		/* a runner's (state/state.c names runners by its live process): reported, and
		 * read on each pass */
		x->reported = 1;
		if (!x->gone_ns)
			x->tasks = 1;
		if (paths)
			merge_paths(x, paths);
		/* known since its cgroup was made, before it had a process to find its
		 * runtime's files by: looked for now that it has one */
		if (x->names_retry_ns && !x->names.name[0])
			containers_read_names(c, x);
		*out = x->names;
	}
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
		out->have = x->stats.have & (CG_THROTTLE | CG_PSI_MEMORY);
		out->throttled_ns = x->stats.throttled_ns;
		out->mem_stall_ns = x->stats.psi_some_us[CG_PSI_RES_MEMORY] * 1000;
	}
	containers__unlock(c);
	return x ? 0 : -ENOENT;
}

int containers__cpu_wait(const struct containers *c)
{
	return c->opts.cpu_wait;
}

int containers__cpu_deltas(struct containers *c, struct container_delta **out)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC), prev;
	struct container *x;
	int n = 0;

	containers__lock(c);
	prev = c->deltas_ns;
	c->deltas_ns = now;
	*out = calloc(HASH_COUNT(c->list) + 1, sizeof(**out));
	if (!*out) {
		containers__unlock(c);
		return -ENOMEM;
	}
	for (x = c->list; x; x = x->hh.next) {
		uint64_t cur = x->cpu_user_ns + x->cpu_system_ns, d;

		d = x->delta_seen ? (cur > x->delta_last ? cur - x->delta_last : 0) :
				    (prev && x->made_ns > prev ? cur : 0);
		x->delta_seen = 1;
		x->delta_last = cur;
		if (!d || x->kind || x->role[0])
			continue;
		memcpy((*out)[n].id, x->id, sizeof((*out)[n].id));
		(*out)[n++].cpu_ns = d;
	}
	containers__unlock(c);
	return n;
}

int containers__names_of(struct containers *c, const char *id, struct container_names *out)
{
	struct container_usage u;
	int err = containers__usage(c, id, &u);

	*out = u.names;
	return err;
}

void containers__set_job(struct containers *c, const char *id, int kind, const char *runner,
			 const char *role)
{
	struct container *x;

	if (!c)
		return;
	containers__lock(c);
	HASH_FIND_STR(c->list, id, x);
	if (x) {
		x->kind = kind;
		x->reported = 1;
		/* its names, if its runtime's files could not be found before it had a process */
		if (x->names_retry_ns && !x->names.name[0])
			containers_read_names(c, x);
		snprintf(x->runner, sizeof(x->runner), "%s", runner);
		if (role)
			snprintf(x->role, sizeof(x->role), "%s", role);
		/* what it is known to be now is what it is counted as */
		containers_count_created(c, x);
	}
	containers__unlock(c);
}

void containers__count_known(struct containers *c)
{
	struct container *x, *t;

	containers__lock(c);
	HASH_ITER(hh, c->list, x, t)
		containers_count_created(c, x);
	containers__unlock(c);
}

void containers__set_runner(struct containers *c, const char *id, int kind, const char *runner)
{
	containers__set_job(c, id, kind, runner, NULL);
}

/*
 * Counters must not step back: the split of a growing usage can, and a container made again
 * under its id starts from 0 (its earlier instance's counts are its base).
 */
static void split_cpu(struct container *x)
{
	const struct container_stats *s = &x->stats;
	uint64_t user, sys;

	if (!(s->have & CG_CPU))
		return;
	/* v1's sampled user + system can exceed the measured usage; cgroup2's add up to it */
	cputime_split(s->cpu_usage_ns, s->cpu_user_ns, s->cpu_system_ns, &user, &sys);
	cputime_keep(user + x->base_user_ns, sys + x->base_system_ns, &x->cpu_user_ns,
		     &x->cpu_system_ns);
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
	if (!netns_stats_read(st->pid, &x->paths, &n)) {
		for (int i = 0; i < NET_DIR_MAX; i++) {
			advance(&x->net_bytes[i], n.bytes[i]);
			advance(&x->net_packets[i], n.packets[i]);
		}
		x->counters |= CONTAINER_NET;
	}
}

/* what its exported figures take from stats (a read, or the kernel's at its removal) */
void containers_apply(struct container *x)
{
	const struct container_stats *st = &x->stats;
	uint64_t peak = st->have & CG_PEAK ? st->mem_peak : st->mem_usage;

	split_cpu(x);
	if ((st->have & (CG_PEAK | CG_MEMORY)) && peak > x->mem_peak)
		x->mem_peak = peak;
	if ((st->have & CG_OOM) && x->base_oom + st->oom_kills > x->oom_kills)
		x->oom_kills = x->base_oom + st->oom_kills;
}

void containers_wait(struct containers *c, struct container *x, int live)
{
	uint64_t sum = x->wait_final;

	for (int i = 0; c->store && c->store->cg_wait && i < x->ncgs; i++) {
		uint64_t w;

		if (!x->cgs[i].removed &&
		    !c->store->cg_wait(c->store_ctx, &x->cgs[i].key, live, &w))
			sum += w;
	}
	/* never a thread twice (cg_wait): a sum that is less than before is one whose threads
	 * exited between the two readings it is made of, and the next is whole again */
	if (sum > x->wait_ns)
		x->wait_ns = sum;
}

void containers__live_cgroups(struct containers *c,
			      void (*cb)(void *ctx, const struct rs_cg_key *key), void *ctx)
{
	containers__lock(c);
	for (struct container *x = c->list; x; x = x->hh.next)
		for (int i = 0; x->tasks && !x->gone_ns && i < x->ncgs; i++)
			if (!x->cgs[i].removed)
				cb(ctx, &x->cgs[i].key);
	containers__unlock(c);
}

int containers_read(struct containers *c, struct container *x)
{
	struct container_stats st;
	int err = cgroupfs_read_kept(&c->layout, &x->paths, &x->files, &st);

	if (err)
		return err;
	x->stats = st;
	containers_apply(x);
	counters(x, &st);
	containers_wait(c, x, x->tasks != 0);
	/*
	 * One found by a walk: whether it has tasks, until the programs see that change. Its own
	 * and its children's (pids.current), else its own (a process directly in it)
	 */
	if (x->tasks < 0)
		x->tasks = st.have & CG_PIDS ? st.pids > 0 : st.pid > 0;
	return 0;
}

/* every followed hierarchy's cgroup of it seen, and removed: no event of it is to come */
static int all_removed(struct containers *c, const struct container *x)
{
	int n = __builtin_popcount(containers__followed(c));

	if (x->ncgs < n)
		return 0;
	for (int i = 0; i < x->ncgs; i++)
		if (!x->cgs[i].removed)
			return 0;
	return 1;
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
	HASH_ITER(hh, c->list, x, t) {
		int err;

		if (x->gone_ns) {
			/* one with no series needs no grace, once no event of it is to come */
			if (now - x->gone_ns >= c->opts.grace_ns ||
			    (!x->reported && all_removed(c, x))) {
				containers_drop(c, x);
				dropped++;
			}
			continue;
		}
		if (x->counted == CONTAINER_UNCOUNTED && now - x->made_ns >= SETTLE_NS)
			containers_count_created(c, x);
		if (!x->reported)
			continue;
		if (x->names_retry_ns && now >= x->names_retry_ns)
			containers_retry_names(c, x, now);
		/* one with no task does nothing: it was read when its last task left */
		if (!x->tasks)
			continue;
		err = containers_read(c, x);
		if (err == -ENOENT && x->ncgs) {
			/* a container the kernel's events follow: its rmdir is on its way with what
			 * its cgroup said at the end, and it is gone with those. Only where none
			 * came a second on is it gone without them */
			if (!x->missing_ns)
				x->missing_ns = now;
			if (now - x->missing_ns < SETTLE_NS)
				continue;
		}
		if (!err)
			x->missing_ns = 0;
		if (err == -ENOENT) {
			/* its rmdir went unseen: it is gone all the same */
			pr_debug("container gone id=%s", x->id);
			x->gone_ns = now ? now : 1;
			cgroupfs_files_close(&x->files);
			containers_count_removed(c, x);
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
				x->reported = 1;
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

struct container_count *containers__counts(struct containers *c)
{
	return c->counts;
}

void containers__tasks(struct containers *c, const char *id, int tasks, uint64_t emptied_ns)
{
	struct container *x;

	containers__lock(c);
	HASH_FIND_STR(c->list, id, x);
	if (x && !x->gone_ns) {
		struct slot slots[] = SLOTS(c, &x->paths);

		/* what it did, before the runtime removes it: block I/O, throttling, PSI, and every
		 * thread's wait, now in its records */
		if (!tasks && x->reported) {
			x->tasks = 0;
			containers_read(c, x);
		}
		/* a task in it: the runtime has made its every directory by now (the v1 ones
		 * under the same path) */
		for (size_t i = 0; tasks && i < sizeof(slots) / sizeof(slots[0]); i++) {
			if (slots[i].path[0]) {
				char known[CGROUPFS_PATH_MAX];

				memcpy(known, slots[i].path, sizeof(known));
				containers_fill_paths(c, x, known);
				break;
			}
		}
		x->tasks = tasks;
		if (!tasks)
			x->emptied_ns = emptied_ns;
		pr_debug("container %s id=%s", tasks ? "populated" : "emptied", x->id);
	}
	containers__unlock(c);
}

int containers__cgroup_keys(struct containers *c, const char *id, struct rs_cg_key *keys, int n)
{
	struct container *x;
	int k = 0;

	containers__lock(c);
	HASH_FIND_STR(c->list, id, x);
	for (int i = 0; x && !x->gone_ns && i < x->ncgs && k < n; i++)
		if (!x->cgs[i].removed)
			keys[k++] = x->cgs[i].key;
	containers__unlock(c);
	return k;
}

int containers__cgroup_dir(struct containers *c, const char *id, char *out, size_t sz)
{
	struct container *x;
	int err = -ENOENT;

	containers__lock(c);
	HASH_FIND_STR(c->list, id, x);
	if (x) {
		struct slot slots[] = SLOTS(c, &x->paths);

		for (size_t i = 0; err && i < sizeof(slots) / sizeof(slots[0]); i++)
			if (slots[i].mount[0] && slots[i].path[0] &&
			    (size_t)snprintf(out, sz, "%s%s", slots[i].mount, slots[i].path) < sz)
				err = 0;
	}
	containers__unlock(c);
	return err;
}

