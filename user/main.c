// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * runnerscope: follows CI runner agents and their jobs from the kernel and serves them as
 * Prometheus metrics.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "enrich/cgroupfs.h"
#include "lib/clock.h"
#include "enrich/containers.h"
#include "lib/duration.h"
#include "expo/eventlog.h"
#include "web/http.h"
#include "lib/log.h"
#include "expo/metrics.h"
#include "kernel/probes.h"
#include "kernel/pin.h"
#include "enrich/procfs.h"
#include "intake/scan.h"
#include "state/state.h"
#include "web/webconfig.h"

#ifndef RS_VERSION
#define RS_VERSION "0.0.0-dev"
#endif
#ifndef RS_REVISION
#define RS_REVISION "unknown"
#endif

#define RECONCILE_NS 1000000000ULL
#define STALL_NS (10 * 1000000000ULL)

static volatile sig_atomic_t stopping;
static _Atomic uint64_t heartbeat;
/* once-a-second passes run: pages built before one are rebuilt (pages.h) */
static _Atomic uint64_t passes;

static struct {
	const char *listen_address;
	const char *web_config_file;
	unsigned int max_requests;
	unsigned int max_connections;
	unsigned int max_connections_per_ip;
	uint64_t web_timeout_ns;
	int bpf_stats;
	const char *proc_root;
	const char *cgroup_root;
	const char *events_file;
	const char *docker_root;
	const char *kubelet_log_dir;
	const char *runtime_root;
	int all_containers;
	uint64_t grace_ns;
	uint64_t container_grace_ns;
	uint64_t end_idle_ns;
	unsigned int job_labels_mask;
	unsigned int job_labels_limit;
	uint32_t ringbuf_bytes;
	const char *pin_path;
	int cleanup_on_exit;
	int cleanup_cmd; /* "runnerscope cleanup" */
	enum probes_attach attach;
	enum log_level level;
	enum log_format format;
} env = {
	.listen_address = ":9477",
	.max_requests = 40,
	.max_connections = 512,
	.max_connections_per_ip = 64,
	.web_timeout_ns = 10ULL * 1000000000ULL,
	.bpf_stats = 1,
	.proc_root = "/proc",
	.cgroup_root = "/sys/fs/cgroup",
	.docker_root = "/var/lib/docker",
	.kubelet_log_dir = "/var/log/containers",
	.runtime_root = "/",
	.grace_ns = 300ULL * 1000000000ULL,
	.container_grace_ns = 120ULL * 1000000000ULL,
	.end_idle_ns = 10ULL * 1000000000ULL,
	.job_labels_limit = 100,
	.ringbuf_bytes = 256 * 1024,
	.pin_path = "/sys/fs/bpf/runnerscope",
	.attach = ATTACH_AUTO,
	.level = LOG_INFO,
	.format = LOG_FMT_LOGFMT,
};

enum {
	OPT_LISTEN = 1000,
	OPT_WEB_CONFIG,
	OPT_MAX_REQUESTS,
	OPT_MAX_CONNS,
	OPT_MAX_CONNS_IP,
	OPT_WEB_TIMEOUT,
	OPT_BPF_STATS,
	OPT_NO_BPF_STATS,
	OPT_PROC_ROOT,
	OPT_CGROUP_ROOT,
	OPT_GRACE,
	OPT_CONTAINER_GRACE,
	OPT_END_IDLE,
	OPT_JOB_LABELS,
	OPT_JOB_LABELS_LIMIT,
	OPT_EVENTS,
	OPT_CONTAINERS,
	OPT_DOCKER_ROOT,
	OPT_KUBELET_LOGS,
	OPT_RUNTIME_ROOT,
	OPT_ATTACH,
	OPT_RINGBUF,
	OPT_PIN_PATH,
	OPT_CLEANUP,
	OPT_LOG_LEVEL,
	OPT_LOG_FORMAT,
	OPT_VERSION,
	OPT_HELP,
};

static const struct option options[] = {
	{ "web.listen-address", required_argument, NULL, OPT_LISTEN },
	{ "web.config.file", required_argument, NULL, OPT_WEB_CONFIG },
	{ "web.max-requests", required_argument, NULL, OPT_MAX_REQUESTS },
	{ "web.max-connections", required_argument, NULL, OPT_MAX_CONNS },
	{ "web.max-connections-per-ip", required_argument, NULL, OPT_MAX_CONNS_IP },
	{ "web.timeout", required_argument, NULL, OPT_WEB_TIMEOUT },
	{ "bpf.stats", no_argument, NULL, OPT_BPF_STATS },
	{ "no-bpf.stats", no_argument, NULL, OPT_NO_BPF_STATS },
	{ "proc.root", required_argument, NULL, OPT_PROC_ROOT },
	{ "cgroup.root", required_argument, NULL, OPT_CGROUP_ROOT },
	{ "runner.grace-period", required_argument, NULL, OPT_GRACE },
	{ "jobs.end-after-idle", required_argument, NULL, OPT_END_IDLE },
	{ "metrics.job-labels", required_argument, NULL, OPT_JOB_LABELS },
	{ "metrics.job-labels-limit", required_argument, NULL, OPT_JOB_LABELS_LIMIT },
	{ "events.file", required_argument, NULL, OPT_EVENTS },
	{ "containers", required_argument, NULL, OPT_CONTAINERS },
	{ "containers.grace-period", required_argument, NULL, OPT_CONTAINER_GRACE },
	{ "docker.data-root", required_argument, NULL, OPT_DOCKER_ROOT },
	{ "kubelet.log-dir", required_argument, NULL, OPT_KUBELET_LOGS },
	{ "runtime.root", required_argument, NULL, OPT_RUNTIME_ROOT },
	{ "bpf.attach", required_argument, NULL, OPT_ATTACH },
	{ "bpf.ringbuf-size", required_argument, NULL, OPT_RINGBUF },
	{ "bpf.pin-path", required_argument, NULL, OPT_PIN_PATH },
	{ "bpf.cleanup-on-exit", no_argument, NULL, OPT_CLEANUP },
	{ "log.level", required_argument, NULL, OPT_LOG_LEVEL },
	{ "log.format", required_argument, NULL, OPT_LOG_FORMAT },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "help", no_argument, NULL, OPT_HELP },
	{},
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: runnerscope [flags]\n"
		"       runnerscope cleanup [--bpf.pin-path=DIR]\n"
		"\n"
		"Follows CI runner agents and their jobs from the kernel and serves Prometheus\n"
		"metrics for the whole host. Its programs stay attached and its maps pinned when it\n"
		"exits, so that a restart loses and repeats nothing; \"cleanup\" detaches and\n"
		"unpins them (stop runnerscope first).\n"
		"\n"
		"flags:\n"
		"  --web.listen-address=[HOST]:PORT  address for /metrics, /healthz and / (default :9477)\n"
		"  --web.config.file=PATH            TLS, basic auth, headers and rate limit, in the\n"
		"                                    exporter-toolkit format (default: none)\n"
		"  --web.max-requests=N              /metrics and / pages answered at once; more get\n"
		"                                    503; 0: no limit (default 40)\n"
		"  --web.max-connections=N           connections open at once (default 512)\n"
		"  --web.max-connections-per-ip=N    connections open at once from one address\n"
		"                                    (default 64)\n"
		"  --web.timeout=DURATION            time a connection has for a request and its\n"
		"                                    response, and may stay idle (default 10s)\n"
		"  --proc.root=DIR                   the host's procfs (default /proc)\n"
		"  --cgroup.root=DIR                 the host's cgroup mounts (default /sys/fs/cgroup)\n"
		"  --containers=runners|all          report the containers hosting runners, or every\n"
		"                                    container on the host (default runners)\n"
		"  --docker.data-root=DIR            docker's data root, for container names\n"
		"                                    (default /var/lib/docker)\n"
		"  --kubelet.log-dir=DIR             kubelet's container log links, for pod,\n"
		"                                    namespace and container names\n"
		"                                    (default /var/log/containers)\n"
		"  --runtime.root=DIR                the host's / as runnerscope sees it, for names\n"
		"                                    in containerd's, CRI-O's and podman's files\n"
		"                                    (default /)\n"
		"  --events.file=PATH                job event log: one JSON line per job_started and\n"
		"                                    job_finished; - for stdout (default: none)\n"
		"  --runner.grace-period=DURATION    how long a runner whose agent exited stays with\n"
		"                                    runner_up 0 before its series go (default 5m)\n"
		"  --containers.grace-period=DURATION\n"
		"                                    how long a gone container's final values stay\n"
		"                                    before its series go (default 2m)\n"
		"  --jobs.end-after-idle=DURATION    a Gitea or GitLab job (several processes in\n"
		"                                    turn) ends once none of its processes has run\n"
		"                                    for this long; its end is its last exit\n"
		"                                    (default 10s)\n"
		"  --metrics.job-labels=LIST         job context labels to add to the job counters:\n"
		"                                    repository, workflow, job (default: none)\n"
		"  --metrics.job-labels-limit=N      distinct values kept per job label; the rest\n"
		"                                    become \"other\" (default 100)\n"
		"  --bpf.attach=auto|tp_btf|raw_tp   tracepoint flavour; auto tries tp_btf, then raw_tp\n"
		"                                    (default auto)\n"
		"  --bpf.ringbuf-size=BYTES          events ring buffer: a power of two, at least\n"
		"                                    the page size (default 262144)\n"
		"  --bpf.pin-path=DIR                where maps and program links are pinned, on a\n"
		"                                    bpffs (mounted if missing); empty: pin nothing\n"
		"                                    (default /sys/fs/bpf/runnerscope)\n"
		"  --bpf.cleanup-on-exit             detach and unpin everything on exit instead of\n"
		"                                    leaving it for the next start\n"
		"  --bpf.stats, --no-bpf.stats       have the kernel time the BPF programs, for\n"
		"                                    runnerscope_bpf_program_* (default on)\n"
		"  --log.level=error|warn|info|debug (default info)\n"
		"  --log.format=logfmt|json          (default logfmt)\n"
		"  --version                         print the version and exit\n"
		"  --help                            print this help and exit\n"
		"\n"
		"DURATION is numbers with units: ms, s, m, h, d or w (e.g. 90s, 5m, 1h30m).\n");
}

/* a flag's number: digits only, at most max */
static int parse_uint(const char *flag, const char *s, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *s == '-' || *s == '+' || *end || errno || v > max) {
		fprintf(stderr, "runnerscope: invalid --%s %s: want a number from 0 to %u\n", flag, s,
			max);
		return 2;
	}
	*out = (unsigned int)v;
	return 0;
}

/* a duration flag's value, at least min ns: 0, or 2 (the exit status) after saying why */
static int duration_flag(const char *flag, const char *arg, uint64_t *out, uint64_t min)
{
	if (!duration_parse(arg, out) && *out >= min)
		return 0;
	fprintf(stderr, "runnerscope: invalid --%s %s\n", flag, arg);
	return 2;
}

static int parse_args(int argc, char **argv)
{
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN:
			env.listen_address = optarg;
			break;
		case OPT_WEB_CONFIG:
			env.web_config_file = optarg;
			break;
		case OPT_MAX_REQUESTS:
			if (parse_uint("web.max-requests", optarg, 1000000, &env.max_requests))
				return 2;
			break;
		case OPT_MAX_CONNS:
			if (parse_uint("web.max-connections", optarg, 1000000,
				       &env.max_connections))
				return 2;
			if (!env.max_connections) {
				fprintf(stderr, "runnerscope: invalid --web.max-connections 0\n");
				return 2;
			}
			break;
		case OPT_MAX_CONNS_IP:
			if (parse_uint("web.max-connections-per-ip", optarg, 1000000,
				       &env.max_connections_per_ip))
				return 2;
			break;
		case OPT_WEB_TIMEOUT:
			if (duration_parse(optarg, &env.web_timeout_ns) ||
			    env.web_timeout_ns < 1000000000ULL) {
				fprintf(stderr,
					"runnerscope: invalid --web.timeout %s: want a duration of "
					"at least 1s\n",
					optarg);
				return 2;
			}
			break;
		case OPT_BPF_STATS:
			env.bpf_stats = 1;
			break;
		case OPT_NO_BPF_STATS:
			env.bpf_stats = 0;
			break;
		case OPT_PROC_ROOT:
			env.proc_root = optarg;
			break;
		case OPT_CGROUP_ROOT:
			env.cgroup_root = optarg;
			break;
		case OPT_CONTAINERS:
			if (!strcmp(optarg, "runners"))
				env.all_containers = 0;
			else if (!strcmp(optarg, "all"))
				env.all_containers = 1;
			else {
				fprintf(stderr, "runnerscope: invalid --containers %s\n", optarg);
				return 2;
			}
			break;
		case OPT_DOCKER_ROOT:
			env.docker_root = optarg;
			break;
		case OPT_KUBELET_LOGS:
			env.kubelet_log_dir = optarg;
			break;
		case OPT_RUNTIME_ROOT:
			env.runtime_root = optarg;
			break;
		case OPT_EVENTS:
			env.events_file = optarg;
			break;
		case OPT_GRACE:
			if (duration_flag("runner.grace-period", optarg, &env.grace_ns, 0))
				return 2;
			break;
		case OPT_CONTAINER_GRACE:
			if (duration_flag("containers.grace-period", optarg, &env.container_grace_ns,
					  0))
				return 2;
			break;
		case OPT_END_IDLE:
			if (duration_flag("jobs.end-after-idle", optarg, &env.end_idle_ns, 1))
				return 2;
			break;
		case OPT_JOB_LABELS: {
			const char *bad = NULL;

			if (joblabels_parse(optarg, &env.job_labels_mask, &bad)) {
				fprintf(stderr,
					"runnerscope: invalid --metrics.job-labels %s: unknown label "
					"\"%.*s\" (known: repository, workflow, job)\n",
					optarg, (int)strcspn(bad, ","), bad);
				return 2;
			}
			break;
		}
		case OPT_JOB_LABELS_LIMIT:
			if (parse_uint("metrics.job-labels-limit", optarg, 100000,
				       &env.job_labels_limit))
				return 2;
			break;
		case OPT_ATTACH:
			if (!strcmp(optarg, "auto"))
				env.attach = ATTACH_AUTO;
			else if (!strcmp(optarg, "tp_btf"))
				env.attach = ATTACH_TP_BTF;
			else if (!strcmp(optarg, "raw_tp"))
				env.attach = ATTACH_RAW_TP;
			else {
				fprintf(stderr, "runnerscope: invalid --bpf.attach %s\n", optarg);
				return 2;
			}
			break;
		case OPT_RINGBUF: {
			char *end;
			unsigned long v = strtoul(optarg, &end, 10);
			long page = sysconf(_SC_PAGESIZE);

			if (*end || !v || v & (v - 1) || v < (unsigned long)page || v > (1UL << 30)) {
				fprintf(stderr,
					"runnerscope: invalid --bpf.ringbuf-size %s: want a power of "
					"two from %ld to 1073741824\n",
					optarg, page);
				return 2;
			}
			env.ringbuf_bytes = (uint32_t)v;
			break;
		}
		case OPT_PIN_PATH:
			env.pin_path = optarg;
			break;
		case OPT_CLEANUP:
			env.cleanup_on_exit = 1;
			break;
		case OPT_LOG_LEVEL:
			if (log_parse_level(optarg, &env.level)) {
				fprintf(stderr, "runnerscope: invalid --log.level %s\n", optarg);
				return 2;
			}
			break;
		case OPT_LOG_FORMAT:
			if (log_parse_format(optarg, &env.format)) {
				fprintf(stderr, "runnerscope: invalid --log.format %s\n", optarg);
				return 2;
			}
			break;
		case OPT_VERSION:
			printf("runnerscope %s (revision %s, libbpf %u.%u)\n", RS_VERSION,
			       RS_REVISION, libbpf_major_version(), libbpf_minor_version());
			return 1;
		case OPT_HELP:
			usage(stdout);
			return 1;
		default:
			fprintf(stderr, "runnerscope: unknown or incomplete flag %s\n",
				argv[optind - 1]);
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc && !strcmp(argv[optind], "cleanup")) {
		env.cleanup_cmd = 1;
		optind++;
	}
	if (optind < argc) {
		fprintf(stderr, "runnerscope: unexpected argument %s\n", argv[optind]);
		return 2;
	}
	return 0;
}

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
	if (cgroupfs_layout(root, &l)) {
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
	pthread_mutex_t lock;
	uint64_t fresh_since; /* CLOCK_MONOTONIC start of the last pass that completed */
};

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
		probes__reconcile(r->probes);
		containers__refresh(r->containers);
		r->fresh_since = start;
		pr_debug("refresh pass took %.1f ms",
			 (double)(clock_ns(CLOCK_MONOTONIC) - start) / 1e6);
	}
	pthread_mutex_unlock(&r->lock);
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
	fd = pin_dir_open(env.pin_path, 0);
	if (fd < 0)
		return 1;
	n = pin_dir_clear(env.pin_path, 1);
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
	struct web_config *web = NULL;
	char host[256] = "", err_msg[1024];
	struct http_opts hopts = {};
	struct sigaction sa = { .sa_handler = on_signal };
	struct state *state = NULL;
	struct probes *probes = NULL;
	struct http *http = NULL;
	struct eventlog *events = NULL;
	struct containers *containers = NULL;
	struct containers_opts copts = {};
	struct refresh_ctx rctx = { .lock = PTHREAD_MUTEX_INITIALIZER };
	uint64_t last_reconcile = 0;
	int err;

	err = parse_args(argc, argv);
	if (err)
		return err == 1 ? 0 : err;
	/*
	 * One malloc arena for every thread: pages built by the HTTP threads would otherwise each
	 * keep an arena of their own, and the memory freed after a scrape or a container's
	 * departure would stay spread over them.
	 */
	mallopt(M_ARENA_MAX, 1);
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
	procfs_set_root(env.proc_root);

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
		web = web_config__load(env.web_config_file, err_msg, sizeof(err_msg));
		if (!web) {
			pr_err("invalid --web.config.file: %s", err_msg);
			return 1;
		}
		if (web->tls && web->http2)
			pr_debug("http2 in --web.config.file: runnerscope serves HTTP/1.1");
	}

	if (env.events_file) {
		events = eventlog__new(env.events_file);
		if (!events) {
			pr_err("cannot open --events.file %s: %s", env.events_file, strerror(errno));
			web_config__free(web);
			return 1;
		}
	}
	copts.cgroup_root = env.cgroup_root;
	copts.docker_root = env.docker_root;
	copts.kubelet_log_dir = env.kubelet_log_dir;
	copts.runtime_root = env.runtime_root;
	copts.all = env.all_containers;
	copts.grace_ns = env.container_grace_ns;
	containers = containers__new(&copts);
	if (!containers) {
		eventlog__free(events);
		web_config__free(web);
		return 1;
	}
	if (env.job_labels_mask) {
		joblabels_init(&labels, env.job_labels_mask, env.job_labels_limit);
		sopts.labels = &labels;
	}
	sopts.grace_ns = env.grace_ns;
	if (events) {
		sopts.on_job = eventlog_on_job;
		sopts.on_job_ctx = events;
	}
	sopts.containers = containers;
	state = state__new(&sopts);
	if (!state) {
		pr_err("out of memory");
		eventlog__free(events);
		containers__free(containers);
		web_config__free(web);
		return 1;
	}
	popts.attach = env.attach;
	popts.ringbuf_bytes = env.ringbuf_bytes;
	popts.pin_path = env.pin_path;
	popts.cleanup_on_exit = env.cleanup_on_exit;
	popts.stats = env.bpf_stats;
	popts.end_idle_ns = env.end_idle_ns;
	popts.docker_root = env.docker_root;
	probes = probes__new(&popts);
	if (!probes || probes__start(probes, state)) {
		err = 1;
		goto cleanup;
	}
	/* attached first, then scanned: nothing starts unseen in between */
	err = scan_running(probes);
	if (err < 0)
		pr_warn("failed to scan %s for running runners: %s", env.proc_root, strerror(-err));
	rctx.probes = probes;
	rctx.containers = containers;
	refresh(&rctx);
	atomic_store(&heartbeat, clock_ns(CLOCK_MONOTONIC));

	msrc.state = state;
	msrc.probes = probes;
	msrc.events = events;
	msrc.containers = containers;
	msrc.refresh = refresh;
	msrc.refresh_ctx = &rctx;
	msrc.passes = &passes;
	msrc.web = &web_stats;
	/* the host's name, not a DaemonSet pod's: pid 1's UTS namespace */
	if (procfs_hostname(1, host, sizeof(host)) && gethostname(host, sizeof(host)))
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
		err = probes__poll(probes, wait_ms);
		if (err) {
			pr_err("failed to read the events ring buffer: %s", strerror(-err));
			break;
		}
		now = clock_ns(CLOCK_MONOTONIC);
		atomic_store(&heartbeat, now);
		/* the maps are the truth: a lost event is made good here */
		if (now - last_reconcile >= RECONCILE_NS) {
			refresh(&rctx);
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
	probes__free(probes);
	state__free(state);
	joblabels_free(&labels);
	containers__free(containers);
	eventlog__free(events);
	web_config__free(web);
	return err ? 1 : 0;
}
