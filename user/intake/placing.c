// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * The containers a job starts, placed in it (docs/architecture.md, "Placing containers"): as
 * soon as the kernel reports the container's cgroup made, from what its runtime's files say of
 * it (name, labels, the CRI bundle), or when its init first execs, from its environment too.
 * A placed container's cgroups take the job's tasks (cg_jobs: every task attached to them
 * joins the job from that moment), the tasks in them already join, and the state lists it in
 * the job. The removal of a job of several processes' job container ends that job.
 */
#include <unistd.h>
#include <bpf/bpf.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "enrich/pid_cgroup.h"
#include "enrich/procfs.h"
#include "kernel/probes_priv.h"
#include "intake/intake_priv.h"
#include "ci/kinds/kinds.h"

/* tasks in a placed container's cgroup before it was placed join in at most this many rounds
 * (a round's joining lets forks made meanwhile be found in the next) */
#define JOIN_ROUNDS 8

static void set_cg_jobs(struct probes *p, const struct placed *pl)
{
	struct rs_cg_key keys[CONTAINER_CGROUPS];
	int n = containers__cgroup_keys(p->containers, pl->id, keys, CONTAINER_CGROUPS);

	for (int i = 0; i < n; i++)
		bpf_map_update_elem(bpf_map__fd(p->skel->maps.cg_jobs), &keys[i], &pl->cj, BPF_ANY);
}

/* the tasks in its cgroup now, not in a job yet, join its job */
static void join_present(struct probes *p, const struct placed *pl)
{
	char dir[PATH_MAX], path[PATH_MAX + 16], *buf = malloc(65536);

	if (!buf || containers__cgroup_dir(p->containers, pl->id, dir, sizeof(dir)))
		goto out;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	for (int round = 0; round < JOIN_ROUNDS; round++) {
		size_t len = 0;
		int joined = 0;

		if (procfs__read_file(path, buf, 65536, &len))
			break;
		for (char *s = buf, *end; *s; s = end) {
			long pid = strtol(s, &end, 10);

			if (end == s)
				break;
			if (pid > 0 && pid <= INT32_MAX && !in_job(p, (__u32)pid) &&
			    !join(p, &pl->job, (__u32)pid, pl->cj.kind, pl->step))
				joined++;
		}
		if (!joined)
			break;
	}
out:
	free(buf);
}

/*
 * Container ref is job's: placed once (a container joins one job). runner: the runner a job
 * of several processes names (NULL for one the kernel follows by its process); group: that
 * job's hkey ("" otherwise). Its cgroups and tasks join, and the state lists it.
 */
static struct placed *place(struct probes *p, const struct container_ref *ref,
			    const struct cgroup_paths *paths, const struct rs_key *job,
			    const char *runner, int kind, int step, const char *role,
			    const char *group)
{
	struct placed *pl;
	struct rs_job j;

	HASH_FIND_STR(p->placed, ref->id, pl);
	if (pl)
		return !memcmp(&pl->job, job, sizeof(*job)) ? pl : NULL;
	if (bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.jobs_map), job, &j))
		return NULL;
	pl = calloc(1, sizeof(*pl));
	if (!pl)
		return NULL;
	memcpy(pl->id, ref->id, sizeof(pl->id));
	pl->job = *job;
	pl->cj.job = *job;
	pl->cj.runner = j.runner;
	pl->cj.kind = (__u8)kind;
	pl->cj.init_step = (__u8)!!step;
	pl->step = step;
	snprintf(pl->group, sizeof(pl->group), "%s", group);
	/* the job container of a job of several processes: its removal is the job's end */
	pl->ends_job = group[0] && !strcmp(role, "job");
	HASH_ADD_STR(p->placed, id, pl);
	set_cg_jobs(p, pl);
	pr_debug("container %s placed in job pid %u (%s), role %s", ref->id, job->tgid,
		 group[0] ? group : kinds__name(kind), role);
	intake_job_container(p, &j.runner, kind, runner, ref, paths, job, role);
	/*
	 * A job of several processes takes its result from the exits of the containers' inits
	 * and steps, so a task joins it at its attach (the programs, from cg_jobs) or at the exec
	 * of its command, never earlier: one joined here might be runc's init between the two,
	 * whose children would not carry its step
	 */
	if (!group[0])
		join_present(p, pl);
	return pl;
}

/*
 * What a container says of itself places it: in the job of several processes its name or
 * environment names, in the running job its marks name. 1 when placed, -1 when it is known
 * to be no job's (named, with nothing of a job, or a kind's process that names no job), 0 when
 * what it may say later (its processes' environment) is yet to be read.
 */
static int decide(struct probes *p, const struct container_ref *ref,
		  const struct cgroup_paths *paths, struct hint_vals *h, uint64_t start_ns,
		  struct placed **out)
{
	struct job_mark mark;
	struct job_hint jh;
	struct rs_key job;
	struct group *g;
	int named;

	*out = NULL;
	named = kinds__classify(h->name, &h->kv, &jh);
	if (named > 0) {
		g = group_get(p, &jh, start_ns, NULL);
		if (g)
			*out = place(p, ref, paths, &g->key, g->runner, jh.kind, jh.step,
				     kinds__role(jh.kind, &jh, h->name, &h->kv), g->hkey);
		return 1;
	}
	if (kinds__mark(h->name[0] ? h->pod : NULL, &h->kv, &mark) &&
	    !state__job_by_mark(p->state, &mark, &job)) {
		/* a job's job, service or action container, or its pod under ARC's Kubernetes
		 * mode; a plugin's */
		pr_debug("container %s (%s) is %s job pid %u's", ref->id, h->name,
			 kinds__name(mark.kind), job.tgid);
		*out = place(p, ref, paths, &job, NULL, mark.kind, 0,
			     mark.pod[0] ? (mark.step ? "step" : "job") :
					   kinds__role(mark.kind, NULL, h->name, &h->kv),
			     "");
		return 1;
	}
	return h->docker || named < 0 ? -1 : 0;
}

void groups_container_made(struct probes *p, const struct container_ref *ref)
{
	struct hint_vals *h;
	struct placed *pl;

	HASH_FIND_STR(p->placed, ref->id, pl);
	if (pl)
		return;
	h = malloc(sizeof(*h));
	if (!h)
		return;
	/* no process of it runs yet: its runtime's files are all there is to read */
	read_hints(p, ref, 0, h);
	decide(p, ref, NULL, h, clock_ns(CLOCK_BOOTTIME), &pl);
	free(h);
}

void groups_container_cgroup(struct probes *p, const char *id, const struct rs_cg_key *key,
			     int populated)
{
	struct placed *pl;

	HASH_FIND_STR(p->placed, id, pl);
	if (!pl)
		return;
	bpf_map_update_elem(bpf_map__fd(p->skel->maps.cg_jobs), key, &pl->cj, BPF_ANY);
	/* a stopped container started again (a GitLab job's, stage by stage) */
	pl->stopped = 0;
	/* a task made into it (clone3's CLONE_INTO_CGROUP) had no attach to join by */
	if (populated && !pl->group[0])
		join_present(p, pl);
}

/* its runtime still has it, stopped (docker keeps a container's files until it is removed) */
static int runtime_has(struct probes *p, const struct placed *pl)
{
	char path[PATH_MAX];

	if (!p->docker_root[0] ||
	    (size_t)snprintf(path, sizeof(path), "%s/containers/%s/config.v2.json", p->docker_root,
			     pl->id) >= sizeof(path))
		return 0;
	return !access(path, F_OK);
}

static void end_job_of(struct probes *p, struct placed *pl)
{
	struct group *g;

	HASH_FIND_STR(p->groups, pl->group, g);
	if (g)
		group_end(p, g, "its job container was removed");
}

void groups_container_removed(struct probes *p, const char *id, int gone, uint64_t emptied_ns)
{
	struct placed *pl;

	(void)emptied_ns;
	HASH_FIND_STR(p->placed, id, pl);
	if (!pl || !gone)
		return;
	if (pl->group[0]) {
		/*
		 * its cgroup goes when it stops; the job ends when its job container is removed.
		 * GitLab stops its containers between stages and removes them at the job's end;
		 * Gitea removes its job container, stopping it as it does
		 */
		pl->stopped = runtime_has(p, pl);
		if (!pl->stopped && pl->ends_job)
			end_job_of(p, pl);
	}
	if (!pl->stopped) {
		HASH_DEL(p->placed, pl);
		free(pl);
	}
}

void placed_stopped(struct probes *p)
{
	struct placed *pl, *t;

	HASH_ITER(hh, p->placed, pl, t) {
		if (!pl->stopped || runtime_has(p, pl))
			continue;
		if (pl->ends_job)
			end_job_of(p, pl);
		HASH_DEL(p->placed, pl);
		free(pl);
	}
}

int placed_holds(struct probes *p, const char *hkey)
{
	struct rs_cg_key key;

	/* any of its containers: GitLab's stage containers stop and start again in turn */
	for (struct placed *pl = p->placed; pl; pl = pl->hh.next)
		if (!strcmp(pl->group, hkey) &&
		    (pl->stopped || containers__cgroup_keys(p->containers, pl->id, &key, 1)))
			return 1;
	return 0;
}

/* an init placed or found no job's: it leaves inits_map; one that exited first is noted */
static void init_placed(struct probes *p, const struct placed *pl, __u32 tgid)
{
	int inits = bpf_map__fd(p->skel->maps.inits_map);
	struct rs_init in;

	if (pl && !bpf_map_lookup_elem(inits, &tgid, &in) && in.state == RS_STATE_FINISHED) {
		part_ended(p, &pl->job, pl->step, in.exit_code, in.end_ns, 0);
	} else if (pl && !in_job(p, tgid) &&
		   !join(p, &pl->job, tgid, pl->cj.kind, pl->step) &&
		   !bpf_map_lookup_elem(inits, &tgid, &in) && in.state == RS_STATE_FINISHED) {
		/* it exited between the look and the join: the kernel noted it in inits_map */
		bpf_map_delete_elem(bpf_map__fd(p->skel->maps.procs_map), &tgid);
		part_ended(p, &pl->job, pl->step, in.exit_code, in.end_ns, 1);
	}
	bpf_map_delete_elem(inits, &tgid);
}

/* the init of a new container: a job's (by its name, labels or environment), or not */
void groups_container_init(struct probes *p, __u32 tgid, const struct rs_key *key)
{
	struct cgroup_paths paths;
	struct container_ref ref;
	struct hint_vals *h;
	struct placed *pl;
	int r;

	/* placed already (from its cgroup, or found again at start-up), or tracked otherwise
	 * since (an init that exec'd a runner agent) */
	if (probes__tracked(p, tgid) || pid_cgroup__read((pid_t)tgid, &ref, &paths) <= 0)
		return;
	h = malloc(sizeof(*h));
	if (!h)
		return;
	read_hints(p, &ref, (pid_t)tgid, h);
	r = decide(p, &ref, &paths, h, key->start_ns, &pl);
	if (r > 0 || pl) {
		init_placed(p, pl, tgid);
	} else if (r < 0) {
		/* named, and no job's: forgotten, and its processes are not looked at again */
		bpf_map_delete_elem(bpf_map__fd(p->skel->maps.inits_map), &tgid);
		probes__bit_clear(p, tgid);
	}
	/* else its first processes may say (a Gitea job container's steps carry the marks) */
	free(h);
}

void groups_container_exit(struct probes *p, __u32 tgid)
{
	struct rs_init in;
	int fd = bpf_map__fd(p->skel->maps.inits_map);

	/* placed by now or never: a container that ran nothing a job's */
	if (!bpf_map_lookup_elem(fd, &tgid, &in) && in.state == RS_STATE_FINISHED)
		bpf_map_delete_elem(fd, &tgid);
}

/* a process exec'd in a container not placed yet: its environment may place it */
void groups_container_exec(struct probes *p, __u32 tgid, const struct rs_key *init)
{
	struct hint_vals *h = malloc(sizeof(*h));
	struct cgroup_paths paths;
	struct container_ref ref;
	struct placed *pl;
	struct job_hint jh;
	struct group *g;

	if (!h)
		return;
	read_hints(p, NULL, (pid_t)tgid, h);
	/* the container is this process's (its init may be gone) */
	if (kinds__classify(NULL, &h->kv, &jh) > 0 &&
	    (g = group_get(p, &jh, init->start_ns, NULL)) &&
	    pid_cgroup__read((pid_t)tgid, &ref, &paths) > 0) {
		/* the init only holds the container; this process is a step */
		pl = place(p, &ref, &paths, &g->key, g->runner, jh.kind, 0, "job", g->hkey);
		init_placed(p, pl, init->tgid);
		join(p, &g->key, tgid, jh.kind, 1);
	}
	free(h);
}

void intake_found_container(struct probes *p, uint32_t tgid, uint64_t start_ns)
{
	struct rs_key k = { .tgid = tgid, .start_ns = start_ns };

	pthread_mutex_lock(&p->lock);
	groups_container_init(p, tgid, &k);
	pthread_mutex_unlock(&p->lock);
}

/* jobs of several processes end once none of their processes has been alive for a while */
void placed_end_idle(struct probes *p)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	struct group *g, *t;
	struct live_cpu *l;

	HASH_ITER(hh, p->groups, g, t) {
		if (g->ended_at) {
			if (now - g->ended_at > GROUP_KEEP_NS) {
				HASH_DEL(p->groups, g);
				free(g);
			}
			continue;
		}
		HASH_FIND(hh, p->live, &g->key, sizeof(g->key), l);
		if (l) {
			g->idle_since = 0;
			continue;
		}
		if (!g->idle_since)
			g->idle_since = now;
		/* one with its job container there (or stopped between GitLab's stages) ends
		 * when that is removed, not when idle */
		if (now - g->idle_since >= p->end_idle_ns && !placed_holds(p, g->hkey))
			group_end(p, g, "idle");
	}
	placed_stopped(p);
}

void placed_free(struct probes *p)
{
	struct placed *pl, *t;

	HASH_ITER(hh, p->placed, pl, t) {
		HASH_DEL(p->placed, pl);
		free(pl);
	}
}
