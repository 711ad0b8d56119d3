// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Jobs of several processes in turn (Gitea's and GitLab's, see ci/jobid.h): the record made
 * for each, the processes that join it, and its end: once idle, or when its job container is
 * removed. (The containers a job starts are placed in it by placing.c.)
 */
#include <bpf/bpf.h>
#include "lib/clock.h"
#include "lib/log.h"
#include "enrich/procfs.h"
#include "kernel/probes_priv.h"
#include "enrich/pid_cgroup.h"
#include "intake/intake_priv.h"
#include "ci/kinds/kinds.h"

static int key_is_zero(const struct rs_key *k)
{
	return k->tgid == 0 && k->start_ns == 0;
}

void read_hints(struct probes *p, const struct container_ref *ref, pid_t pid, struct hint_vals *h)
{
	int n, n_env;
	const char *const *keys = kinds__keys(&n, &n_env);

	memset(h->name, 0, sizeof(h->name));
	memset(h->pod, 0, sizeof(h->pod));
	h->docker = 0;
	for (int i = 0; i < n; i++) {
		h->v[i] = h->buf[i];
		h->buf[i][0] = '\0';
	}
	h->kv = kinds__vals((const char *const *)h->v);
	if (ref && ref->runtime == RUNTIME_DOCKER && !ref->nested) {
		struct proc_stat st;

		h->docker = p->docker_root[0] &&
			    !runtime_files__docker_meta(p->docker_root, ref->id, h->name,
						    sizeof(h->name), keys, h->v, NAME_LEN, n);
		/*
		 * not the host engine's: an engine in a container (a dind sidecar, whose
		 * containers land at the host's /docker/<id> when it has no cgroup namespace)
		 * keeps its files in that container's filesystem, which the container's shim,
		 * the init's parent, has as its root
		 */
		if (!h->docker && pid && !procfs__stat(pid, &st) && st.ppid > 1)
			h->docker = !runtime_files__docker_meta_in(st.ppid, ref->id, h->name,
							       sizeof(h->name), keys, h->v,
							       NAME_LEN, n);
	} else if (ref && ref->id[0] && ref->pod_uid[0] && p->runtime_root[0]) {
		/* a pod's container (not its sandbox, which has no container name): its pod's
		 * name from the CRI bundle, found through the runtime's shim above pid */
		struct container_names n = {};

		runtime_bundle__names(p->runtime_root, ref->runtime, ref->id, pid, &n, NULL, 0);
		/* else kubelet's log link, there once the container has started */
		if (!n.pod[0])
			containers__kubelet_names(p->kubelet_log_dir, ref->id, &n);
		memcpy(h->pod, n.pod, sizeof(h->pod));
		memcpy(h->name, n.name, sizeof(h->name));
	}
	if (!h->docker && pid)
		procfs__getenv_many(pid, keys, h->v, NAME_LEN, n_env);
}

struct group *group_get(struct probes *p, const struct job_hint *h, uint64_t start_ns,
			const struct rs_key *agent)
{
	struct rs_key runner = {};
	struct group *g;
	char hkey[sizeof(g->hkey)];

	snprintf(hkey, sizeof(hkey), "%d/%s", h->kind, h->id);
	HASH_FIND_STR(p->groups, hkey, g);
	if (g)
		return g->ended_at ? NULL : g;
	g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	memcpy(g->hkey, hkey, sizeof(hkey));
	snprintf(g->runner, sizeof(g->runner), "%s", h->runner);
	if (agent)
		runner = *agent;
	else
		state__pick_agent(p->state, h->kind, h->runner, h->tag, &runner);
	/* tgid 0: no process has it, so the kernel never ends the job; a start taken already
	 * by another job moves on a nanosecond */
	g->key.start_ns = start_ns ? start_ns : clock_ns(CLOCK_BOOTTIME);
	for (int i = 0; i < 64; i++, g->key.start_ns++) {
		int err = intake_seed_job(p, &g->key, &runner, h->kind, 0);

		if (!err)
			break;
		if (err != -EEXIST || i == 63) {
			pr_warn("no record for %s job %s: %s", kinds__name(h->kind), h->id,
				strerror(-err));
			free(g);
			return NULL;
		}
	}
	if (key_is_zero(&runner))
		state__name_job(p->state, &g->key, h->kind, h->runner);
	HASH_ADD_STR(p->groups, hkey, g);
	pr_debug("%s job %s started, runner pid %u", kinds__name(h->kind), h->id, runner.tgid);
	return g;
}

void part_ended(struct probes *p, const struct rs_key *job, int step, int code, uint64_t end_ns,
		int joined)
{
	int fd = bpf_map__fd(p->skel->maps.jobs_map);
	struct rs_job j;

	if (bpf_map_lookup_elem(fd, job, &j))
		return;
	if (end_ns > j.last_exit_ns)
		j.last_exit_ns = end_ns;
	if (step && code)
		j.failed_steps++;
	if (joined && j.live_procs)
		j.live_procs--;
	bpf_map_update_elem(fd, job, &j, BPF_EXIST);
}

/* 1 when process tgid is gone, a zombie, or on its way out (PF_EXITING: its exit program may
 * have run) */
static int exiting(__u32 tgid)
{
	struct proc_stat st;

	return procfs__stat((pid_t)tgid, &st) || st.state == 'Z' || st.state == 'X' ||
	       (st.flags & 0x4);
}

int join(struct probes *p, const struct rs_key *job, __u32 tgid, int kind, int step)
{
	int jobs = bpf_map__fd(p->skel->maps.jobs_map), procs = bpf_map__fd(p->skel->maps.procs_map);
	int err, had;
	struct rs_proc pr = {};
	struct rs_job j;

	if (bpf_map_lookup_elem(jobs, job, &j))
		return -ENOENT;
	had = !bpf_map_lookup_elem(procs, &tgid, &pr);
	if (had && !key_is_zero(&pr.job))
		return -EEXIST; /* in a job already */
	pr.job = *job;
	if (key_is_zero(&pr.runner))
		pr.runner = j.runner;
	pr.kind = (__u8)kind;
	pr.flags = step ? RS_PROC_STEP : 0;
	/* one untracked until now may have joined meanwhile (a task attached to a placed
	 * container's cgroup): the programs counted it then */
	if ((err = probes__add_proc(p, tgid, &pr, had ? BPF_EXIST : BPF_NOEXIST)))
		return err;
	/* the kernel counts the processes it adds atomically; this count races only with a
	 * fork or exit in this same job at this same moment */
	if (!bpf_map_lookup_elem(jobs, job, &j)) {
		j.live_procs++;
		j.total_procs++;
		bpf_map_update_elem(jobs, job, &j, BPF_EXIST);
	}
	/*
	 * A process read from a cgroup may have ended before it was added (runc's short-lived
	 * start-up processes): its exit, gone by, will never take it out. Whoever deletes its
	 * entry owns its end (the exit program reports only if it deletes it), so one that is
	 * exiting or gone is taken out here, unless its exit has done so already.
	 */
	if (exiting(tgid) && !bpf_map_delete_elem(procs, &tgid) &&
	    !bpf_map_lookup_elem(jobs, job, &j) && j.live_procs) {
		j.live_procs--;
		bpf_map_update_elem(jobs, job, &j, BPF_EXIST);
	}
	return 0;
}

int in_job(struct probes *p, __u32 tgid)
{
	struct rs_proc pr;

	return !bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.procs_map), &tgid, &pr) &&
	       !key_is_zero(&pr.job);
}

/*
 * A process of a Gitea or GitLab agent's tree exec'd outside any job. If its environment names
 * a job, it and its ancestors up to the agent's child (the step or stage, whose exit counts)
 * join that job.
 */
void groups_agent_exec(struct probes *p, __u32 tgid, const struct rs_key *agent, int kind)
{
	struct hint_vals *h;
	__u32 chain[64];
	struct proc_stat st;
	struct job_hint jh;
	struct group *g;
	int n = 0;

	if (in_job(p, tgid))
		return;
	h = malloc(sizeof(*h));
	if (!h)
		return;
	read_hints(p, NULL, (pid_t)tgid, h);
	if (kinds__classify(NULL, &h->kv, &jh) <= 0 || jh.kind != kind)
		goto out;
	for (__u32 cur = tgid; n < 64; n++) {
		chain[n] = cur;
		if (procfs__stat((pid_t)cur, &st) || st.ppid <= 1)
			goto out; /* gone, or not under the agent after all */
		if ((__u32)st.ppid == agent->tgid)
			break;
		cur = (__u32)st.ppid;
	}
	if (n == 64)
		goto out;
	g = group_get(p, &jh, st.start_ns, agent);
	if (!g)
		goto out;
	for (int i = 0; i <= n; i++)
		join(p, &g->key, chain[i], kind, i == n);
out:
	free(h);
}

void group_end(struct probes *p, struct group *g, const char *why)
{
	int fd = bpf_map__fd(p->skel->maps.jobs_map);
	struct rs_job j;

	if (g->ended_at)
		return;
	g->ended_at = clock_ns(CLOCK_MONOTONIC);
	if (bpf_map_lookup_elem(fd, &g->key, &j) || j.state == RS_STATE_FINISHED)
		return;
	/* at its last exit, as the kernel would have ended it */
	j.state = RS_STATE_FINISHED;
	j.end_ns = j.last_exit_ns > g->key.start_ns ? j.last_exit_ns : g->key.start_ns;
	j.exit_code = j.failed_steps ? 1 << 8 : 0;
	j.live_procs = 0;
	bpf_map_update_elem(fd, &g->key, &j, BPF_EXIST);
	pr_debug("job %s ended (%s) after %u processes, %u failed steps", g->hkey, why,
		 j.total_procs, j.failed_steps);
}

static int restored_id(struct probes *p, const struct rs_key *job, char *hkey, size_t sz)
{
	int fd = bpf_map__fd(p->skel->maps.procs_map), found = -ENOENT;
	struct hint_vals *h = malloc(sizeof(*h));
	__u32 tgid, next;
	struct rs_proc pr;
	struct job_hint jh;

	if (!h)
		return -ENOMEM;
	for (int more = !bpf_map_get_next_key(fd, NULL, &next); more && found;) {
		tgid = next;
		more = !bpf_map_get_next_key(fd, &tgid, &next);
		if (bpf_map_lookup_elem(fd, &tgid, &pr) || memcmp(&pr.job, job, sizeof(*job)))
			continue;
		struct container_ref ref;

		read_hints(p, pid_cgroup__read((pid_t)tgid, &ref, NULL) > 0 ? &ref : NULL, (pid_t)tgid, h);
		if (kinds__classify(h->name, &h->kv, &jh) > 0 ||
		    (read_hints(p, NULL, (pid_t)tgid, h), kinds__classify(NULL, &h->kv, &jh) > 0)) {
			snprintf(hkey, sz, "%d/%s", jh.kind, jh.id);
			found = 0;
		}
	}
	free(h);
	return found;
}

/*
 * Jobs of several processes an earlier daemon made: they end when idle, as if this daemon had
 * made them (a process of one that starts from now on is taken for a new job's)
 */
void groups_restore(struct probes *p)
{
	int fd = bpf_map__fd(p->skel->maps.jobs_map), n = 0;
	struct rs_key key, next;
	struct rs_job j;

	for (int more = !bpf_map_get_next_key(fd, NULL, &next); more;) {
		struct group *g;

		key = next;
		more = !bpf_map_get_next_key(fd, &key, &next);
		if (key.tgid || bpf_map_lookup_elem(fd, &key, &j) || j.state == RS_STATE_FINISHED)
			continue;
		g = calloc(1, sizeof(*g));
		if (!g)
			break;
		g->key = key;
		/* its id again, from a process of it still alive (in an idle gap, none is) */
		if (restored_id(p, &key, g->hkey, sizeof(g->hkey)))
			snprintf(g->hkey, sizeof(g->hkey), "restored/%llu",
				 (unsigned long long)key.start_ns);
		HASH_ADD_STR(p->groups, hkey, g);
		n++;
	}
	if (n)
		pr_info("%d jobs of several processes carried over from before", n);
}

void intake_found_agent_process(struct probes *p, uint32_t tgid, const struct rs_key *agent,
				 int kind)
{
	pthread_mutex_lock(&p->lock);
	groups_agent_exec(p, tgid, agent, kind);
	pthread_mutex_unlock(&p->lock);
}
