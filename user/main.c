// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * runnerscope: follows CI runner agents and their jobs from the kernel and serves them as
 * Prometheus metrics.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "lib/clock.h"
#include "expo/eventlog.h"
#include "expo/history.h"
#include "expo/timeline.h"
#include "web/http.h"
#include "expo/metrics.h"
#include "kernel/pin.h"
#include "enrich/procfs.h"
#include "intake/intake.h"
#include "state/state.h"
#include "web/webconfig.h"
#include "flags.h"


#define RECONCILE_NS 1000000000ULL
#define STALL_NS (10 * 1000000000ULL)

static volatile sig_atomic_t stopping;
static _Atomic uint64_t heartbeat;
/* once-a-second passes run: pages built before one are rebuilt (pages.h) */
static _Atomic uint64_t passes;
static struct config env;

static int is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

/* says which cgroup layout the host has, as the containers' stats will find it (cgroupfs.h) */
static int check_cgroup_root(const char *root)
{
	struct cgroup_layout l;
	int v1;

	if (!is_dir(root)) {
		pr_err("cgroup root %s is not a directory: set --cgroup.root to where the host's "
		       "cgroup filesystems are mounted", root);
		return -ENOENT;
	}
	if (cgroupfs__layout(root, &l)) {
		pr_info("cgroup layout at %s: unknown", root);
		return 0;
	}
	v1 = l.cpuacct[0] || l.cpu[0] || l.memory[0];
	pr_info("cgroup layout at %s: %s", root,
		!v1 ? "v2" : l.unified[0] ? "hybrid (v1 controllers, cgroup2 at unified)" : "v1");
	return 0;
}

static int check_proc_root(const char *root)
{
	char p[4096], link[64];
	ssize_t n;

	snprintf(p, sizeof(p), "%s/1/stat", root);
	if (access(p, R_OK)) {
		pr_err("proc root %s has no readable 1/stat: set --proc.root to the host's procfs "
		       "(mounted from a pid namespace that sees the host's processes)", root);
		return -ENOENT;
	}
	/*
	 * The kernel reports processes by their ids in the host's PID namespace, whose inode is
	 * fixed (PROC_PID_INIT_INO): a procfs of another namespace would name other processes.
	 */
	snprintf(p, sizeof(p), "%s/1/ns/pid", root);
	n = readlink(p, link, sizeof(link) - 1);
	if (n > 0) {
		link[n] = '\0';
		if (strcmp(link, "pid:[4026531836]")) {
			pr_err("proc root %s is a PID namespace's own (%s), not the host's: run "
			       "runnerscope in the host's PID namespace (hostPID, --pid=host) or set "
			       "--proc.root to a procfs mounted from it",
			       root, link);
			return -EINVAL;
		}
	}
	return 0;
}

static int health(void *ctx, char *reason, size_t sz)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC), hb = atomic_load(&heartbeat);
	struct probes *p = ctx;

	if (now - hb > STALL_NS) {
		snprintf(reason, sz, "event loop stalled for %.1fs", (double)(now - hb) / 1e9);
		return 1;
	}
	return probes__health(p, reason, sz);
}

struct refresh_ctx {
	struct probes *probes;
	struct containers *containers;
	struct state *state;
	uint64_t *busy; /* each CPU's busy time, for the jobs' neighbours */
	int max_cpus;
	pthread_mutex_t lock;
	uint64_t fresh_since; /* CLOCK_MONOTONIC start of the last pass that completed */
};

/* who had the running jobs' CPUs since the last pass, from what the pass has just read */
static void neighbours(struct refresh_ctx *r)
{
	struct container_delta *ctrs = NULL;
	int ncpus = r->busy ? procfs__cpu_busy(r->busy, r->max_cpus) : -ENOMEM;
	int nctrs = containers__cpu_deltas(r->containers, &ctrs);

	if (ncpus > 0)
		state__neighbours(r->state, clock_ns(CLOCK_BOOTTIME), r->busy, ncpus, ctrs,
				  nctrs > 0 ? nctrs : 0);
	free(ctrs);
}

/*
 * A pass: the kernel's records, then the containers' cgroups. A page must show what was true
 * when it was asked for, so a pass begun before the request does not do; but requests being
 * answered at the same moment (one per HTTP thread) wait for one pass and share it.
 */
static void refresh(void *ctx)
{
	struct refresh_ctx *r = ctx;
	uint64_t asked = clock_ns(CLOCK_MONOTONIC), start;

	pthread_mutex_lock(&r->lock);
	if (r->fresh_since < asked) {
		start = clock_ns(CLOCK_MONOTONIC);
		intake__reconcile(r->probes);
		containers__refresh(r->containers);
		neighbours(r);
		r->fresh_since = start;
		pr_debug("refresh pass took %.1f ms",
			 (double)(clock_ns(CLOCK_MONOTONIC) - start) / 1e6);
	}
	pthread_mutex_unlock(&r->lock);
}

/* who is told of each job the state publishes: the event log (when there is one) and the
 * status page's timeline */
struct job_subscribers {
	struct eventlog *events;
	struct timeline *timeline;
};

static void on_job(void *ctx, const struct job_record *r)
{
	struct job_subscribers *subs = ctx;

	if (subs->events)
		eventlog__on_job(subs->events, r);
	timeline__on_job(subs->timeline, r);
}

/* runnerscope cleanup: what a daemon left pinned goes, and with it its programs */
static int cleanup_command(void)
{
	int fd, n;

	if (!env.pin_path[0]) {
		pr_err("cleanup needs a --bpf.pin-path");
		return 2;
	}
	if (access(env.pin_path, F_OK)) {
		pr_info("nothing pinned under %s", env.pin_path);
		return 0;
	}
	fd = pin__dir_open(env.pin_path, 0);
	if (fd < 0)
		return 1;
	n = pin__dir_clear(env.pin_path, 1);
	close(fd);
	if (n < 0) {
		pr_err("cannot remove %s: %s", env.pin_path, strerror(-n));
		return 1;
	}
	pr_info("unpinned %d maps and links under %s; its programs are detached", n, env.pin_path);
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

int main(int argc, char **argv)
{
	struct state_opts sopts = {};
	struct joblabels labels = {};
	struct probes_opts popts = {};
	struct metrics_src msrc = { .version = RS_VERSION, .revision = RS_REVISION };
	static struct web_stats web_stats;
	struct webconfig *web = NULL;
	char host[256] = "", err_msg[1024];
	struct http_opts hopts = {};
	struct sigaction sa = { .sa_handler = on_signal };
	struct state *state = NULL;
	struct probes *probes = NULL;
	struct http *http = NULL;
	struct eventlog *events = NULL;
	struct timeline *timeline = NULL;
	struct job_subscribers subs = {};
	struct containers *containers = NULL;
	struct containers_opts copts = {};
	struct refresh_ctx rctx = { .lock = PTHREAD_MUTEX_INITIALIZER };
	uint64_t last_reconcile = 0;
	int err;

	config_defaults(&env);
	err = config_parse(&env, argc, argv);
	if (err)
		return err == 1 ? 0 : err;
	/*
	 * One malloc arena for every thread: pages built by the HTTP threads would otherwise each
	 * keep an arena of their own, and the memory freed after a scrape or a container's
	 * departure would stay spread over them.
	 */
	mallopt(M_ARENA_MAX, 1);
	/*
	 * A fixed threshold: glibc otherwise raises it to the size of each large block freed (a
	 * /metrics page of thousands of containers, tens of MiB), after which such pages come
	 * from the heap and stay there once the containers are gone
	 */
	mallopt(M_MMAP_THRESHOLD, 256 * 1024);
	/* cgroup files are kept open between reads (see cgroupfs_read_kept): take the room the
	 * hard limit allows */
	{
		struct rlimit rl;

		if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	log_setup(env.level, env.format);
	libbpf_set_print(log_libbpf);
	procfs__set_root(env.proc_root);

	if (env.cleanup_cmd)
		return cleanup_command();

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	pr_info("starting runnerscope version=%s revision=%s", RS_VERSION, RS_REVISION);
	err = check_proc_root(env.proc_root);
	if (!err)
		err = check_cgroup_root(env.cgroup_root);
	if (err)
		return 1;
	if (env.web_config_file) {
		web = webconfig__load(env.web_config_file, err_msg, sizeof(err_msg));
		if (!web) {
			pr_err("invalid --web.config.file: %s", err_msg);
			err = 1;
			goto cleanup;
		}
	}

	if (env.events_file) {
		events = eventlog__new(env.events_file);
		if (!events) {
			pr_err("cannot open --events.file %s: %s", env.events_file, strerror(errno));
			err = 1;
			goto cleanup;
		}
	}
	copts.cgroup_root = env.cgroup_root;
	copts.docker_root = env.docker_root;
	copts.kubelet_log_dir = env.kubelet_log_dir;
	copts.runtime_root = env.runtime_root;
	copts.all = env.all_containers;
	copts.grace_ns = env.container_grace_ns;
	copts.cpu_wait = probes__cpu_wait();
	containers = containers__new(&copts);
	if (!containers) {
		err = 1;
		goto cleanup;
	}
	if (env.job_labels_mask) {
		joblabels__init(&labels, env.job_labels_mask, env.job_labels_limit);
		sopts.labels = &labels;
	}
	sopts.grace_ns = env.grace_ns;
	sopts.disk_full_below = env.disk_full_below;
	timeline = timeline__new(NULL);
	if (!timeline) {
		pr_err("out of memory");
		err = 1;
		goto cleanup;
	}
	subs.events = events;
	subs.timeline = timeline;
	sopts.on_job = on_job;
	sopts.on_job_ctx = &subs;
	sopts.containers = containers;
	sopts.cpu_wait = probes__cpu_wait();
	if (!sopts.cpu_wait)
		pr_info("the kernel keeps no wait for a CPU per task (CONFIG_SCHED_INFO): jobs' "
			"and containers' CPU wait is not exported");
	state = state__new(&sopts);
	if (!state) {
		pr_err("out of memory");
		err = 1;
		goto cleanup;
	}
	popts.attach = env.attach;
	popts.ringbuf_bytes = env.ringbuf_bytes;
	popts.pin_path = env.pin_path;
	popts.cleanup_on_exit = env.cleanup_on_exit;
	popts.stats = env.bpf_stats;
	popts.end_idle_ns = env.end_idle_ns;
	popts.docker_root = env.docker_root;
	popts.runtime_root = env.runtime_root;
	popts.kubelet_log_dir = env.kubelet_log_dir;
	popts.cg_hiers = containers__followed(containers);
	probes = probes__new(&popts);
	if (!probes) {
		err = 1;
		goto cleanup;
	}
	/*
	 * The status page's jobs from before this start, read once another daemon on the same
	 * pins is gone (probes__new() waits for it) and before the state takes a record: what
	 * finishes from now on comes after them, and only the state counts anything.
	 */
	if (events && strcmp(env.events_file, "-"))
		history__load(env.events_file, timeline, state, NULL);
	if (intake__start(probes, state, containers)) {
		err = 1;
		goto cleanup;
	}
	/* attached first, then scanned: nothing starts unseen in between */
	err = intake__scan(probes);
	if (err < 0)
		pr_warn("failed to scan %s for running runners: %s", env.proc_root, strerror(-err));
	rctx.probes = probes;
	rctx.containers = containers;
	rctx.state = state;
	rctx.max_cpus = (int)sysconf(_SC_NPROCESSORS_CONF);
	if (rctx.max_cpus < 1)
		rctx.max_cpus = 1;
	rctx.busy = calloc((size_t)rctx.max_cpus, sizeof(*rctx.busy));
	refresh(&rctx);
	atomic_store(&heartbeat, clock_ns(CLOCK_MONOTONIC));

	msrc.state = state;
	msrc.probes = probes;
	msrc.events = events;
	msrc.timeline = timeline;
	msrc.containers = containers;
	msrc.refresh = refresh;
	msrc.refresh_ctx = &rctx;
	msrc.passes = &passes;
	msrc.web = &web_stats;
	/* the host's name, not a DaemonSet pod's: pid 1's UTS namespace */
	if (procfs__hostname(1, host, sizeof(host)) && gethostname(host, sizeof(host)))
		host[0] = '\0';
	host[sizeof(host) - 1] = '\0';
	msrc.host = host;
	hopts.listen_address = env.listen_address;
	hopts.web = web;
	hopts.max_requests = env.max_requests;
	hopts.max_connections = env.max_connections;
	hopts.max_connections_per_ip = env.max_connections_per_ip;
	hopts.timeout_ns = env.web_timeout_ns;
	hopts.metrics = &msrc;
	hopts.health = health;
	hopts.health_ctx = probes;
	http = http__new(&hopts);
	if (!http) {
		err = 1;
		goto cleanup;
	}

	err = 0;
	while (!stopping) {
		uint64_t now = clock_ns(CLOCK_MONOTONIC), due = last_reconcile + RECONCILE_NS;
		int wait_ms = due > now ? (int)((due - now + 999999) / 1000000) : 0;

		/* events wake the loop at once; otherwise it wakes for the next pass, once a second */
		err = intake__poll(probes, wait_ms);
		if (err) {
			pr_err("failed to read the events ring buffer: %s", strerror(-err));
			break;
		}
		now = clock_ns(CLOCK_MONOTONIC);
		atomic_store(&heartbeat, now);
		/* the maps are the truth: a lost event is made good here */
		if (now - last_reconcile >= RECONCILE_NS) {
			refresh(&rctx);
			state__sync_names(state);
			state__expire(state, clock_ns(CLOCK_MONOTONIC));
			last_reconcile = now;
			/* pages kept since are rebuilt (pages.h) */
			atomic_fetch_add(&passes, 1);
			http__pass(http);
		}
	}
	if (!err)
		pr_info("stopping on signal");
cleanup:
	http__free(http);
	free(rctx.busy);
	intake__stop(probes);
	probes__free(probes);
	state__free(state);
	timeline__free(timeline);
	joblabels__free(&labels);
	containers__free(containers);
	eventlog__free(events);
	webconfig__free(web);
	return err ? 1 : 0;
}
