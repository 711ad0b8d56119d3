// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <uthash.h>
#include "probes.h"
#include "detect.h"
#include "log.h"
#include "state.h"
#include "jobs.skel.h"

/* live CPU of one job, summed from iter_job_cpu's records */
struct live_cpu {
	UT_hash_handle hh;
	struct rs_key key;
	struct job_cpu cpu;
};

struct probes {
	/* one reader of the records at a time (event loop, reconcile, a scrape's refresh): a
	 * record consumed by one and re-read by another would count twice */
	pthread_mutex_t lock;
	struct jobs_bpf *skel;
	struct live_cpu *live;
	struct ring_buffer *rb;
	struct state *state;
	enum probes_attach mode;
};

static const char *const event_names[RS_EV_MAX] = {
	[RS_EV_AGENT_START] = "agent_start", [RS_EV_AGENT_EXIT] = "agent_exit",
	[RS_EV_JOB_START] = "job_start",     [RS_EV_JOB_EXIT] = "job_exit",
	[RS_EV_FORK] = "fork",		     [RS_EV_EXIT] = "exit",
	[RS_EV_OOM] = "oom",		     [RS_EV_JOB_EXEC] = "job_exec",
};

const char *probes_event_name(int type)
{
	return type >= 0 && type < RS_EV_MAX ? event_names[type] : "unknown";
}

const char *probes__attach_name(const struct probes *p)
{
	return p->mode == ATTACH_RAW_TP ? "raw_tp" : "tp_btf";
}

static int has_cap(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {};

	if (syscall(SYS_capget, &hdr, data))
		return 0;
	return !!(data[cap / 32].effective & (1U << (cap % 32)));
}

/* one clear line for what the host lacks, before libbpf gets to say it at length */
static int preflight(void)
{
	if (!has_cap(CAP_SYS_ADMIN) && !(has_cap(CAP_BPF) && has_cap(CAP_PERFMON))) {
		pr_err("missing privilege: loading BPF programs needs CAP_BPF and CAP_PERFMON (or "
		       "CAP_SYS_ADMIN); run runnerscope as root");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		pr_err("missing kernel feature: no BTF at /sys/kernel/btf/vmlinux; runnerscope "
		       "needs Linux 5.8 or later built with CONFIG_DEBUG_INFO_BTF=y");
		return -ENOTSUP;
	}
	if (libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) != 1) {
		pr_err("missing kernel feature: BPF ring buffers; runnerscope needs Linux 5.8 or "
		       "later");
		return -ENOTSUP;
	}
	return 0;
}

static int set_rules(struct jobs_bpf *skel)
{
	struct rs_rule_key keys[32];
	struct rs_rule vals[32];
	int n = detect_rules_build(keys, vals, 32);

	for (int i = 0; i < n; i++) {
		if (bpf_map_update_elem(bpf_map__fd(skel->maps.rules_map), &keys[i], &vals[i],
					BPF_ANY))
			return -errno;
	}
	return 0;
}

/*
 * What oom:mark_victim passes: the victim task since Linux 6.8, its pid before. 1 for the
 * task, 0 for the pid, -1 when the kernel has no such tracepoint.
 */
static int mark_victim_takes_task(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	const struct btf_type *t;
	int id, ret = -1;

	if (!btf)
		return -1;
	id = btf__find_by_name_kind(btf, "btf_trace_mark_victim", BTF_KIND_TYPEDEF);
	t = id > 0 ? btf__type_by_id(btf, btf__type_by_id(btf, id)->type) : NULL;
	if (t && btf_is_ptr(t))
		t = btf__type_by_id(btf, t->type);
	if (t && btf_is_func_proto(t) && btf_vlen(t) >= 2) {
		const struct btf_type *a = btf__type_by_id(btf, btf_params(t)[1].type);

		while (a && (btf_is_typedef(a) || btf_is_mod(a)))
			a = btf__type_by_id(btf, a->type);
		ret = a && btf_is_ptr(a);
	}
	btf__free(btf);
	return ret;
}

static struct jobs_bpf *open_and_load(const struct probes_opts *opts, enum probes_attach mode,
				      int *err)
{
	struct jobs_bpf *skel = jobs_bpf__open();
	int raw = mode == ATTACH_RAW_TP, oom;

	if (!skel) {
		*err = -errno;
		return NULL;
	}
	bpf_program__set_autoload(skel->progs.tp_btf_handle_exec, !raw);
	bpf_program__set_autoload(skel->progs.tp_btf_handle_fork, !raw);
	bpf_program__set_autoload(skel->progs.tp_btf_handle_exit, !raw);
	bpf_program__set_autoload(skel->progs.raw_tp_handle_exec, raw);
	bpf_program__set_autoload(skel->progs.raw_tp_handle_fork, raw);
	bpf_program__set_autoload(skel->progs.raw_tp_handle_exit, raw);
	if (opts->ringbuf_bytes)
		bpf_map__set_max_entries(skel->maps.events_rb, opts->ringbuf_bytes);
	skel->rodata->page_size = (__u64)sysconf(_SC_PAGESIZE);
	oom = mark_victim_takes_task();
	if (oom < 0)
		pr_warn("kernel has no oom:mark_victim tracepoint: OOM kills are not counted per job");
	skel->rodata->oom_arg_is_task = oom > 0;
	bpf_program__set_autoload(skel->progs.handle_mark_victim, oom >= 0);
	*err = jobs_bpf__load(skel);
	if (*err) {
		jobs_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

/* the state is done with a job: its records go */
static void forget_job(struct probes *p, const struct rs_key *key)
{
	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.jobs_map), key);
	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.ctx_map), key);
}

static int handle_event(void *ctx, void *data, size_t len)
{
	struct probes *p = ctx;
	const struct rs_event *e = data;
	struct rs_agent a;
	struct rs_job j;

	if (len < sizeof(*e))
		return 0;
	pthread_mutex_lock(&p->lock);
	/* the event says which record changed; the record says what is true */
	switch (e->type) {
	case RS_EV_AGENT_START:
	case RS_EV_AGENT_EXIT:
		if (!bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.agents_map), &e->key, &a) &&
		    state__agent(p->state, &e->key, &a))
			bpf_map_delete_elem(bpf_map__fd(p->skel->maps.agents_map), &e->key);
		break;
	case RS_EV_JOB_START:
	case RS_EV_JOB_EXIT:
		if (!bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.jobs_map), &e->key, &j) &&
		    state__job(p->state, &e->key, &j, NULL))
			forget_job(p, &e->key);
		break;
	case RS_EV_JOB_EXEC:
		if (state__job_context(p->state, &e->key, (pid_t)e->tgid))
			bpf_map_delete_elem(bpf_map__fd(p->skel->maps.ctx_map), &e->key);
		break;
	}
	pthread_mutex_unlock(&p->lock);
	return 0;
}

struct probes *probes__new(const struct probes_opts *opts, struct state *state)
{
	struct probes *p;
	int err;

	err = preflight();
	if (err) {
		errno = -err;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	p->state = state;
	p->mode = opts->attach == ATTACH_RAW_TP ? ATTACH_RAW_TP : ATTACH_TP_BTF;
	p->skel = open_and_load(opts, p->mode, &err);
	if (!p->skel && opts->attach == ATTACH_AUTO) {
		pr_info("tp_btf programs did not load (%s); falling back to raw_tp", strerror(-err));
		p->mode = ATTACH_RAW_TP;
		p->skel = open_and_load(opts, p->mode, &err);
	}
	if (!p->skel) {
		pr_err("failed to load BPF programs (%s): %s; --log.level=debug shows the verifier's "
		       "log", probes__attach_name(p), strerror(-err));
		goto fail;
	}
	err = set_rules(p->skel);
	if (err) {
		pr_err("failed to fill rules_map: %s", strerror(-err));
		goto fail;
	}
	err = jobs_bpf__attach(p->skel);
	if (err) {
		pr_err("failed to attach BPF programs (%s): %s", probes__attach_name(p),
		       strerror(-err));
		goto fail;
	}
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events_rb), handle_event, p, NULL);
	if (!p->rb) {
		err = -errno;
		pr_err("failed to open the events ring buffer: %s", strerror(-err));
		goto fail;
	}
	pr_info("bpf programs attached via %s", probes__attach_name(p));
	return p;
fail:
	probes__free(p);
	errno = -err;
	return NULL;
}

void probes__free(struct probes *p)
{
	struct live_cpu *l, *t;

	if (!p)
		return;

	ring_buffer__free(p->rb);
	jobs_bpf__destroy(p->skel);
	HASH_ITER(hh, p->live, l, t) {
		HASH_DEL(p->live, l);
		free(l);
	}
	pthread_mutex_destroy(&p->lock);
	free(p);
}

int probes__poll(struct probes *p, int timeout_ms)
{
	int n = ring_buffer__poll(p->rb, timeout_ms);

	if (n == -EINTR)
		return 0;
	return n < 0 ? n : 0;
}

/*
 * One pass over a map; the callback says whether the record may go, and it goes at once: the
 * state has forgotten it, so a record left behind would be counted again on the next pass.
 * The next key is fetched before the current one can be deleted, so the walk never restarts.
 * Only the daemon deletes these records, so the fetched key stays valid.
 */
static void reconcile_map(struct probes *p, int fd, size_t vsize,
			  int (*take)(struct probes *, const struct rs_key *, const void *))
{
	struct rs_key key, next;
	char val[128];
	int more;

	if (vsize > sizeof(val))
		return;
	more = !bpf_map_get_next_key(fd, NULL, &key);
	while (more) {
		more = !bpf_map_get_next_key(fd, &key, &next);
		if (!bpf_map_lookup_elem(fd, &key, val) && take(p, &key, val))
			bpf_map_delete_elem(fd, &key);
		key = next;
	}
}

/* agents start before their jobs and exit after them: starts, then jobs, then exits */
static int take_agent_start(struct probes *p, const struct rs_key *k, const void *v)
{
	const struct rs_agent *a = v;

	return a->state == RS_STATE_RUNNING ? state__agent(p->state, k, a) : 0;
}

static int take_agent_exit(struct probes *p, const struct rs_key *k, const void *v)
{
	const struct rs_agent *a = v;

	return a->state == RS_STATE_FINISHED ? state__agent(p->state, k, a) : 0;
}

static int take_job(struct probes *p, const struct rs_key *k, const void *v)
{
	struct live_cpu *l;
	int done;

	HASH_FIND(hh, p->live, k, sizeof(*k), l);
	done = state__job(p->state, k, v, l ? &l->cpu : NULL);
	if (done)
		bpf_map_delete_elem(bpf_map__fd(p->skel->maps.ctx_map), k);
	return done;
}

/* sums iter_job_cpu's records per job into p->live; the previous pass's sums are dropped */
static void read_live_cpu(struct probes *p)
{
	struct rs_task_cpu recs[64];
	struct live_cpu *l, *t;
	int fd;

	HASH_ITER(hh, p->live, l, t) {
		HASH_DEL(p->live, l);
		free(l);
	}
	fd = bpf_iter_create(bpf_link__fd(p->skel->links.iter_job_cpu));
	if (fd < 0) {
		pr_warn("failed to walk tasks for job CPU: %s", strerror(errno));
		return;
	}
	for (;;) {
		ssize_t n = read(fd, recs, sizeof(recs));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (size_t i = 0; i < (size_t)n / sizeof(recs[0]); i++) {
			HASH_FIND(hh, p->live, &recs[i].job, sizeof(recs[i].job), l);
			if (!l) {
				l = calloc(1, sizeof(*l));
				if (!l)
					continue;
				l->key = recs[i].job;
				HASH_ADD(hh, p->live, key, sizeof(l->key), l);
			}
			l->cpu.run_ns += recs[i].run_ns;
			l->cpu.utime_ns += recs[i].utime_ns;
			l->cpu.stime_ns += recs[i].stime_ns;
		}
	}
	close(fd);
}

void probes__reconcile(struct probes *p)
{
	int agents = bpf_map__fd(p->skel->maps.agents_map);
	int jobs = bpf_map__fd(p->skel->maps.jobs_map);
	struct rs_key any;

	pthread_mutex_lock(&p->lock);
	/* walking every task is worth it only while some job has a record */
	if (!bpf_map_get_next_key(jobs, NULL, &any))
		read_live_cpu(p);
	reconcile_map(p, agents, sizeof(struct rs_agent), take_agent_start);
	reconcile_map(p, jobs, sizeof(struct rs_job), take_job);
	reconcile_map(p, agents, sizeof(struct rs_agent), take_agent_exit);
	pthread_mutex_unlock(&p->lock);
}

int probes__event_counts(struct probes *p, struct rs_event_count out[RS_EV_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	struct rs_event_count *per;
	int fd = bpf_map__fd(p->skel->maps.events_total);

	if (ncpu <= 0)
		return ncpu;
	per = calloc((size_t)ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	memset(out, 0, sizeof(*out) * RS_EV_MAX);
	for (__u32 t = 0; t < RS_EV_MAX; t++) {
		if (bpf_map_lookup_elem(fd, &t, per))
			continue;
		for (int c = 0; c < ncpu; c++) {
			out[t].sent += per[c].sent;
			out[t].lost += per[c].lost;
		}
	}
	free(per);
	return 0;
}

int probes__seed_agent(struct probes *p, const struct rs_key *key, int kind)
{
	struct rs_agent a = { .kind = (__u8)kind, .state = RS_STATE_RUNNING };

	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.agents_map), key, &a, BPF_NOEXIST))
		return -errno;
	return 0;
}

int probes__seed_job(struct probes *p, const struct rs_key *key, const struct rs_key *runner,
		     int kind, uint32_t procs)
{
	struct rs_job j = {
		.runner = *runner,
		.kind = (__u8)kind,
		.state = RS_STATE_RUNNING,
		.live_procs = procs,
		.total_procs = procs,
	};

	__u32 hints = RS_CTX_HINTS;

	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.jobs_map), key, &j, BPF_NOEXIST))
		return -errno;
	bpf_map_update_elem(bpf_map__fd(p->skel->maps.ctx_map), key, &hints, BPF_ANY);
	return 0;
}

int probes__seed_proc(struct probes *p, uint32_t tgid, const struct rs_proc *proc)
{
	/* an entry the kernel made since the programs were attached is newer: keep it */
	if (bpf_map_update_elem(bpf_map__fd(p->skel->maps.procs_map), &tgid, proc, BPF_NOEXIST))
		return -errno;
	return 0;
}
