// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The command line: every flag, its default, and what --help says of it */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "lib/duration.h"
#include "state/joblabels.h"
#include "flags.h"

void config_defaults(struct config *c)
{
	*c = (struct config){
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
		.disk_full_below = 1,
		.job_labels_limit = 100,
		.ringbuf_bytes = 256 * 1024,
		.pin_path = "/sys/fs/bpf/runnerscope",
		.attach = ATTACH_AUTO,
		.level = LOG_INFO,
		.format = LOG_FMT_LOGFMT,
	};
}

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
	OPT_DISK_FULL,
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
	{ "jobs.disk-full-below", required_argument, NULL, OPT_DISK_FULL },
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
		"                                    job_finished; - for stdout (default: none); the\n"
		"                                    status page reads its finished jobs back at\n"
		"                                    start-up\n"
		"  --runner.grace-period=DURATION    how long a runner whose agent exited stays with\n"
		"                                    runner_up 0 before its series go (default 5m)\n"
		"  --containers.grace-period=DURATION\n"
		"                                    how long a gone container's final values stay\n"
		"                                    before its series go (default 2m)\n"
		"  --jobs.end-after-idle=DURATION    a job of several processes in turn (host mode,\n"
		"                                    a shell executor) with no container ends once\n"
		"                                    none of its processes has run for this long\n"
		"                                    (one with containers when its job container is\n"
		"                                    removed); its end is its last exit (default 10s)\n"
		"  --jobs.disk-full-below=PCT        a failed job whose runner's work filesystem had\n"
		"                                    less than PCT %% of its space or inodes free at\n"
		"                                    its end failed for reason disk_full; 0: never\n"
		"                                    (default 1)\n"
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

/* a percentage, 0 … 100, with or without its "%" */
static int percent_flag(const char *flag, const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (*end == '%')
		end++;
	if (end == s || *end || errno || !(v >= 0 && v <= 100)) {
		fprintf(stderr, "runnerscope: invalid --%s %s: want a percentage from 0 to 100\n",
			flag, s);
		return 2;
	}
	*out = v;
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

int config_parse(struct config *cfg, int argc, char **argv)
{
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
		switch (c) {
		case OPT_LISTEN:
			cfg->listen_address = optarg;
			break;
		case OPT_WEB_CONFIG:
			cfg->web_config_file = optarg;
			break;
		case OPT_MAX_REQUESTS:
			if (parse_uint("web.max-requests", optarg, 1000000, &cfg->max_requests))
				return 2;
			break;
		case OPT_MAX_CONNS:
			if (parse_uint("web.max-connections", optarg, 1000000,
				       &cfg->max_connections))
				return 2;
			if (!cfg->max_connections) {
				fprintf(stderr, "runnerscope: invalid --web.max-connections 0\n");
				return 2;
			}
			break;
		case OPT_MAX_CONNS_IP:
			if (parse_uint("web.max-connections-per-ip", optarg, 1000000,
				       &cfg->max_connections_per_ip))
				return 2;
			break;
		case OPT_WEB_TIMEOUT:
			if (duration_parse(optarg, &cfg->web_timeout_ns) ||
			    cfg->web_timeout_ns < 1000000000ULL) {
				fprintf(stderr,
					"runnerscope: invalid --web.timeout %s: want a duration of "
					"at least 1s\n",
					optarg);
				return 2;
			}
			break;
		case OPT_BPF_STATS:
			cfg->bpf_stats = 1;
			break;
		case OPT_NO_BPF_STATS:
			cfg->bpf_stats = 0;
			break;
		case OPT_PROC_ROOT:
			cfg->proc_root = optarg;
			break;
		case OPT_CGROUP_ROOT:
			cfg->cgroup_root = optarg;
			break;
		case OPT_CONTAINERS:
			if (!strcmp(optarg, "runners"))
				cfg->all_containers = 0;
			else if (!strcmp(optarg, "all"))
				cfg->all_containers = 1;
			else {
				fprintf(stderr, "runnerscope: invalid --containers %s\n", optarg);
				return 2;
			}
			break;
		case OPT_DOCKER_ROOT:
			cfg->docker_root = optarg;
			break;
		case OPT_KUBELET_LOGS:
			cfg->kubelet_log_dir = optarg;
			break;
		case OPT_RUNTIME_ROOT:
			cfg->runtime_root = optarg;
			break;
		case OPT_EVENTS:
			cfg->events_file = optarg;
			break;
		case OPT_GRACE:
			if (duration_flag("runner.grace-period", optarg, &cfg->grace_ns, 0))
				return 2;
			break;
		case OPT_CONTAINER_GRACE:
			if (duration_flag("containers.grace-period", optarg, &cfg->container_grace_ns,
					  0))
				return 2;
			break;
		case OPT_END_IDLE:
			if (duration_flag("jobs.end-after-idle", optarg, &cfg->end_idle_ns, 1))
				return 2;
			break;
		case OPT_DISK_FULL:
			if (percent_flag("jobs.disk-full-below", optarg, &cfg->disk_full_below))
				return 2;
			break;
		case OPT_JOB_LABELS: {
			const char *bad = NULL;

			if (joblabels__parse(optarg, &cfg->job_labels_mask, &bad)) {
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
				       &cfg->job_labels_limit))
				return 2;
			break;
		case OPT_ATTACH:
			if (!strcmp(optarg, "auto"))
				cfg->attach = ATTACH_AUTO;
			else if (!strcmp(optarg, "tp_btf"))
				cfg->attach = ATTACH_TP_BTF;
			else if (!strcmp(optarg, "raw_tp"))
				cfg->attach = ATTACH_RAW_TP;
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
			cfg->ringbuf_bytes = (uint32_t)v;
			break;
		}
		case OPT_PIN_PATH:
			cfg->pin_path = optarg;
			break;
		case OPT_CLEANUP:
			cfg->cleanup_on_exit = 1;
			break;
		case OPT_LOG_LEVEL:
			if (log_parse_level(optarg, &cfg->level)) {
				fprintf(stderr, "runnerscope: invalid --log.level %s\n", optarg);
				return 2;
			}
			break;
		case OPT_LOG_FORMAT:
			if (log_parse_format(optarg, &cfg->format)) {
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
		cfg->cleanup_cmd = 1;
		optind++;
	}
	if (optind < argc) {
		fprintf(stderr, "runnerscope: unexpected argument %s\n", argv[optind]);
		return 2;
	}
	return 0;
}
