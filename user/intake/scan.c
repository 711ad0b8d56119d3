// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/probes_priv.h"
#include "intake/intake_priv.h"
#include "ci/detect.h"
#include "ci/kinds/kinds.h"
#include "lib/log.h"
#include "kernel/probes.h"
#include "enrich/procfs.h"

struct sproc {
	pid_t pid, ppid;
	uint64_t start_ns;
	int role, kind;
	int agent, job; /* index of the nearest agent / job at or above, -1 for none */
	int ns_init; /* the first process of a PID namespace: a container's init */
	uint32_t job_procs;
};

static int by_pid(const void *a, const void *b)
{
	const struct sproc *x = a, *y = b;

	return (x->pid > y->pid) - (x->pid < y->pid);
}

static int find(struct sproc *v, int n, pid_t pid)
{
	struct sproc k = { .pid = pid }, *r = bsearch(&k, v, (size_t)n, sizeof(*v), by_pid);

	return r ? (int)(r - v) : -1;
}

/* pid 1 of a PID namespace below the host's: "NSpid: <pid> … 1" */
static int ns_init(pid_t pid)
{
	char buf[2048], *l;
	size_t len;
	int fields = 0;

	if (procfs__read(pid, "status", buf, sizeof(buf), &len))
		return 0;
	l = strstr(buf, "\nNSpid:");
	if (!l)
		return 0;
	l += 7;
	for (char *tok = strtok(l, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
		if (!isdigit((unsigned char)tok[0]))
			break;
		fields++;
		if (fields >= 2 && !strcmp(tok, "1"))
			return 1;
	}
	return 0;
}

static int collect(struct sproc **out)
{
	struct sproc *v = NULL;
	int n = 0, cap = 0;
	struct dirent *de;
	DIR *d = opendir(procfs__root());

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct proc_stat st;
		char arg1[64];
		int has_arg1 = 0;
		pid_t pid;

		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		pid = (pid_t)strtol(de->d_name, NULL, 10);
		if (procfs__stat(pid, &st))
			continue; /* gone already */
		if (n == cap) {
			struct sproc *nv = realloc(v, sizeof(*v) * (size_t)(cap ? cap * 2 : 512));

			if (!nv) {
				free(v);
				closedir(d);
				return -ENOMEM;
			}
			v = nv;
			cap = cap ? cap * 2 : 512;
		}
		memset(&v[n], 0, sizeof(v[n]));
		v[n].pid = pid;
		v[n].ppid = st.ppid;
		v[n].start_ns = st.start_ns;
		/* argv[1] is read only for names in the table */
		if (detect__is_candidate(st.comm) && !procfs__arg1(pid, arg1, sizeof(arg1), &has_arg1))
			v[n].role = detect__classify(st.comm, has_arg1 ? arg1 : NULL, &v[n].kind);
		v[n].ns_init = ns_init(pid);
		n++;
	}
	closedir(d);
	*out = v;
	return n;
}

/* nearest agent and job at or above each process, following ppid */
static void resolve(struct sproc *v, int n)
{
	for (int i = 0; i < n; i++) {
		int cur = i, depth = 0;

		v[i].agent = v[i].job = -1;
		while (cur >= 0 && depth++ < 512) {
			if (v[cur].role == RS_ROLE_JOB && v[i].job < 0 && v[i].agent < 0)
				v[i].job = cur;
			if (v[cur].role == RS_ROLE_AGENT && v[i].agent < 0)
				v[i].agent = cur;
			if (v[cur].ppid <= 0 || v[cur].ppid == v[cur].pid)
				break;
			cur = find(v, n, v[cur].ppid);
		}
		if (v[i].job >= 0)
			v[v[i].job].job_procs++;
	}
}

static struct rs_key key_of(const struct sproc *s)
{
	struct rs_key k = { .tgid = (__u32)s->pid, .start_ns = s->start_ns };

	return k;
}

int intake__scan(struct probes *p)
{
	struct sproc *v = NULL;
	int n = collect(&v), seeded = 0, agents = 0, jobs = 0;

	if (n < 0)
		return n;
	qsort(v, (size_t)n, sizeof(*v), by_pid);
	resolve(v, n);

	for (int i = 0; i < n; i++) {
		struct rs_key none = {}, k = key_of(&v[i]);

		/* pinned programs followed it from its exec: the kernel's record (keyed by the
		 * exact exec time, which /proc only approximates) is the one */
		if (probes__tracked(p, (uint32_t)v[i].pid))
			continue;
		if (v[i].role == RS_ROLE_AGENT && !intake_seed_agent(p, &k, v[i].kind))
			agents++;
		if (v[i].role == RS_ROLE_JOB && v[i].job == i) {
			struct rs_key rk = v[i].agent >= 0 ? key_of(&v[v[i].agent]) : none;

			if (!intake_seed_job(p, &k, &rk, v[i].kind, v[i].job_procs))
				jobs++;
		}
	}
	for (int i = 0; i < n; i++) {
		struct rs_proc pr = {};

		if (v[i].agent < 0 && v[i].job < 0)
			continue;
		if (v[i].agent >= 0) {
			pr.runner = key_of(&v[v[i].agent]);
			pr.kind = (__u8)v[v[i].agent].kind;
		}
		if (v[i].job >= 0) {
			pr.job = key_of(&v[v[i].job]);
			pr.kind = (__u8)v[v[i].job].kind;
		}
		if (!probes__seed_proc(p, (uint32_t)v[i].pid, &pr))
			seeded++;
	}
	/* then what only the daemon tells apart: Gitea and GitLab jobs, by their containers'
	 * names and their processes' environment */
	for (int i = 0; i < n; i++) {
		if (v[i].ns_init && v[i].agent < 0 && v[i].job < 0)
			intake_found_container(p, (uint32_t)v[i].pid, v[i].start_ns);
		else if (v[i].agent >= 0 && v[i].job < 0 && v[i].role == RS_ROLE_NONE &&
			 kinds__has(v[v[i].agent].kind, KIND_ENV_JOBS)) {
			struct rs_key ak = key_of(&v[v[i].agent]);

			intake_found_agent_process(p, (uint32_t)v[i].pid, &ak, v[v[i].agent].kind);
		}
	}
	pr_info("found %d runner agents and %d jobs already running (%d processes)", agents, jobs,
		seeded);
	free(v);
	/* and the containers there before: from now on the kernel's cgroup events tell */
	intake_found_cgroups(p);
	return seeded;
}
