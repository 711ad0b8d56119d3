// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Opening and loading the BPF object: the rules table, which flavour of the programs, the pin
 * paths, and the verifier's reason when it rejects one
 */
#include <signal.h>
#include <sys/mman.h>
#include <bpf/bpf.h>
#include "lib/log.h"
#include "kernel/bpflog.h"
#include "kernel/probes_priv.h"
#include "ci/kinds/kinds.h"

/* rules_map and its bloom filter, before the programs that read them run */
static int set_rules(struct runnerscope_bpf *skel)
{
	struct rs_rule_key keys[32];
	struct rs_rule vals[32];
	struct rs_bloom bloom = {};
	int n = detect__rules_build(keys, vals, 32);
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
	X(runner_stats) X(job_acct) X(agent_acct) X(procs_bits) X(rules_bloom) X(inits_map)       \
	X(cgroups_map) X(cg_jobs) X(ctr_counts) X(ctr_acct) X(ctr_bits)

struct bpf_map *probes_pin_map(struct runnerscope_bpf *skel, int i)
{
#define X(n) skel->maps.n,
	struct bpf_map *maps[] = { PIN_MAPS(X) };
#undef X
	return i < (int)(sizeof(maps) / sizeof(maps[0])) ? maps[i] : NULL;
}

const char *const probes_link_names[PROBES_LINKS] = {
	"link_exec",	 "link_fork",	  "link_exit",	    "link_oom",
	"link_cg_mkdir", "link_cg_rmdir", "link_cg_attach", "link_cg_pop",
};

/* link i of the programs of p's flavour; NULL-valued while they are not attached by p->skel */
struct bpf_link **probes_link(const struct probes *p, int i)
{
	struct runnerscope_bpf *skel = p->skel;

	if (i == PROBES_LINK_OOM)
		return &skel->links.handle_mark_victim;
	if (i > PROBES_LINK_OOM) {
		/* the cgroup programs read their arguments with probe reads: one raw_tp set */
		struct bpf_link **cg[2][PROBES_LINKS - PROBES_LINK_OOM - 1] = {
			{ &skel->links.tp_btf_handle_cg_mkdir, &skel->links.tp_btf_handle_cg_rmdir,
			  &skel->links.tp_btf_handle_cg_attach,
			  &skel->links.tp_btf_handle_cg_populated },
			{ &skel->links.raw_tp_handle_cg_mkdir, &skel->links.raw_tp_handle_cg_rmdir,
			  &skel->links.raw_tp_handle_cg_attach,
			  &skel->links.raw_tp_handle_cg_populated },
		};

		return cg[p->mode == ATTACH_RAW_TP][i - PROBES_LINK_OOM - 1];
	}
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
__u64 probes_build_hash(const struct probes_opts *opts, int oom)
{
	size_t sz;
	const unsigned char *b = runnerscope_bpf__elf_bytes(&sz);
	/* everything the rodata and the maps are made from besides the object: the kinds'
	 * traits come from ci/detect.c's table, which a new daemon may change under the same
	 * object */
	__u64 h = 0xcbf29ce484222325ULL,
	      extra[8] = { (__u64)sysconf(_SC_PAGESIZE), (__u64)(oom > 0),
			   opts->ringbuf_bytes ? opts->ringbuf_bytes : 256 * 1024,
			   kinds__with(KIND_ENV_JOBS), kinds__with(KIND_CONTEXT_AT_START),
			   opts->cg_hiers, (__u64)probes_percpu_reads(),
			   (__u64)libbpf_num_possible_cpus() };

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

struct runnerscope_bpf *probes_open(const struct probes *p, const struct probes_opts *opts, int oom,
			     __u32 gen, int tracepoints)
{
	struct runnerscope_bpf *skel = runnerscope_bpf__open();
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
	bpf_program__set_autoload(skel->progs.tp_btf_handle_cg_mkdir, tracepoints && btf);
	bpf_program__set_autoload(skel->progs.tp_btf_handle_cg_rmdir, tracepoints && btf);
	bpf_program__set_autoload(skel->progs.tp_btf_handle_cg_attach, tracepoints && btf);
	bpf_program__set_autoload(skel->progs.tp_btf_handle_cg_populated, tracepoints && btf);
	bpf_program__set_autoload(skel->progs.raw_tp_handle_cg_mkdir, tracepoints && !btf);
	bpf_program__set_autoload(skel->progs.raw_tp_handle_cg_rmdir, tracepoints && !btf);
	bpf_program__set_autoload(skel->progs.raw_tp_handle_cg_attach, tracepoints && !btf);
	bpf_program__set_autoload(skel->progs.raw_tp_handle_cg_populated, tracepoints && !btf);
	if (opts->ringbuf_bytes)
		bpf_map__set_max_entries(skel->maps.events_rb, opts->ringbuf_bytes);
	skel->rodata->page_size = (__u64)sysconf(_SC_PAGESIZE);
	skel->rodata->oom_arg_is_task = oom > 0;
	skel->rodata->gen = gen;
	skel->rodata->test_reject = test_reject(p);
	skel->rodata->env_job_kinds = kinds__with(KIND_ENV_JOBS);
	skel->rodata->context_at_start_kinds = kinds__with(KIND_CONTEXT_AT_START);
	skel->rodata->cg_hiers = opts->cg_hiers;
	skel->rodata->percpu_reads = (__u8)probes_percpu_reads();
	skel->rodata->nr_cpus = (__u32)(libbpf_num_possible_cpus() > 0 ? libbpf_num_possible_cpus() : 1);
	{
		struct probes_rstat r;

		probes_rstat_offsets(&r);
		skel->rodata->rstat_cpu_off = r.cgroup_off;
		skel->rodata->rstat_bstat_off = r.bstat_off;
		skel->rodata->rstat_last_off = r.last_off;
	}
	return skel;
}

/* reuse (or create and pin at load) the pinned maps; the ring buffer too when asked */
static int set_pin_paths(struct probes *p, struct runnerscope_bpf *skel, int with_rb)
{
	char path[PATH_MAX];
	struct bpf_map *m;
	int err;

	for (int i = 0; (m = probes_pin_map(skel, i)); i++) {
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

const char *probes_reject_reason(void)
{
	return reject_reason;
}

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

static int load_logged(struct runnerscope_bpf *skel)
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
	err = runnerscope_bpf__load(skel);
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
struct runnerscope_bpf *probes_load(struct probes *p, const struct probes_opts *opts, int oom, __u32 gen,
			     enum probes_pins pins, int *err)
{
	for (;;) {
		struct runnerscope_bpf *skel = probes_open(p, opts, oom, gen, 1);

		reject_reason[0] = '\0';
		if (!skel) {
			*err = -errno;
			return NULL;
		}
		*err = pins != PINS_NONE ? set_pin_paths(p, skel, pins == PINS_ALL) : 0;
		if (!*err)
			*err = load_logged(skel);
		/* filled before anything is attached or handed over */
		if (!*err)
			*err = set_rules(skel);
		if (!*err)
			return skel;
		runnerscope_bpf__destroy(skel);
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

struct runnerscope_bpf *probes_load_iter(struct probes *p, const struct probes_opts *opts, int oom,
				  __u32 gen, int *err)
{
	struct runnerscope_bpf *skel = probes_open(p, opts, oom, gen, 0);

	if (!skel) {
		*err = -errno;
		return NULL;
	}
	if ((*err = set_pin_paths(p, skel, 1)) || (*err = load_logged(skel)) ||
	    (*err = set_rules(skel))) {
		runnerscope_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}
