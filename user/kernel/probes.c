// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdatomic.h>
#include <time.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <uthash.h>
#include "lib/clock.h"
#include "kernel/probes.h"
#include "kernel/bpflog.h"
#include "ci/detect.h"
#include "lib/log.h"
#include "kernel/pin.h"
#include "state/state.h"
#include "jobs.skel.h"
#include "enrich/cgroup_path.h"
#include "enrich/containers.h"
#include "ci/jobid.h"
#include "enrich/procfs.h"

#include "kernel/probes_priv.h"


static const char *const event_names[RS_EV_MAX] = {
	[RS_EV_AGENT_START] = "agent_start", [RS_EV_AGENT_EXIT] = "agent_exit",
	[RS_EV_JOB_START] = "job_start",     [RS_EV_JOB_EXIT] = "job_exit",
	[RS_EV_FORK] = "fork",		     [RS_EV_EXIT] = "exit",
	[RS_EV_OOM] = "oom",		     [RS_EV_JOB_EXEC] = "job_exec",
	[RS_EV_CTR_INIT] = "container_init", [RS_EV_CTR_EXIT] = "container_exit",
	[RS_EV_CTR_EXEC] = "container_exec", [RS_EV_AGENT_EXEC] = "agent_exec",
};

const char *probes_event_name(int type)
{
	return type >= 0 && type < RS_EV_MAX ? event_names[type] : "unknown";
}

const char *probes__attach_name(const struct probes *p)
{
	return p->mode == ATTACH_RAW_TP ? "raw_tp" : "tp_btf";
}

const char *probes__kernel_release(const struct probes *p)
{
	return p->kernel;
}

/* rules_map and its bloom filter, before the programs that read them run */
static int set_rules(struct jobs_bpf *skel)
{
	struct rs_rule_key keys[32];
	struct rs_rule vals[32];
	struct rs_bloom bloom = {};
	int n = detect_rules_build(keys, vals, 32);
	__u32 zero = 0;

	for (int i = 0; i < n; i++) {
		__u64 w[2];
		__u32 bit;

		if (bpf_map_update_elem(bpf_map__fd(skel->maps.rules_map), &keys[i], &vals[i],
					BPF_ANY))
			return -errno;
		memcpy(w, keys[i].comm, sizeof(w));
		bit = rs_comm_bit(w[0], w[1]);
		bloom.bits[bit >> 6] |= 1ULL << (bit & 63);
	}
	/* one update: the programs see the old filter or the new one, a superset of the old */
	if (bpf_map_update_elem(bpf_map__fd(skel->maps.rules_bloom), &zero, &bloom, BPF_ANY))
		return -errno;
	return 0;
}

/* maps that keep state across restarts, pinned under --bpf.pin-path by these names */
#define PIN_MAPS(X)                                                                                \
	X(meta) X(rules_map) X(procs_map) X(agents_map) X(jobs_map) X(ctx_map) X(events_total)    \
	X(runner_stats) X(job_acct) X(agent_acct) X(procs_bits) X(rules_bloom) X(inits_map)

static struct bpf_map *pin_map(struct jobs_bpf *skel, int i)
{
#define X(n) skel->maps.n,
	struct bpf_map *maps[] = { PIN_MAPS(X) };
#undef X
	return i < (int)(sizeof(maps) / sizeof(maps[0])) ? maps[i] : NULL;
}

const char *const probes_link_names[PROBES_LINKS] = { "link_exec", "link_fork", "link_exit",
					   "link_oom" };

/* link i of the programs of p's flavour; NULL-valued while they are not attached by p->skel */
struct bpf_link **probes_link(const struct probes *p, int i)
{
	struct jobs_bpf *skel = p->skel;

	if (i >= 3)
		return &skel->links.handle_mark_victim;
	if (p->mode != ATTACH_RAW_TP) {
		struct bpf_link **l[] = { &skel->links.tp_btf_handle_exec,
					  &skel->links.tp_btf_handle_fork,
					  &skel->links.tp_btf_handle_exit };
		return l[i];
	}
	if (p->raw_cur) {
		struct bpf_link **l[] = { &skel->links.raw_tp_cur_handle_exec,
					  &skel->links.raw_tp_cur_handle_fork,
					  &skel->links.raw_tp_cur_handle_exit };
		return l[i];
	}
	struct bpf_link **l[] = { &skel->links.raw_tp_handle_exec, &skel->links.raw_tp_handle_fork,
				  &skel->links.raw_tp_handle_exit };
	return l[i];
}

int probes_pin_file(const struct probes *p, const char *name, char *out, size_t sz)
{
	return snprintf(out, sz, "%s/%s", p->pin_path, name) >= (int)sz ? -ENAMETOOLONG : 0;
}

/* FNV-1a of the BPF object and the settings baked into it at load */
static __u64 build_hash(const struct probes_opts *opts, int oom)
{
	size_t sz;
	const unsigned char *b = jobs_bpf__elf_bytes(&sz);
	__u64 h = 0xcbf29ce484222325ULL, extra[3] = { (__u64)sysconf(_SC_PAGESIZE),
						       (__u64)(oom > 0),
						       opts->ringbuf_bytes ? opts->ringbuf_bytes :
									     256 * 1024 };

	for (size_t i = 0; i < sz; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	for (size_t i = 0; i < sizeof(extra); i++)
		h = (h ^ ((const unsigned char *)extra)[i]) * 0x100000001b3ULL;
	return h;
}

/*
 * RUNNERSCOPE_TEST_REJECT, the tests' way to have programs rejected: a comma-separated list of
 * tp_btf, raw_tp (both sets of raw_tp programs) and raw_tp_arg (those that read their arguments)
 */
static int test_reject(const struct probes *p)
{
	const char *e = getenv("RUNNERSCOPE_TEST_REJECT");
	char buf[128], *tok, *save = NULL;
	int reject = 0;

	if (!e || snprintf(buf, sizeof(buf), "%s", e) >= (int)sizeof(buf))
		return 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (p->mode != ATTACH_RAW_TP)
			reject |= !strcmp(tok, "tp_btf");
		else
			reject |= !strcmp(tok, "raw_tp") || (!p->raw_cur && !strcmp(tok, "raw_tp_arg"));
	}
	return reject;
}

static struct jobs_bpf *open_skel(const struct probes *p, const struct probes_opts *opts, int oom,
				  __u32 gen, int tracepoints)
{
	struct jobs_bpf *skel = jobs_bpf__open();
	int btf = p->mode != ATTACH_RAW_TP, arg = !btf && !p->raw_cur, cur = !btf && p->raw_cur;

	if (!skel)
		return NULL;
	bpf_program__set_autoload(skel->progs.tp_btf_handle_exec, tracepoints && btf);
	bpf_program__set_autoload(skel->progs.tp_btf_handle_fork, tracepoints && btf);
	bpf_program__set_autoload(skel->progs.tp_btf_handle_exit, tracepoints && btf);
	bpf_program__set_autoload(skel->progs.raw_tp_handle_exec, tracepoints && arg);
	bpf_program__set_autoload(skel->progs.raw_tp_handle_fork, tracepoints && arg);
	bpf_program__set_autoload(skel->progs.raw_tp_handle_exit, tracepoints && arg);
	bpf_program__set_autoload(skel->progs.raw_tp_cur_handle_exec, tracepoints && cur);
	bpf_program__set_autoload(skel->progs.raw_tp_cur_handle_fork, tracepoints && cur);
	bpf_program__set_autoload(skel->progs.raw_tp_cur_handle_exit, tracepoints && cur);
	bpf_program__set_autoload(skel->progs.handle_mark_victim, tracepoints && oom >= 0);
	if (opts->ringbuf_bytes)
		bpf_map__set_max_entries(skel->maps.events_rb, opts->ringbuf_bytes);
	skel->rodata->page_size = (__u64)sysconf(_SC_PAGESIZE);
	skel->rodata->oom_arg_is_task = oom > 0;
	skel->rodata->gen = gen;
	skel->rodata->test_reject = test_reject(p);
	return skel;
}

/* reuse (or create and pin at load) the pinned maps; the ring buffer too when asked */
static int set_pin_paths(struct probes *p, struct jobs_bpf *skel, int with_rb)
{
	char path[PATH_MAX];
	struct bpf_map *m;
	int err;

	for (int i = 0; (m = pin_map(skel, i)); i++) {
		if ((err = probes_pin_file(p, bpf_map__name(m), path, sizeof(path))) ||
		    (err = bpf_map__set_pin_path(m, path)))
			return err;
	}
	if (!with_rb)
		return 0;
	if ((err = probes_pin_file(p, "events_rb", path, sizeof(path))))
		return err;
	return bpf_map__set_pin_path(skel->maps.events_rb, path);
}

/* why the verifier rejected a program in the last load: its name and its log's last lines */
static char reject_reason[512];

/* a rejected program's verifier log: every line at debug level, uncut; the reason kept */
static void rejected(const char *prog, const char *log)
{
	size_t used;

	for (const char *line = log; *line;) {
		size_t n = strcspn(line, "\n");

		pr_debug("verifier: %s: %.*s", prog, (int)n, line);
		line += n + (line[n] == '\n');
	}
	used = (size_t)snprintf(reject_reason, sizeof(reject_reason), "%s: ", prog);
	if (used < sizeof(reject_reason))
		bpflog_reason(log, reject_reason + used, sizeof(reject_reason) - used);
}

/*
 * The verifier's logs go here, a slice for each program, so that the one written to names
 * the program rejected (libbpf closes every program of an object whose load failed). Fresh
 * anonymous pages, so zeroed: a log the kernel wrote to them in a failed load is initialised
 * memory to whoever reads it (valgrind cannot tell otherwise); only pages written to are ever
 * backed. Mapped, not malloc'ed: freeing a block this large would raise glibc's mmap
 * threshold, and the heap would keep what later allocations of that size leave behind.
 */
#define VERIFIER_LOG_SIZE (16UL << 20)
#define VERIFIER_LOGS 16

static int load_logged(struct jobs_bpf *skel)
{
	size_t len = VERIFIER_LOG_SIZE * VERIFIER_LOGS;
	char *vlog = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	struct bpf_program *prog;
	int err, i = 0;

	if (vlog == MAP_FAILED)
		vlog = NULL;
	/* libbpf asks for a log only when a load fails, and retries that one load with it */
	bpf_object__for_each_program(prog, skel->obj)
		if (vlog && i < VERIFIER_LOGS)
			bpf_program__set_log_buf(prog, vlog + VERIFIER_LOG_SIZE * i++,
						 VERIFIER_LOG_SIZE - 1);
	err = jobs_bpf__load(skel);
	i = 0;
	bpf_object__for_each_program(prog, skel->obj) {
		char *log = vlog ? vlog + VERIFIER_LOG_SIZE * i : NULL;

		if (err && log && i++ < VERIFIER_LOGS && log[0]) {
			rejected(bpf_program__name(prog), log);
			break;
		}
	}
	/* the object is not loaded again: its programs keep pointers into the unmapped logs */
	if (vlog)
		munmap(vlog, len);
	return err;
}

/* loads with tp_btf, then raw_tp if that fails and the choice was left to us */
static struct jobs_bpf *load(struct probes *p, const struct probes_opts *opts, int oom, __u32 gen,
			     int pins, int *err)
{
	for (;;) {
		struct jobs_bpf *skel = open_skel(p, opts, oom, gen, 1);

		reject_reason[0] = '\0';
		if (!skel) {
			*err = -errno;
			return NULL;
		}
		*err = pins ? set_pin_paths(p, skel, pins > 1) : 0;
		if (!*err)
			*err = load_logged(skel);
		/* filled before anything is attached or handed over */
		if (!*err)
			*err = set_rules(skel);
		if (!*err)
			return skel;
		jobs_bpf__destroy(skel);
		if (p->mode == ATTACH_RAW_TP && !p->raw_cur) {
			/* a kernel with the kfunc that still refuses it to raw_tp programs */
			pr_warn("raw_tp programs that read their arguments were not loaded (%s): "
				"loading those that read current through a helper, at a helper call's "
				"cost; --log.level=debug shows the verifier's whole log",
				reject_reason[0] ? reject_reason : strerror(-*err));
			p->raw_cur = 1;
			continue;
		}
		if (opts->attach != ATTACH_AUTO || p->mode == ATTACH_RAW_TP)
			return NULL;
		pr_warn("tp_btf programs were not loaded (%s): falling back to raw_tp, at the same "
			"cost; --log.level=debug shows the verifier's whole log",
			reject_reason[0] ? reject_reason : strerror(-*err));
		p->mode = ATTACH_RAW_TP;
	}
}

static int pin_links(struct probes *p)
{
	char path[PATH_MAX];
	int err;

	for (int i = 0; i < 4; i++) {
		struct bpf_link *l = *probes_link(p, i);

		if (!l)
			continue;
		if ((err = probes_pin_file(p, probes_link_names[i], path, sizeof(path))))
			return err;
		unlink(path);
		if ((err = bpf_link__pin(l, path)))
			return err;
	}
	/*
	 * The pins are the links' only owners from here on, whatever way we came by them (a fresh
	 * load, a replacement, adopted pins): removing a pin detaches its program, the same for
	 * every daemon, and probes__health() sees it.
	 */
	for (int i = 0; i < 4; i++) {
		struct bpf_link **l = probes_link(p, i);

		bpf_link__destroy(*l);
		*l = NULL;
	}
	return 0;
}

static int write_meta(struct probes *p, const struct rs_meta *m)
{
	__u32 zero = 0;

	return bpf_map_update_elem(bpf_map__fd(p->skel->maps.meta), &zero, m, BPF_ANY) ? -errno : 0;
}

/* what is pinned: 1 with *m filled when a meta of our layout is there, 0 when nothing is */
static int read_pinned(struct probes *p, struct rs_meta *m, int *others)
{
	char path[PATH_MAX];
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), zero = 0;
	struct dirent *de;
	DIR *d;
	int fd, ret = 0;

	*others = 0;
	if ((d = opendir(p->pin_path))) {
		while ((de = readdir(d)))
			*others += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
		closedir(d);
	}
	if (probes_pin_file(p, "meta", path, sizeof(path)) || (fd = bpf_obj_get(path)) < 0)
		return 0;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.value_size == sizeof(*m) &&
	    !bpf_map_lookup_elem(fd, &zero, m) && m->layout == RS_LAYOUT)
		ret = 1;
	close(fd);
	return ret;
}

/* every pinned map is there, and as this build would make it */
static int pinned_compatible(struct probes *p, struct jobs_bpf *skel)
{
	char path[PATH_MAX];
	struct bpf_map *m;
	int ok = 1;

	for (int i = 0; ok && (m = pin_map(skel, i)); i++) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		int fd;

		if (probes_pin_file(p, bpf_map__name(m), path, sizeof(path)))
			return 0;
		/* a map this build adds to the set is made and pinned as the programs load */
		if ((fd = bpf_obj_get(path)) < 0) {
			if (errno == ENOENT && (m == skel->maps.procs_bits || m == skel->maps.rules_bloom))
				continue;
			return 0;
		}
		ok = !bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == bpf_map__type(m) &&
		     info.key_size == bpf_map__key_size(m) &&
		     info.value_size == bpf_map__value_size(m) &&
		     info.max_entries == bpf_map__max_entries(m) &&
		     info.map_flags == bpf_map__map_flags(m);
		close(fd);
	}
	return ok;
}

static int links_pinned(struct probes *p, int oom)
{
	char path[PATH_MAX];

	for (int i = 0; i < (oom >= 0 ? 4 : 3); i++)
		if (probes_pin_file(p, probes_link_names[i], path, sizeof(path)) || access(path, F_OK))
			return 0;
	return 1;
}

/*
 * Entries of a map of another layout, carried into the new map field by field through both
 * maps' BTF. Per-CPU counters are added to what the new programs counted meanwhile.
 */
static void migrate_map(struct probes *p, const char *name, int old_fd, struct bpf_map *to)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), kid = bpf_map__btf_key_type_id(to);
	__u32 vid = bpf_map__btf_value_type_id(to);
	const struct btf *nbtf = bpf_object__btf(p->skel->obj);
	struct btf *obtf = NULL;
	int ncpu = libbpf_num_possible_cpus(), percpu, nfd = bpf_map__fd(to);
	size_t ovs, nvs, n = 0, failed = 0;
	char reset[512] = "", vreset[512] = "";
	void *ok = NULL, *oval = NULL, *nk = NULL, *nval = NULL, *cur = NULL, *next = NULL;

	if (bpf_obj_get_info_by_fd(old_fd, &info, &len) || !info.btf_id ||
	    !info.btf_value_type_id || !(obtf = btf__load_from_kernel_by_id(info.btf_id))) {
		pr_warn("pinned %s (another layout, no BTF to read it by) replaced: its entries "
			"are reset",
			name);
		return;
	}
	percpu = info.type == BPF_MAP_TYPE_PERCPU_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_HASH;
	if (info.type != bpf_map__type(to) || ncpu <= 0) {
		pr_warn("pinned %s (another map type) replaced: its entries are reset", name);
		goto out;
	}
	ovs = percpu ? ((info.value_size + 7) & ~7U) * (size_t)ncpu : info.value_size;
	nvs = percpu ? ((bpf_map__value_size(to) + 7) & ~7U) * (size_t)ncpu :
		       bpf_map__value_size(to);
	cur = calloc(1, info.key_size);
	next = calloc(1, info.key_size);
	oval = calloc(1, ovs);
	nk = calloc(1, bpf_map__key_size(to));
	nval = calloc(1, nvs);
	ok = calloc(1, nvs);
	if (!cur || !next || !oval || !nk || !nval || !ok)
		goto out;
	for (int more = !bpf_map_get_next_key(old_fd, NULL, next); more;
	     more = !bpf_map_get_next_key(old_fd, cur, next)) {
		memcpy(cur, next, info.key_size);
		if (bpf_map_lookup_elem(old_fd, cur, oval))
			continue;
		if (info.btf_key_type_id && kid ?
			    btf_copy_value(obtf, info.btf_key_type_id, cur, info.key_size, nbtf, kid,
					   nk, bpf_map__key_size(to), reset, sizeof(reset)) :
			    info.key_size != bpf_map__key_size(to) ||
				    !memcpy(nk, cur, info.key_size)) {
			failed++;
			continue;
		}
		if (!percpu) {
			if (btf_copy_value(obtf, info.btf_value_type_id, oval, info.value_size, nbtf,
					   vid, nval, nvs, vreset, sizeof(vreset)) ||
			    bpf_map_update_elem(nfd, nk, nval,
						info.type == BPF_MAP_TYPE_ARRAY ? BPF_ANY : BPF_NOEXIST))
				failed++;
			else
				n++;
			continue;
		}
		if (bpf_map_lookup_elem(nfd, nk, ok))
			memset(ok, 0, nvs);
		for (int c = 0; c < ncpu; c++) {
			size_t os = (info.value_size + 7) & ~7U, ns = (bpf_map__value_size(to) + 7) & ~7U;
			__u64 *dst = (__u64 *)((char *)nval + c * ns), *add = (__u64 *)((char *)ok + c * ns);

			btf_copy_value(obtf, info.btf_value_type_id, (char *)oval + c * os,
				       info.value_size, nbtf, vid, dst, ns, vreset, sizeof(vreset));
			for (size_t w = 0; w < ns / 8; w++)
				dst[w] += add[w]; /* every word of a per-CPU value is a counter */
		}
		if (bpf_map_update_elem(nfd, nk, nval, BPF_ANY))
			failed++;
		else
			n++;
	}
	pr_warn("pinned %s migrated from another layout: %zu entries carried over, %zu dropped%s%s",
		name, n, failed, vreset[0] ? "; fields reset: " : "", vreset);
out:
	free(cur);
	free(next);
	free(oval);
	free(nk);
	free(nval);
	free(ok);
	btf__free(obtf);
}

/*
 * The pinned set of another layout: the new programs are attached beside the old ones, the
 * old ones are unpinned (and so detached), and what the old maps held is copied over.
 */
static int migrate(struct probes *p, const struct probes_opts *opts, int oom, int others)
{
	int old_fds[16], n = 0, err;
	char path[PATH_MAX];
	struct bpf_map *m;
	struct rs_meta meta = { .layout = RS_LAYOUT, .build = build_hash(opts, oom),
				.created_ns = clock_ns(CLOCK_BOOTTIME) };

	pr_warn("pinned state under %s is of another layout (%d entries); this runnerscope uses "
		"layout %d: migrating what it can",
		p->pin_path, others, RS_LAYOUT);
	p->skel = load(p, opts, oom, 0, 0, &err);
	if (!p->skel)
		return err;
	for (int i = 0; (m = pin_map(p->skel, i)) && n < 16; i++, n++) {
		old_fds[n] = -1;
		if (!probes_pin_file(p, bpf_map__name(m), path, sizeof(path)))
			old_fds[n] = bpf_obj_get(path);
	}
	meta.attach = p->mode == ATTACH_RAW_TP ? 2 : 1;
	if ((err = write_meta(p, &meta)) || (err = jobs_bpf__attach(p->skel)))
		goto out;
	err = pin_dir_clear(p->pin_path, 0);
	if (err < 0)
		goto out;
	for (int i = 0; (m = pin_map(p->skel, i)); i++)
		if (!probes_pin_file(p, bpf_map__name(m), path, sizeof(path)) &&
		    (err = bpf_map__pin(m, path)))
			goto out;
	if ((err = probes_pin_file(p, "events_rb", path, sizeof(path))) ||
	    (err = bpf_map__pin(p->skel->maps.events_rb, path)) || (err = pin_links(p)))
		goto out;
	for (int i = 0; (m = pin_map(p->skel, i)); i++) {
		/* meta and the rules are this daemon's; the bits are made again from procs_map */
		if (m == p->skel->maps.meta || m == p->skel->maps.rules_map ||
		    m == p->skel->maps.rules_bloom || m == p->skel->maps.procs_bits)
			continue;
		if (old_fds[i] < 0)
			pr_warn("pinned %s was missing: it starts empty", bpf_map__name(m));
		else
			migrate_map(p, bpf_map__name(m), old_fds[i], m);
	}
	err = 0;
out:
	for (int i = 0; i < n; i++)
		if (old_fds[i] >= 0)
			close(old_fds[i]);
	return err;
}

/*
 * Pinned state of this layout, made by another build (or with other settings): the new
 * programs share the pinned maps, and meta's gen hands over to them in one update.
 */
static int replace(struct probes *p, const struct probes_opts *opts, int oom,
		   const struct rs_meta *old)
{
	struct rs_meta meta = *old;
	char path[PATH_MAX];
	int err;

	meta.gen = old->gen + 1;
	meta.build = build_hash(opts, oom);
	p->skel = load(p, opts, oom, meta.gen, 1, &err);
	if (!p->skel)
		return err;
	meta.attach = p->mode == ATTACH_RAW_TP ? 2 : 1;
	if ((err = jobs_bpf__attach(p->skel)) || (err = write_meta(p, &meta)))
		return err;
	/* the old programs do nothing from here on; their links go, and the task storage that
	 * builds before procs_bits kept their markers in */
	for (int i = 0; i < 4; i++)
		if (!probes_pin_file(p, probes_link_names[i], path, sizeof(path)))
			unlink(path);
	if (!probes_pin_file(p, "procs_ts", path, sizeof(path)))
		unlink(path);
	if ((err = pin_links(p)) || (err = probes_pin_file(p, "events_rb", path, sizeof(path))))
		return err;
	unlink(path);
	if ((err = bpf_map__pin(p->skel->maps.events_rb, path)))
		return err;
	pr_info("pinned state under %s adopted; programs replaced (generation %u)", p->pin_path,
		meta.gen);
	return 0;
}

/* the same build's pinned programs keep running: load only the CPU iterator */
static int adopt(struct probes *p, const struct probes_opts *opts, int oom,
		 const struct rs_meta *old)
{
	int err;

	p->mode = old->attach == 2 ? ATTACH_RAW_TP : ATTACH_TP_BTF;
	p->skel = open_skel(p, opts, oom, old->gen, 0);
	if (!p->skel)
		return -errno;
	if ((err = set_pin_paths(p, p->skel, 1)) || (err = load_logged(p->skel)) ||
	    (err = set_rules(p->skel)))
		return err;
	p->skel->links.iter_job_cpu = bpf_program__attach_iter(p->skel->progs.iter_job_cpu, NULL);
	if (!p->skel->links.iter_job_cpu)
		return -errno;
	pr_info("pinned state under %s adopted; its programs kept running (generation %u)",
		p->pin_path, old->gen);
	return 0;
}

static int fresh(struct probes *p, const struct probes_opts *opts, int oom, int pins)
{
	struct rs_meta meta = { .layout = RS_LAYOUT, .build = build_hash(opts, oom),
				.created_ns = clock_ns(CLOCK_BOOTTIME) };
	int err;

	p->skel = load(p, opts, oom, 0, pins ? 2 : 0, &err);
	if (!p->skel)
		return err;
	meta.attach = p->mode == ATTACH_RAW_TP ? 2 : 1;
	if ((err = write_meta(p, &meta)) || (err = jobs_bpf__attach(p->skel)))
		return err;
	return pins ? pin_links(p) : 0;
}

static int setup(struct probes *p, const struct probes_opts *opts)
{
	struct rs_meta old = {};
	int oom, cast, others = 0, same, err = 0;
	struct jobs_bpf *probe;

	probes_kernel_btf_facts(&oom, &cast);
	p->raw_cur = !cast;
	p->has_oom = oom >= 0;
	if (oom < 0)
		pr_warn("kernel has no oom:mark_victim tracepoint: OOM kills are not counted per job");
	if (!p->pin_path[0])
		return fresh(p, opts, oom, 0);
	same = read_pinned(p, &old, &others);
	if (!same && !others)
		return fresh(p, opts, oom, 1);
	if (same) {
		probe = open_skel(p, opts, oom, 0, 1);
		if (!probe)
			return -errno;
		same = pinned_compatible(p, probe);
		jobs_bpf__destroy(probe);
	}
	if (!same)
		return migrate(p, opts, oom, others);
	if (old.build == build_hash(opts, oom) && links_pinned(p, oom) &&
	    (opts->attach == ATTACH_AUTO || (opts->attach == ATTACH_RAW_TP) == (old.attach == 2)) &&
	    !(err = adopt(p, opts, oom, &old)))
		return 0;
	if (p->skel) {
		pr_warn("cannot adopt the pinned programs (%s): replacing them", strerror(-err));
		jobs_bpf__destroy(p->skel);
		p->skel = NULL;
	}
	p->mode = opts->attach == ATTACH_RAW_TP ? ATTACH_RAW_TP : ATTACH_TP_BTF;
	return replace(p, opts, oom, &old);
}

static int sysctl_stats_on(void)
{
	char v = '0';
	int fd = open("/proc/sys/kernel/bpf_stats_enabled", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &v, 1) != 1)
			v = '0';
		close(fd);
	}
	return v == '1';
}

/*
 * The kernel times BPF programs only while someone asks it to: an fd from BPF_ENABLE_STATS
 * (5.8+, CAP_SYS_ADMIN) keeps that on for as long as it is open, and costs each run two
 * clock reads.
 */
static void enable_stats(struct probes *p)
{
	p->stats_fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (p->stats_fd >= 0 || sysctl_stats_on()) {
		p->stats = 1;
		return;
	}
	pr_info("BPF run-time statistics are off (%s): runnerscope_bpf_program_* are not "
		"exported; set kernel.bpf_stats_enabled=1 or give runnerscope CAP_SYS_ADMIN",
		strerror(errno));
}

/*
 * procs_bits, shared with the programs: every change is an atomic operation on the word, as
 * theirs are, so that no update of another process's bit in the same word is lost.
 */
static void bit_set(struct probes *p, __u32 tgid)
{
	if (tgid / RS_BITS_PER_WORD < RS_BITS_WORDS)
		atomic_fetch_or(&p->bits[tgid / RS_BITS_PER_WORD], 1ULL << (tgid % RS_BITS_PER_WORD));
}

static int map_bits(struct probes *p)
{
	size_t len = RS_BITS_WORDS * sizeof(__u64);
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		       bpf_map__fd(p->skel->maps.procs_bits), 0);

	if (m == MAP_FAILED)
		return -errno;
	p->bits = m;
	return 0;
}

/* a process that has exited (a zombie too: its exit has been traced) polls readable */
static int pidfd_exited(int pidfd)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	return poll(&pfd, 1, 0) != 0;
}

/*
 * A process the daemon adds to procs_map: its bit first, then its entry. 0; -EEXIST when the
 * kernel has an entry for it already (kept: newer); -ESRCH when it had exited by then, so
 * that its exit may not have found the entry: the entry goes again.
 */
static int add_proc(struct probes *p, __u32 tgid, const struct rs_proc *pr, __u64 flags)
{
	int procs = bpf_map__fd(p->skel->maps.procs_map), err = 0;
	int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)tgid, 0);

	if (pidfd < 0)
		return -ESRCH;
	bit_set(p, tgid);
	if (bpf_map_update_elem(procs, &tgid, pr, flags))
		err = -errno;
	/* exited meanwhile: if the kernel's exit deleted the entry, it has counted the exit */
	else if (pidfd_exited(pidfd) && !bpf_map_delete_elem(procs, &tgid))
		err = -ESRCH;
	close(pidfd);
	return err;
}

/*
 * A process the programs need not look at any more (a container that is no job's): its bit
 * goes, unless it is tracked after all (an init that exec'd an agent). Its pid cannot be reused
 * while the process lives; if it ended meanwhile, a new process may have that pid and a bit of
 * its own by now, so the bit is set again: a bit left set costs a lookup, a bit missing loses
 * a process. The programs set a bit again after making an entry, so an entry made while this
 * runs is found here or keeps its bit.
 */
static void bit_clear(struct probes *p, __u32 tgid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)tgid, 0);

	if (pidfd < 0 || tgid / RS_BITS_PER_WORD >= RS_BITS_WORDS)
		goto out;
	atomic_fetch_and(&p->bits[tgid / RS_BITS_PER_WORD], ~(1ULL << (tgid % RS_BITS_PER_WORD)));
	if (pidfd_exited(pidfd) || probes__tracked(p, tgid))
		bit_set(p, tgid);
out:
	if (pidfd >= 0)
		close(pidfd);
}

/* gone: exited, or its exit is being traced (a zombie) */
static int proc_gone(__u32 tgid)
{
	int pidfd = (int)syscall(SYS_pidfd_open, (pid_t)tgid, 0), gone;

	if (pidfd < 0)
		return errno == ESRCH;
	gone = pidfd_exited(pidfd);
	close(pidfd);
	return gone;
}

/*
 * Every process in procs_map and inits_map gets its bit, then every word is marked complete,
 * so that the programs take a clear bit for an untracked process. A new procs_bits (a fresh
 * pinned set, one taken over from a version that kept no bits) starts with no word complete:
 * until then the programs look every process up, and set the bit of each they add, so that
 * no bit is ever missing once its word is complete. An entry whose process is gone can no
 * longer exit: it goes.
 */
static void bits_ready(struct probes *p)
{
	int fd = bpf_map__fd(p->skel->maps.procs_map), n = 0, gone = 0;
	__u32 key, next;

	for (int more = !bpf_map_get_next_key(fd, NULL, &next); more;) {
		key = next;
		more = !bpf_map_get_next_key(fd, &key, &next);
		bit_set(p, key);
		if (proc_gone(key)) {
			bpf_map_delete_elem(fd, &key);
			gone++;
		} else {
			n++;
		}
	}
	fd = bpf_map__fd(p->skel->maps.inits_map);
	for (int more = !bpf_map_get_next_key(fd, NULL, &next); more;) {
		key = next;
		more = !bpf_map_get_next_key(fd, &key, &next);
		bit_set(p, key);
	}
	for (size_t w = 0; w < RS_BITS_WORDS; w++)
		atomic_fetch_or(&p->bits[w], RS_BITS_READY);
	pr_debug("procs_bits: %d tracked processes marked, %d gone", n, gone);
}

/* the state is done with a job: its records go */
static void forget_job(struct probes *p, const struct rs_key *key)
{
	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.jobs_map), key);
	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.ctx_map), key);
	/* after the record: a daemon killed in between finds an orphan, not a new job */
	state__forget_job(p->state, key);
}

static void forget_agent(struct probes *p, const struct rs_key *key)
{
	bpf_map_delete_elem(bpf_map__fd(p->skel->maps.agents_map), key);
	state__forget_agent(p->state, key);
}

/* ---- jobs of several processes: Gitea and GitLab (see jobid.h) ---- */

static int key_is_zero(const struct rs_key *k)
{
	return k->tgid == 0 && k->start_ns == 0;
}

/* the job hints of a process's environment, and of its container's runtime files */
struct hint_vals {
	char buf[JK_MAX][NAME_LEN];
	char *v[JK_MAX];
	char name[NAME_LEN];
	int docker; /* the runtime's files were read: what they say is all there is */
};

static void read_hints(struct probes *p, pid_t pid, int with_container, struct hint_vals *h)
{
	struct container_ref ref;
	char cg[4096];
	size_t len;

	memset(h->name, 0, sizeof(h->name));
	h->docker = 0;
	for (int i = 0; i < JK_MAX; i++) {
		h->v[i] = h->buf[i];
		h->buf[i][0] = '\0';
	}
	if (with_container && p->docker_root[0] && !procfs_read(pid, "cgroup", cg, sizeof(cg), &len) &&
	    cgroup_file_container(cg, len, &ref) && ref.runtime == RUNTIME_DOCKER && !ref.nested)
		h->docker = !containers_docker_meta(p->docker_root, ref.id, h->name, sizeof(h->name),
						    jobid_keys, h->v, NAME_LEN, JK_MAX);
	if (!h->docker)
		procfs_getenv_many(pid, jobid_keys, h->v, NAME_LEN, JK_ENV_MAX);
}

/* the group of a job, made with its record the first time; NULL once it has ended */
static struct group *group_get(struct probes *p, const struct job_hint *h, uint64_t start_ns,
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
		state__pick_agent(p->state, h->kind, h->runner, h->token, &runner);
	/* tgid 0: no process has it, so the kernel never ends the job; a start taken already
	 * by another job moves on a nanosecond */
	g->key.start_ns = start_ns ? start_ns : clock_ns(CLOCK_BOOTTIME);
	for (int i = 0; i < 64; i++, g->key.start_ns++) {
		int err = probes__seed_job(p, &g->key, &runner, h->kind, 0);

		if (!err)
			break;
		if (err != -EEXIST || i == 63) {
			pr_warn("no record for %s job %s: %s", detect_kind_name(h->kind), h->id,
				strerror(-err));
			free(g);
			return NULL;
		}
	}
	if (key_is_zero(&runner))
		state__name_job(p->state, &g->key, h->kind, h->runner);
	HASH_ADD_STR(p->groups, hkey, g);
	pr_debug("%s job %s started, runner pid %u", detect_kind_name(h->kind), h->id, runner.tgid);
	return g;
}

/* a process of the group's job ended before it could join: what the kernel would have noted */
static void part_ended(struct probes *p, struct group *g, int step, int code, uint64_t end_ns,
		       int joined)
{
	int fd = bpf_map__fd(p->skel->maps.jobs_map);
	struct rs_job j;

	if (bpf_map_lookup_elem(fd, &g->key, &j))
		return;
	if (end_ns > j.last_exit_ns)
		j.last_exit_ns = end_ns;
	if (step && code)
		j.failed_steps++;
	if (joined && j.live_procs)
		j.live_procs--;
	bpf_map_update_elem(fd, &g->key, &j, BPF_EXIST);
}

/* a running process joins the group's job; step: its failing exit fails the job */
static int join(struct probes *p, struct group *g, __u32 tgid, int kind, int step)
{
	int jobs = bpf_map__fd(p->skel->maps.jobs_map), procs = bpf_map__fd(p->skel->maps.procs_map);
	int err;
	struct rs_proc pr = {};
	struct rs_job j;

	if (bpf_map_lookup_elem(jobs, &g->key, &j))
		return -ENOENT;
	if (bpf_map_lookup_elem(procs, &tgid, &pr) == 0 && !key_is_zero(&pr.job))
		return -EEXIST; /* in a job already */
	pr.job = g->key;
	if (key_is_zero(&pr.runner))
		pr.runner = j.runner;
	pr.kind = (__u8)kind;
	pr.flags = step ? RS_PROC_STEP : 0;
	if ((err = add_proc(p, tgid, &pr, BPF_ANY)))
		return err;
	/* the kernel counts the processes it adds atomically; this count races only with a
	 * fork or exit in this same job at this same moment */
	if (!bpf_map_lookup_elem(jobs, &g->key, &j)) {
		j.live_procs++;
		j.total_procs++;
		bpf_map_update_elem(jobs, &g->key, &j, BPF_EXIST);
	}
	return 0;
}

/* a container's init joins the group: or, if it ended before it could, its exit is noted */
static void join_init(struct probes *p, struct group *g, __u32 tgid, int kind, int step)
{
	int inits = bpf_map__fd(p->skel->maps.inits_map);
	struct rs_init in;
	struct rs_job j;

	if (!bpf_map_lookup_elem(inits, &tgid, &in) && in.state == RS_STATE_FINISHED) {
		part_ended(p, g, step, in.exit_code, in.end_ns, 0);
	} else if (!join(p, g, tgid, kind, step) && !bpf_map_lookup_elem(inits, &tgid, &in) &&
		   in.state == RS_STATE_FINISHED) {
		/* it exited between the look and the join: the kernel noted it in inits_map */
		bpf_map_delete_elem(bpf_map__fd(p->skel->maps.procs_map), &tgid);
		part_ended(p, g, step, in.exit_code, in.end_ns, 1);
	}
	bpf_map_delete_elem(inits, &tgid);
	/* its container is reported, as the job's runner's */
	if (!bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.jobs_map), &g->key, &j))
		state__job_container(p->state, &j.runner, kind, g->runner, (pid_t)tgid);
}

static int in_job(struct probes *p, __u32 tgid)
{
	struct rs_proc pr;

	return !bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.procs_map), &tgid, &pr) &&
	       !key_is_zero(&pr.job);
}

/* the init of a new container: a job's (by its name, labels or environment), or not */
static void on_container_init(struct probes *p, __u32 tgid, const struct rs_key *key)
{
	struct hint_vals *h;
	struct job_hint jh;
	struct group *g;

	/* placed already (found again at start-up), or tracked otherwise since (an init that
	 * exec'd a runner agent) */
	if (probes__tracked(p, tgid))
		return;
	h = malloc(sizeof(*h));
	if (!h)
		return;
	read_hints(p, (pid_t)tgid, 1, h);
	if (jobid_classify(h->name, (const char *const *)h->v, &jh)) {
		g = group_get(p, &jh, key->start_ns, NULL);
		if (g)
			join_init(p, g, tgid, jh.kind, jh.step);
		else
			bpf_map_delete_elem(bpf_map__fd(p->skel->maps.inits_map), &tgid);
	} else if (h->docker || h->v[JK_GITEA_ACTIONS][0]) {
		/* named, and no job's: forgotten, and its processes are not looked at again */
		bpf_map_delete_elem(bpf_map__fd(p->skel->maps.inits_map), &tgid);
		bit_clear(p, tgid);
	}
	/* else its first processes may say (a Gitea job container's steps carry the marks) */
	free(h);
}

static void on_container_exit(struct probes *p, __u32 tgid)
{
	struct rs_init in;
	int fd = bpf_map__fd(p->skel->maps.inits_map);

	/* placed by now or never: a container that ran nothing a job's */
	if (!bpf_map_lookup_elem(fd, &tgid, &in) && in.state == RS_STATE_FINISHED)
		bpf_map_delete_elem(fd, &tgid);
}

/* a process exec'd in a container not placed yet: its environment may place it */
static void on_container_exec(struct probes *p, __u32 tgid, const struct rs_key *init)
{
	struct hint_vals *h = malloc(sizeof(*h));
	struct job_hint jh;
	struct group *g;

	if (!h)
		return;
	read_hints(p, (pid_t)tgid, 0, h);
	if (jobid_classify(NULL, (const char *const *)h->v, &jh)) {
		g = group_get(p, &jh, init->start_ns, NULL);
		if (g) {
			/* the init only holds the container; this process is a step */
			join_init(p, g, init->tgid, jh.kind, 0);
			join(p, g, tgid, jh.kind, 1);
		}
	}
	free(h);
}

/*
 * A process of a Gitea or GitLab agent's tree exec'd outside any job. If its environment names
 * a job, it and its ancestors up to the agent's child (the step or stage, whose exit counts)
 * join that job.
 */
static void on_agent_exec(struct probes *p, __u32 tgid, const struct rs_key *agent, int kind)
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
	read_hints(p, (pid_t)tgid, 0, h);
	if (!jobid_classify(NULL, (const char *const *)h->v, &jh) || jh.kind != kind)
		goto out;
	for (__u32 cur = tgid; n < 64; n++) {
		chain[n] = cur;
		if (procfs_stat((pid_t)cur, &st) || st.ppid <= 1)
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
		join(p, g, chain[i], kind, i == n);
out:
	free(h);
}

/* jobs of several processes end once none of their processes has been alive for a while */
static void end_idle_groups(struct probes *p)
{
	int fd = bpf_map__fd(p->skel->maps.jobs_map);
	uint64_t now = clock_ns(CLOCK_MONOTONIC);
	struct group *g, *t;
	struct live_cpu *l;
	struct rs_job j;

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
		if (now - g->idle_since < p->end_idle_ns)
			continue;
		g->ended_at = now;
		if (bpf_map_lookup_elem(fd, &g->key, &j) || j.state == RS_STATE_FINISHED)
			continue;
		j.state = RS_STATE_FINISHED;
		j.end_ns = j.last_exit_ns > g->key.start_ns ? j.last_exit_ns : g->key.start_ns;
		j.exit_code = j.failed_steps ? 1 << 8 : 0;
		j.live_procs = 0;
		bpf_map_update_elem(fd, &g->key, &j, BPF_EXIST);
		pr_debug("job %s ended after %u processes, %u failed steps", g->hkey, j.total_procs,
			 j.failed_steps);
	}
}

/*
 * A job's start may come with the environment its process exec'd with (a Buildkite bootstrap,
 * see emit_env()): its context is taken from there, before the job's record, which may say it
 * is over already and is logged so.
 */
static void take_job_event(struct probes *p, const void *data, size_t len)
{
	const struct rs_env_event *ee = data;
	const struct rs_event *e = data;
	struct job_context ctx;
	struct rs_job j;
	int have = -1;

	if (e->type == RS_EV_JOB_START && len >= offsetof(struct rs_env_event, env)) {
		size_t n = ee->len;

		if (n > len - offsetof(struct rs_env_event, env))
			n = len - offsetof(struct rs_env_event, env);
		have = state_context_read(&ctx, 0, ee->env, n);
		/* not in the part that came: the process may still be there to read */
		if (have == 0 && (ee->flags & RS_ENV_CUT || !n))
			have = state_context_read(&ctx, (pid_t)e->key.tgid, NULL, 0);
	}
	if (!bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.jobs_map), &e->key, &j) &&
	    state__job(p->state, &e->key, &j, NULL, have > 0 ? &ctx : NULL)) {
		forget_job(p, &e->key);
		return;
	}
	if (have > 0)
		bpf_map_delete_elem(bpf_map__fd(p->skel->maps.ctx_map), &e->key);
}

static void take_event(struct probes *p, const void *data, size_t len)
{
	const struct rs_event *e = data;
	struct rs_agent a;

	if (len < sizeof(*e))
		return;
	pthread_mutex_lock(&p->lock);
	/* the event says which record changed; the record says what is true */
	switch (e->type) {
	case RS_EV_AGENT_START:
	case RS_EV_AGENT_EXIT:
		if (!bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.agents_map), &e->key, &a) &&
		    state__agent(p->state, &e->key, &a))
			forget_agent(p, &e->key);
		break;
	case RS_EV_JOB_START:
	case RS_EV_JOB_EXIT:
		take_job_event(p, data, len);
		break;
	case RS_EV_JOB_EXEC:
		if (state__job_context(p->state, &e->key, (pid_t)e->tgid))
			bpf_map_delete_elem(bpf_map__fd(p->skel->maps.ctx_map), &e->key);
		break;
	case RS_EV_CTR_INIT:
		on_container_init(p, e->tgid, &e->key);
		break;
	case RS_EV_CTR_EXIT:
		on_container_exit(p, e->tgid);
		break;
	case RS_EV_CTR_EXEC:
		on_container_exec(p, e->tgid, &e->key);
		break;
	case RS_EV_AGENT_EXEC:
		on_agent_exec(p, e->tgid, &e->key, e->kind);
		break;
	}
	pthread_mutex_unlock(&p->lock);
}

/*
 * Counted once the state has it, and before the ring buffer's consumer moves past it: see
 * probes__events_waiting().
 */
static int handle_event(void *ctx, void *data, size_t len)
{
	struct probes *p = ctx;

	take_event(p, data, len);
	atomic_fetch_add(&p->taken, 1);
	return 0;
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
		read_hints(p, (pid_t)tgid, 1, h);
		if (jobid_classify(h->name, (const char *const *)h->v, &jh) ||
		    (read_hints(p, (pid_t)tgid, 0, h),
		     jobid_classify(NULL, (const char *const *)h->v, &jh))) {
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
static void restore_groups(struct probes *p)
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
		pr_info("%d Gitea/GitLab jobs carried over from before", n);
}

struct probes *probes__new(const struct probes_opts *opts, struct state *state)
{
	struct probes *p;
	int err;

	err = probes_preflight();
	if (err) {
		errno = -err;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	pthread_mutex_init(&p->lock, NULL);
	{
		struct utsname u;

		snprintf(p->kernel, sizeof(p->kernel), "%s", uname(&u) ? "unknown" : u.release);
	}
	p->pin_fd = -1;
	p->stats_fd = -1;
	p->state = state;
	p->cleanup = opts->cleanup_on_exit;
	p->end_idle_ns = opts->end_idle_ns ? opts->end_idle_ns : 10ULL * 1000000000ULL;
	snprintf(p->docker_root, sizeof(p->docker_root), "%s", opts->docker_root ? opts->docker_root : "");
	p->mode = opts->attach == ATTACH_RAW_TP ? ATTACH_RAW_TP : ATTACH_TP_BTF;
	if (opts->pin_path && opts->pin_path[0]) {
		if (snprintf(p->pin_path, sizeof(p->pin_path), "%s", opts->pin_path) >=
		    (int)sizeof(p->pin_path)) {
			pr_err("--bpf.pin-path is too long");
			err = -ENAMETOOLONG;
			goto fail;
		}
		p->pin_fd = pin_dir_open(p->pin_path, 1);
		if (p->pin_fd < 0) {
			err = p->pin_fd;
			p->pin_path[0] = '\0'; /* not ours to clean up */
			goto fail;
		}
	}
	err = setup(p, opts);
	if (err) {
		pr_err("failed to load BPF programs (%s): %s%s%s; --log.level=debug shows the "
		       "verifier's whole log",
		       probes__attach_name(p), strerror(-err), reject_reason[0] ? ": " : "",
		       reject_reason);
		goto fail;
	}
	if (opts->stats)
		enable_stats(p);
	err = map_bits(p);
	if (err) {
		pr_err("failed to map procs_bits: %s", strerror(-err));
		goto fail;
	}
	bits_ready(p);
	p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.events_rb), handle_event, p, NULL);
	if (!p->rb) {
		err = -errno;
		pr_err("failed to open the events ring buffer: %s", strerror(-err));
		goto fail;
	}
	p->store.fd[STATE_RUNNER_STATS] = bpf_map__fd(p->skel->maps.runner_stats);
	p->store.fd[STATE_JOB_ACCT] = bpf_map__fd(p->skel->maps.job_acct);
	p->store.fd[STATE_AGENT_ACCT] = bpf_map__fd(p->skel->maps.agent_acct);
	p->store.fd[STATE_JOBS] = bpf_map__fd(p->skel->maps.jobs_map);
	p->store.fd[STATE_AGENTS] = bpf_map__fd(p->skel->maps.agents_map);
	p->store.fd[STATE_CTX] = bpf_map__fd(p->skel->maps.ctx_map);
	state__set_store(state, &state_store_bpf, &p->store);
	restore_groups(p);
	pr_info("bpf programs attached via %s%s on Linux %s%s%s", probes__attach_name(p),
		p->mode == ATTACH_RAW_TP && p->raw_cur ? " (current read through a helper)" : "",
		p->kernel, p->pin_path[0] ? ", pinned under " : ", not pinned", p->pin_path);
	return p;
fail:
	if (p->pin_path[0] && p->cleanup)
		pin_dir_clear(p->pin_path, 1);
	p->cleanup = 0;
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
	if (p->cleanup && p->pin_path[0]) {
		int n = pin_dir_clear(p->pin_path, 1);

		if (n < 0)
			pr_warn("cannot remove %s: %s", p->pin_path, strerror(-n));
		else
			pr_info("detached and unpinned everything under %s", p->pin_path);
	}
	if (p->bits)
		munmap((void *)p->bits, RS_BITS_WORDS * sizeof(__u64));
	jobs_bpf__destroy(p->skel);
	if (p->pin_fd >= 0)
		close(p->pin_fd);
	if (p->stats_fd >= 0)
		close(p->stats_fd);
	HASH_ITER(hh, p->live, l, t) {
		HASH_DEL(p->live, l);
		free(l);
	}
	{
		struct group *g, *gt;

		HASH_ITER(hh, p->groups, g, gt) {
			HASH_DEL(p->groups, g);
			free(g);
		}
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

uint64_t probes__events_taken(struct probes *p)
{
	return p ? atomic_load(&p->taken) : 0;
}

int probes__events_waiting(struct probes *p)
{
	/* the ring buffer's fd polls readable while its consumer is behind its producer */
	struct pollfd pfd = { .events = POLLIN };

	if (!p || !p->skel)
		return 0;
	pfd.fd = bpf_map__fd(p->skel->maps.events_rb);
	return poll(&pfd, 1, 0) > 0;
}

/*
 * One pass over a map; the callback says whether the record may go, and it goes at once: the
 * state has forgotten it, so a record left behind would be counted again on the next pass.
 * The next key is fetched before the current one can be deleted, so the walk never restarts.
 * Only the daemon deletes these records, so the fetched key stays valid.
 */
static void reconcile_map(struct probes *p, int fd, size_t vsize,
			  int (*take)(struct probes *, const struct rs_key *, const void *),
			  void (*forget)(struct probes *, const struct rs_key *))
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
			forget(p, &key);
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
	const struct rs_job *j = v;
	struct live_cpu *l;

	/* a Buildkite job's start event brings its context (take_job_event()): while it may be on
	 * its way, a job new to the state and less than a second old is left to it */
	if (p->rb_behind && j->kind == RS_KIND_BUILDKITE && !state__has_job(p->state, k) &&
	    clock_ns(CLOCK_BOOTTIME) - k->start_ns < 1000000000ULL)
		return 0;
	HASH_FIND(hh, p->live, k, sizeof(*k), l);
	return state__job(p->state, k, v, l ? &l->cpu : NULL, NULL);
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
	p->rb_behind = probes__events_waiting(p);
	/* walking every task is worth it only while some job has a record */
	if (!bpf_map_get_next_key(jobs, NULL, &any))
		read_live_cpu(p);
	end_idle_groups(p);
	reconcile_map(p, agents, sizeof(struct rs_agent), take_agent_start, forget_agent);
	reconcile_map(p, jobs, sizeof(struct rs_job), take_job, forget_job);
	reconcile_map(p, agents, sizeof(struct rs_agent), take_agent_exit, forget_agent);
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

void probes__found_container(struct probes *p, uint32_t tgid, uint64_t start_ns)
{
	struct rs_key k = { .tgid = tgid, .start_ns = start_ns };

	pthread_mutex_lock(&p->lock);
	on_container_init(p, tgid, &k);
	pthread_mutex_unlock(&p->lock);
}

void probes__found_agent_process(struct probes *p, uint32_t tgid, const struct rs_key *agent,
				 int kind)
{
	pthread_mutex_lock(&p->lock);
	on_agent_exec(p, tgid, agent, kind);
	pthread_mutex_unlock(&p->lock);
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

int probes__tracked(struct probes *p, uint32_t tgid)
{
	struct rs_proc proc;

	return !bpf_map_lookup_elem(bpf_map__fd(p->skel->maps.procs_map), &tgid, &proc);
}

int probes__seed_proc(struct probes *p, uint32_t tgid, const struct rs_proc *proc)
{
	/* an entry the kernel made since the programs were attached is newer: kept */
	return add_proc(p, tgid, proc, BPF_NOEXIST);
}
