#!/usr/bin/python3
"""What runnerscope costs the host, side by side with the alternatives, in one run.

    sudo make bench            # or: sudo tools/setup.sh bench
    sudo bench/run.py --quick  # fewer rounds, smaller storms: a smoke test of the suite

Writes build/bench/results.json and build/bench/results.md (the tables docs/performance.md quotes).
Every comparison is measured in the same run, interleaved over several rounds, and given as a
median with its spread (min … max).
"""
import argparse
import errno
import http.client
import json
import os
import platform
import random
import re
import secrets
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "tests", "e2e"))
import rs  # noqa: E402  the end-to-end tests' daemon, cgroup and fake-runner helpers

OUT = os.path.join(rs.BUILD, "bench")
STORM = os.path.join(OUT, "execstorm")
FLOOR = os.path.join(OUT, "floor")
STATUS_PAGE = os.path.join(OUT, "status_page")
BPFTRACE_SCRIPT = """
tracepoint:sched:sched_process_exec { @execs[comm] = count(); }
tracepoint:sched:sched_process_fork { @forks = count(); }
tracepoint:sched:sched_process_exit { @exits = count(); }
"""
PROGS = {"exec": "handle_exec", "fork": "handle_fork", "exit": "handle_exit"}
# the programs on the cgroup tracepoints, by the names bench/floor.c prints them under
CG_PROGS = {"cg_mkdir": "handle_cg_mkdir", "cg_rmdir": "handle_cg_rmdir",
            "cg_attach": "handle_cg_attach", "cg_populated": "handle_cg_populated"}
# the BPF cost columns: runnerscope in each attach flavour, for host processes and inside a job
# the daemon before each thread's CPU wait, affinity and container cgroup were read (CPU wait,
# neighbours, container waits, step environments with their exec), built by `make bench-tools`
COST_BEFORE_REV = "d98e438"
COST_BEFORE_DAEMON = os.path.join(OUT, f"before-{COST_BEFORE_REV}", "build", "runnerscope")
COST_CONFIGS = {"tp_btf": "runnerscope tp_btf, host process",
                "raw_tp": "runnerscope raw_tp, host process",
                "tp_btf_in_job": "runnerscope tp_btf, inside a job",
                "raw_tp_in_job": "runnerscope raw_tp, inside a job",
                "before_tp_btf": f"before ({COST_BEFORE_REV}) tp_btf, host process",
                "before_tp_btf_in_job": f"before ({COST_BEFORE_REV}) tp_btf, inside a job",
                "floor": "empty tp_btf program (floor)",
                "floor_raw_tp": "empty raw_tp program",
                "bpftrace": "bpftrace (tracepoint)"}


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def spread(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def storm(n, mode="exec"):
    out = subprocess.run([STORM, "-n", str(n), "-m", mode], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout)


def proc_cpu(pid):
    """user + system CPU seconds of a process (and its threads)"""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def host_busy():
    """CPU seconds all of the host's CPUs have spent busy (neither idle nor waiting for I/O)"""
    with open("/proc/stat") as f:
        ticks = [int(x) for x in f.readline().split()[1:8]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")


def proc_reads(pid):
    """read(2)-like system calls a process has made (/proc/<pid>/io syscr): each file of a
    cgroup read once is one or more"""
    with open(f"/proc/{pid}/io") as f:
        for line in f:
            if line.startswith("syscr:"):
                return int(line.split()[1])
    return None


def proc_rss(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return None


def tree_rss(pid):
    """RSS of a process and its descendants (a shell loop and what it runs)"""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            total += proc_rss(p) or 0
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


class Runnerscope:
    """The daemon as a user runs it (info logs), without pins: its programs go when it stops.
    attach: the flavour it must run with (auto must give tp_btf)."""

    def __init__(self, work, *args, attach="auto", binary=None):
        self.attach = attach
        self.d = rs.Daemon(work, ("--bpf.pin-path=", "--log.level=info",
                                  f"--bpf.attach={attach}", *args), cleanup=False)
        if binary:
            self.d.args[0] = binary

    def __enter__(self):
        self.d.start()
        got = [l["attach"] for l, _ in self.d.scrape().find("runnerscope_bpf_attach_info")]
        want = "tp_btf" if self.attach == "auto" else self.attach
        assert got == [want], f"runnerscope attached {got}, not {want}"
        return self

    def __exit__(self, *exc):
        self.d.stop()

    @property
    def pid(self):
        return self.d.proc.pid

    def prog_stats(self, progs=PROGS):
        return self.stats(progs)[0]

    def stats(self, progs=PROGS):
        """(run ns and runs of each program, events sent by event name), from one scrape"""
        m = self.d.scrape(rs.FRESH)  # the counters now, not a kept page's
        out = {}
        for ev, prog in progs.items():
            run = m.value("runnerscope_bpf_program_run_seconds_total", program=prog)
            runs = m.value("runnerscope_bpf_program_runs_total", program=prog)
            out[ev] = (run * 1e9, runs)
        return out, {l["event"]: v for l, v in m.find("runnerscope_bpf_events_total")}


class Floor:
    """Empty programs on the same tracepoints, in one attach flavour: the cost of running any
    program there."""

    def __init__(self, stats_only=False, attach="tp_btf"):
        self.args = [FLOOR] + (["--stats-only"] if stats_only else
                               ["--raw-tp"] if attach == "raw_tp" else [])

    def __enter__(self):
        self.p = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  text=True)
        assert self.p.stdout.readline().strip() == "ready"
        return self

    def __exit__(self, *exc):
        if self.p.poll() is None:
            self.p.stdin.close()
            self.p.wait(10)

    def stats(self):
        self.p.stdin.close()
        line = self.p.stdout.readline()
        self.p.wait(10)
        return {ev: (v["run_ns"], v["runs"]) for ev, v in json.loads(line).items()}


class Bpftrace:
    """The peer: bpftrace counting execs, forks and exits on the classic tracepoints."""

    def __enter__(self):
        self.p = subprocess.Popen(["bpftrace", "-e", BPFTRACE_SCRIPT], stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT, text=True)
        lines = []
        # it may warn first (RLIMIT_MEMLOCK, which BPF no longer needs)
        while not (lines and lines[-1].startswith("Attaching")):
            lines.append(self.p.stdout.readline())
            assert lines[-1], "bpftrace did not attach:\n" + "".join(lines)
        time.sleep(0.3)
        return self

    def __exit__(self, *exc):
        self.p.send_signal(signal.SIGINT)
        try:
            self.p.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()

    def prog_stats(self):
        """Its three programs: the newest tracepoint programs named after the tracepoints
        (the kernel keeps 15 characters: exec and exit are both sched_process_e, loaded in
        the script's order)."""
        progs = json.loads(subprocess.run(["bpftool", "-j", "prog", "show"],
                                          capture_output=True, text=True, check=True).stdout)
        ours = sorted((p for p in progs if p.get("type") == "tracepoint" and
                       p.get("name") in ("sched_process_e", "sched_process_f")),
                      key=lambda p: p["id"])[-3:]
        assert [p["name"] for p in ours] == ["sched_process_e", "sched_process_f",
                                             "sched_process_e"], ours
        return {ev: (p.get("run_time_ns", 0), p.get("run_cnt", 0))
                for ev, p in zip(("exec", "fork", "exit"), ours)}


def sysctl_stats(on):
    with open("/proc/sys/kernel/bpf_stats_enabled", "w") as f:
        f.write("1" if on else "0")


def mount_tracefs():
    if not os.path.exists("/sys/kernel/tracing/events"):
        subprocess.run(["mount", "-t", "tracefs", "nodev", "/sys/kernel/tracing"], check=False)


def per_run(before, after, events=("exec", "fork", "exit")):
    out = {}
    for ev in events:
        if ev in before and ev in after:
            runs = after[ev][1] - before[ev][1]
            out[ev] = (after[ev][0] - before[ev][0]) / runs if runs else None
    return out


# ---- 1. BPF cost per event ----

def install_runner(work, name):
    """A fake runner root with hard links to the built Listener and Worker (a copy each would
    be 1.5 MB a runner); the Listener finds its root from its own path."""
    root = os.path.join(work, f"runner-{secrets.token_hex(4)}")
    os.makedirs(os.path.join(root, "bin"))
    for b in ("Runner.Listener", "Runner.Worker"):
        try:
            os.link(os.path.join(rs.FAKE_BIN, b), os.path.join(root, "bin", b))
        except OSError as e:
            # another file system (a guest of bench/matrix.sh, whose /tmp is its own)
            if e.errno != errno.EXDEV:
                raise
            shutil.copy2(os.path.join(rs.FAKE_BIN, b), os.path.join(root, "bin", b))
    for d in ("_spool", "_results"):
        os.makedirs(os.path.join(root, d))
    with open(os.path.join(root, ".runner"), "w") as f:
        json.dump({"agentName": name}, f)
    return root


class Runner(rs.Spool):
    """A fake runner started here, with hard links for binaries (see install_runner)."""

    def __init__(self, work, name, cgroup=None):
        self.root = install_runner(work, name)
        rs.Spool.__init__(self, os.path.join(self.root, "_spool"),
                          os.path.join(self.root, "_results"))
        cg = cgroup
        self.proc = subprocess.Popen([os.path.join(self.root, "bin", "Runner.Listener"), "run"],
                                     cwd=self.root, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True,
                                     preexec_fn=(lambda: cg.enter()) if cg else None)

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
            os.killpg(self.proc.pid, signal.SIGCONT)
        except ProcessLookupError:
            pass
        self.proc.wait()


def bench_bpf_cost(work, rounds, n):
    """ns per run of each program, untracked (host processes) and tracked (inside a job), with
    the floor and the bpftrace peer measured the same way, interleaved."""
    res = {k: {"exec_storm": {}, "fork_storm": {}} for k in COST_CONFIGS}

    def record(cfg, load, costs):
        for ev, ns in costs.items():
            res[cfg][load].setdefault(ev, []).append(ns)

    def both_storms(cfg, stats):
        """an exec storm then a fork storm, with what stats() says before and after each"""
        s0 = stats()
        storm(n)
        s1 = stats()
        storm(n, "fork")
        s2 = stats()
        record(cfg, "exec_storm", per_run(s0, s1))
        record(cfg, "fork_storm", per_run(s1, s2))

    def rs_untracked(attach, before=False):
        def step():
            with Runnerscope(work, attach=attach,
                             binary=COST_BEFORE_DAEMON if before else None) as d:
                both_storms(("before_" if before else "") + attach, d.prog_stats)
        step.__name__ = f"runnerscope_{'before_' if before else ''}{attach}"
        return step

    def rs_tracked(attach, before=False):
        def step():
            with Runnerscope(work, attach=attach,
                             binary=COST_BEFORE_DAEMON if before else None) as d:
                r = Runner(work, "bench-tracked")
                try:
                    wait_runner(d, "bench-tracked")
                    for load, mode in (("exec_storm", "exec"), ("fork_storm", "fork")):
                        name = f"{load}-{secrets.token_hex(3)}"
                        s0 = d.prog_stats()
                        r.submit(name, f"step {STORM} -n {n} -m {mode}", "exit 100")
                        status, _ = r.result(name, timeout=300)
                        assert status == 100 << 8, status
                        record(("before_" if before else "") + f"{attach}_in_job", load,
                               per_run(s0, d.prog_stats()))
                finally:
                    r.stop()
        step.__name__ = f"runnerscope_{'before_' if before else ''}{attach}_in_job"
        return step

    def floor():
        for attach, cfg in (("tp_btf", "floor"), ("raw_tp", "floor_raw_tp")):
            for load, mode in (("exec_storm", "exec"), ("fork_storm", "fork")):
                with Floor(attach=attach) as f:
                    storm(n, mode)
                    record(cfg, load, per_run({e: (0, 0) for e in PROGS}, f.stats()))

    def bpftrace():
        sysctl_stats(True)
        try:
            with Bpftrace() as b:
                both_storms("bpftrace", b.prog_stats)
        finally:
            sysctl_stats(False)

    steps = [rs_untracked("tp_btf"), rs_untracked("raw_tp"), rs_tracked("tp_btf"),
             rs_tracked("raw_tp"), rs_untracked("tp_btf", True), rs_tracked("tp_btf", True),
             floor, bpftrace]
    for r in range(rounds):
        random.shuffle(steps)
        for step in steps:
            log(f"bpf cost: round {r + 1}/{rounds}: {step.__name__}")
            step()
    return {cfg: {load: {ev: spread(v) for ev, v in evs.items()} for load, evs in loads.items()}
            for cfg, loads in res.items()}


def wait_runner(d, name):
    rs.wait_for(lambda: d.d.scrape().value("runnerscope_runner_up", runner=name) == 1, 15,
                what=f"runner {name} up")


# ---- 2. exec-storm overhead ----

def bench_overhead(work, rounds, n):
    """fork+exec throughput with nothing attached, runnerscope (as shipped: tp_btf; with raw_tp;
    and without BPF statistics) and the bpftrace peer; each round runs every configuration once, in a new
    random order, and the slowdown is taken against the same round's bare run."""
    configs = {
        "none": lambda: None,
        "runnerscope": lambda: Runnerscope(work),
        "runnerscope --bpf.attach=raw_tp": lambda: Runnerscope(work, attach="raw_tp"),
        "runnerscope --no-bpf.stats": lambda: Runnerscope(work, "--no-bpf.stats"),
        "bpftrace": lambda: Bpftrace(),
    }
    rates = {c: [] for c in configs}
    cpu = {c: [] for c in configs}
    for r in range(rounds):
        order = list(configs)
        random.shuffle(order)
        for c in order:
            log(f"overhead: round {r + 1}/{rounds}: {c}")
            ctx = configs[c]()
            if ctx:
                with ctx:
                    res = storm(n)
            else:
                res = storm(n)
            rates[c].append(res["per_second"])
            cpu[c].append(res["cpu_us_each"])
    out = {}
    for c in configs:
        slow = [100.0 * (1 - x / base) for x, base in zip(rates[c], rates["none"])]
        more = [100.0 * (x / base - 1) for x, base in zip(cpu[c], cpu["none"])]
        out[c] = {"execs_per_second": spread(rates[c]),
                  "slowdown_percent": spread(slow) if c != "none" else None,
                  "cpu_us_per_exec": spread(cpu[c]),
                  "cpu_increase_percent": spread(more) if c != "none" else None}
    return out


# ---- 3. a job-heavy host ----

NETCAT_LOOP = r"""
body=$1; port=$2
len=$(wc -c < "$body")
while true; do
  { printf 'HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: %s\r\nConnection: close\r\n\r\n' "$len"; cat "$body"; } | nc -l -p "$port" -q 0 > /dev/null 2>&1
done
"""


PACED = os.path.join(HERE, "paced.lua")


def wrk(url, conns, seconds, headers=(), paced=False):
    """wrk's latencies; paced: each connection scrapes once a second instead of back to back."""
    args = ["wrk", f"-t{min(conns, 2)}", f"-c{conns}", f"-d{seconds}s", "--latency",
            "--timeout", "5s"] + (["-s", PACED] if paced else [])
    for h in headers:
        args += ["-H", h]
    out = subprocess.run(args + [url], capture_output=True, text=True, timeout=seconds + 30)
    text = out.stdout
    lat = {p: to_ms(v) for p, v in re.findall(r"^\s+(\d+)%\s+(\S+)\s*$", text, re.M)}
    if not lat:
        log(f"wrk gave no latencies:\n{text}{out.stderr}")
    req = re.search(r"Requests/sec:\s+(\S+)", text)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                       text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    total = re.search(r"(\d+) requests in", text)
    return {"p50_ms": lat.get("50"), "p99_ms": lat.get("99"),
            "requests_per_second": float(req.group(1)) if req else None,
            "requests": int(total.group(1)) if total else 0,
            "errors": sum(int(x) for x in errors.groups()) if errors else 0,
            "non_2xx": int(non2xx.group(1)) if non2xx else 0}


def to_ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)$", v)
    if not m:
        return None
    return float(m.group(1)) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[m.group(2)]


def start_node_exporter(port):
    p = subprocess.Popen(["prometheus-node-exporter", f"--web.listen-address=127.0.0.1:{port}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rs.wait_for(lambda: port_open(port), 15, what="node_exporter")
    return p


def port_open(port):
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def bench_job_heavy(work, runners_n, jobs_per_runner, seconds, binary=None):
    res = {}
    with Runnerscope(work, binary=binary) as d:
        cpu0, t0 = proc_cpu(d.pid), time.monotonic()
        cgs, runners = [], []
        try:
            log(f"job-heavy: {runners_n} runner containers")
            for i in range(runners_n):
                cg = rs.Cgroup(f"docker/{rs.fake_container_id()}")
                cgs.append(cg)
                runners.append(Runner(work, f"bench-{i:03d}", cgroup=cg))
            rs.wait_for(lambda: len(d.d.scrape().find("runnerscope_runner_up")) >= runners_n,
                        60, interval=0.5, what="every runner seen")
            log(f"job-heavy: {runners_n * jobs_per_runner} jobs")
            bursts = 5
            for k in range(bursts):
                for r in runners:
                    r.submit(f"b{k}", "exit 100", burst=jobs_per_runner // bursts)
            for r in runners:
                for k in range(bursts):
                    r.result(f"b{k}", timeout=600)
            want = runners_n * (jobs_per_runner // bursts) * bursts
            rs.wait_for(lambda: sum(v for _, v in d.d.scrape().find(
                "runnerscope_jobs_finished_total", result="success")) == want, 60,
                interval=0.5, what=f"{want} jobs counted")
            # the fake Listeners poll their spools every 10 ms (a real one long-polls its
            # server): stopped, they stay alive for runnerscope and leave the CPUs to the test
            for r in runners:
                os.killpg(r.proc.pid, signal.SIGSTOP)
            res["jobs"] = want
            res["runners"] = runners_n
            res["seconds"] = time.monotonic() - t0
            res["runnerscope_cpu_seconds"] = proc_cpu(d.pid) - cpu0
            res["runnerscope_rss_bytes"] = proc_rss(d.pid)
            status, text, _ = d.d.get("/metrics", headers={"Accept-Encoding": "identity"})
            res["runnerscope_series"] = sum(1 for l in text.splitlines()
                                            if l and not l.startswith(b"#"))
            res["runnerscope_body_bytes"] = len(text)
            body = os.path.join(work, "metrics.prom")
            with open(body, "wb") as f:
                f.write(text)

            ne_port, nc_port = rs.free_port(), rs.free_port()
            ne = start_node_exporter(ne_port)
            nc = subprocess.Popen(["bash", "-c", NETCAT_LOOP, "netcat", body, str(nc_port)],
                                  start_new_session=True)
            try:
                rs.wait_for(lambda: port_open(nc_port), 10, what="the netcat loop")
                targets = {
                    "runnerscope (text)": (f"http://127.0.0.1:{d.d.port}/metrics", ()),
                    "runnerscope (OpenMetrics, gzip)": (
                        f"http://127.0.0.1:{d.d.port}/metrics",
                        ("Accept: application/openmetrics-text;version=1.0.0",
                         "Accept-Encoding: gzip")),
                    "node_exporter": (f"http://127.0.0.1:{ne_port}/metrics", ()),
                    "bash+netcat": (f"http://127.0.0.1:{nc_port}/metrics", ()),
                }
                res["latency"] = {}
                for name, (url, headers) in targets.items():
                    for conns in (1, 20):
                        log(f"job-heavy: wrk {name}, {conns} connections")
                        res["latency"][f"{name} c={conns}"] = wrk(url, conns, seconds, headers)
                    if name != "bash+netcat":  # one connection at a time: it refuses the rest
                        log(f"job-heavy: wrk {name}, 20 connections, one scrape a second each")
                        res["latency"][f"{name} c=20 paced"] = wrk(url, 20, 2 * seconds,
                                                                   headers, paced=True)
                m = d.d.scrape()
                res["runnerscope_page_build_seconds"] = m.value(
                    "runnerscope_scrape_duration_seconds")
                res["runnerscope_pages_built"] = m.value("runnerscope_scrape_pages_built_total")
                res["runnerscope_scrapes"] = m.value("runnerscope_http_requests_total",
                                                     path="/metrics", code="200")
                res["node_exporter_rss_bytes"] = proc_rss(ne.pid)
                res["node_exporter_series"] = sum(
                    1 for l in subprocess.run(["curl", "-s", f"http://127.0.0.1:{ne_port}/metrics"],
                                              capture_output=True, text=True).stdout.splitlines()
                    if l and not l.startswith("#"))
                res["netcat_loop_rss_bytes"] = tree_rss(nc.pid)
            finally:
                ne.terminate()
                ne.wait()
                os.killpg(nc.pid, signal.SIGKILL)
                nc.wait()
        finally:
            for r in runners:
                r.stop()
            for cg in cgs:
                cg.remove()
    return res


# ---- 4. idle ----

def bench_idle(work, seconds, interval):
    """runnerscope and node_exporter side by side on a host with no runner activity, each
    scraped every interval seconds (as Prometheus would)."""
    ne_port = rs.free_port()
    with Runnerscope(work) as d:
        ne = start_node_exporter(ne_port)
        try:
            time.sleep(2)  # both past their start-up
            c0 = {"runnerscope": proc_cpu(d.pid), "node_exporter": proc_cpu(ne.pid)}
            t0 = time.monotonic()
            while True:
                d.d.get("/metrics")
                subprocess.run(["curl", "-s", "-o", "/dev/null",
                                f"http://127.0.0.1:{ne_port}/metrics"], check=True)
                left = t0 + seconds - time.monotonic()
                if left <= 0:
                    break
                time.sleep(min(interval, left))
            took = time.monotonic() - t0
            out = {}
            for name, pid in (("runnerscope", d.pid), ("node_exporter", ne.pid)):
                cpu = proc_cpu(pid) - c0[name]
                out[name] = {"cpu_seconds": cpu, "core_percent": 100 * cpu / took,
                             "rss_bytes": proc_rss(pid)}
            out["seconds"] = took
            out["scrape_interval"] = interval
        finally:
            ne.terminate()
            ne.wait()
    return out


# ---- 5. event latency ----

def bench_latency(work, jobs):
    """From a Worker's exit (its own clock, just before it exits) to the first /metrics that
    counts the job, with a scraper polling back to back."""
    with Runnerscope(work) as d:
        r = Runner(work, "bench-latency")
        seen = []  # (wall time the response was complete, finished count)
        stop = threading.Event()

        def poll():
            c = d.d.connection()
            while not stop.is_set():
                c.request("GET", "/metrics")
                body = c.getresponse().read()
                now = time.time()
                m = re.search(rb'runnerscope_jobs_finished_total\{kind="github",'
                              rb'runner="bench-latency",result="success"\} (\d+)', body)
                seen.append((now, int(m.group(1)) if m else 0))
            c.close()
        try:
            wait_runner(d, "bench-latency")
            t = threading.Thread(target=poll)
            t.start()
            ends = []
            for i in range(jobs):
                r.submit(f"l{i:04d}", "exit 100")
                _, worker = r.result(f"l{i:04d}")
                ends.append(worker["end"])
                time.sleep(0.02)
            time.sleep(0.2)
            stop.set()
            t.join()
        finally:
            r.stop()
    lat = []
    for k, end in enumerate(ends, 1):
        first = next((ts for ts, n in seen if n >= k), None)
        lat.append((first - end) * 1e3 if first else None)
    lat = sorted(x for x in lat if x is not None)
    return {"jobs": jobs, "measured": len(lat),
            "p50_ms": statistics.median(lat),
            "p99_ms": lat[min(len(lat) - 1, int(round(0.99 * (len(lat) - 1))))],
            "max_ms": lat[-1], "scrapes": len(seen)}


# ---- 6. the status page ----

def bench_status_page(runners, jobs, rounds):
    """The page at / of a host with this many runners and finished jobs in its timeline, built
    again and again in one process (bench/status_page.c): bytes and milliseconds per page."""
    out = subprocess.run([STATUS_PAGE, "-r", str(runners), "-j", str(jobs), "-n", str(rounds)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


# ---- 7. BPF cost per cgroup event ----

# the cgroup cost columns: runnerscope in each attach flavour, and the empty programs
CG_CONFIGS = {"tp_btf": "runnerscope tp_btf", "raw_tp": "runnerscope raw_tp",
              "floor": "empty tp_btf program (floor)", "floor_raw_tp": "empty raw_tp program"}
CG_LOADS = {"every": "every hierarchy", "followed": "followed hierarchies only"}


def hierarchy_count(ctrls, v2):
    """the hierarchies the v1 controllers ctrls are in (a cpu,cpuacct mount is one, reached
    by either name), and cgroup2 if v2 and the host has it"""
    v1 = {os.path.realpath(os.path.join(rs.CGROOT, c)) for c in ctrls}
    return len(v1) + (1 if v2 and rs.unified_root() else 0)


def followed_v1():
    """the v1 controllers whose hierarchies runnerscope follows containers in
    (containers__followed() in user/enrich/containers.c): cpuacct's and memory's; where the
    host has neither, it follows cgroup2"""
    return [c for c in rs.v1_controllers() if c in ("cpuacct", "memory")]


class FollowedCgroup(rs.Cgroup):
    """A cgroup made only in the hierarchies runnerscope follows: every event of it is one
    the programs do their whole work for (in the others they stop at the hierarchy's id)."""

    def __init__(self, relpath):
        v1 = followed_v1()
        if not v1:
            rs.Cgroup.__init__(self, relpath, hierarchies=("v2",))
            return
        self.relpath = relpath.strip("/")
        self.dirs = sorted({os.path.realpath(os.path.join(rs.CGROOT, c, self.relpath))
                            for c in v1})
        for d in self.dirs:
            os.makedirs(d, exist_ok=True)


def cgroup_storm(n, cgroup):
    """n containers' cgroups as docker names them, one after another: each made, one process
    moved in (attach_task; populated, and its parent where that was empty) that then exits
    (emptied), and removed. The process is a `cat` waiting for its input: started without a
    preexec_fn it is spawned, not forked from this Python: 12 ms a cgroup here, against 39 ms
    with a forked child that moves itself in."""
    cat = shutil.which("cat")
    for _ in range(n):
        cg = cgroup(f"docker/{rs.fake_container_id()}")
        try:
            p = subprocess.Popen([cat], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
            try:
                cg.enter(p.pid)
            finally:
                p.stdin.close()
                p.wait()
        finally:
            cg.remove()


def bench_cgroup_cost(work, rounds, n):
    """ns per run of the four cgroup programs under cgroup_storm(), runnerscope (with
    --containers=all, so that a container's mkdir makes its entry and its rmdir reads its
    counters) and the empty programs in both flavours, interleaved; the same with the cgroups
    made only in the followed hierarchies, where every run does the whole work."""
    loads = {"every": rs.Cgroup}
    hier = {"every": hierarchy_count(rs.v1_controllers(), True),
            "followed": hierarchy_count(followed_v1(), not followed_v1())}
    # on a pure cgroup2 host the one hierarchy is the followed one
    if hier["followed"] < hier["every"]:
        loads["followed"] = FollowedCgroup
    res = {cfg: {load: {"ns_per_run": {}, "runs_per_container": {}, "ns_per_container": {}}
                 for load in loads} for cfg in CG_CONFIGS}
    sent = {load: {} for load in loads}  # events the programs sent, per container

    def record(cfg, load, before, after):
        r = res[cfg][load]
        for ev, ns in per_run(before, after, CG_PROGS).items():
            r["ns_per_run"].setdefault(ev, []).append(ns)
            r["runs_per_container"].setdefault(ev, []).append(
                (after[ev][1] - before[ev][1]) / n)
            r["ns_per_container"].setdefault(ev, []).append(
                (after[ev][0] - before[ev][0]) / n)
        r["ns_per_container"].setdefault("all", []).append(
            sum(after[ev][0] - before[ev][0] for ev in CG_PROGS) / n)

    def rs_step(attach):
        def step():
            with Runnerscope(work, "--containers=all", attach=attach) as d:
                for load, cgroup in loads.items():
                    s0, e0 = d.stats(CG_PROGS)
                    cgroup_storm(n, cgroup)
                    s1, e1 = d.stats(CG_PROGS)
                    record(attach, load, s0, s1)
                    for ev in ("cgroup_mkdir", "cgroup_rmdir"):
                        sent[load].setdefault(ev, []).append((e1[ev] - e0[ev]) / n)
        step.__name__ = f"runnerscope_{attach}"
        return step

    def floor():
        for attach, cfg in (("tp_btf", "floor"), ("raw_tp", "floor_raw_tp")):
            for load, cgroup in loads.items():
                with Floor(attach=attach) as f:
                    cgroup_storm(n, cgroup)
                    record(cfg, load, {e: (0, 0) for e in CG_PROGS}, f.stats())

    steps = [rs_step("tp_btf"), rs_step("raw_tp"), floor]
    for r in range(rounds):
        random.shuffle(steps)
        for step in steps:
            log(f"cgroup cost: round {r + 1}/{rounds}: {step.__name__}, {n} cgroups a load")
            step()
    return {"containers": n, "rounds": rounds, "hierarchies": hier,
            "events_sent_per_container": {load: {ev: spread(v) for ev, v in evs.items()}
                                          for load, evs in sent.items()},
            "configs": {cfg: {load: {k: {ev: spread(v) for ev, v in by.items()}
                                     for k, by in r.items()}
                              for load, r in loads_.items()}
                        for cfg, loads_ in res.items()}}


# ---- 8. the pass at 5,000 containers, before and after cgroup events ----

# the daemon that walked the cgroup tree every second with --containers=all (DISCOVER_NS in
# its user/enrich/containers.c), built by `make bench-tools` from `git archive`
BEFORE_REV = "5022870"
BEFORE_DAEMON = os.path.join(OUT, f"before-{BEFORE_REV}", "build", "runnerscope")
PASS_DAEMONS = {"before": f"before ({BEFORE_REV}, a walk of the cgroup tree each second)",
                "after": "after (build/runnerscope, cgroup events)"}
PASS_CASES = {"tasks": "one live task in each container", "empty": "every container empty"}
PASS_LINE = re.compile(rb'refresh pass took ([\d.]+) ms')
TRACKING = re.compile(rb'tracking container id=([0-9a-f]{64})')
CONTAINER_INFO = re.compile(rb'^runnerscope_container_info\{[^\n]*container_id="([0-9a-f]{64})"',
                            re.M)


class FakeContainers:
    """n containers' cgroups as docker makes them (rs.Cgroup("docker/<id>"), every
    hierarchy), each named in a docker data root of ours: a container with no name has it
    looked for again 1, 2, 4 … 32 s after it is found, which would fall in the window. fill()
    moves one `busybox sleep` into each; empty() ends them; close() ends them and removes
    the cgroups, whatever has failed before."""

    def __init__(self, work, n):
        self.root = os.path.join(work, "docker")
        self.cgs, self.procs, self.ids = [], [], set()
        try:
            for i in range(n):
                cid = rs.fake_container_id()
                self.ids.add(cid.encode())
                os.makedirs(os.path.join(self.root, "containers", cid))
                with open(os.path.join(self.root, "containers", cid, "config.v2.json"),
                          "w") as f:
                    json.dump({"ID": cid, "Name": f"/bench-{i:05d}", "Config": {"Labels": {}}},
                              f)
                self.cgs.append(rs.Cgroup(f"docker/{cid}"))
        except BaseException:
            self.close()
            raise

    def fill(self):
        busybox = shutil.which("busybox")
        for cg in self.cgs:
            p = subprocess.Popen([busybox, "sleep", "3600"], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 start_new_session=True)
            self.procs.append(p)
            cg.enter(p.pid)

    def empty(self):
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait()
        self.procs = []

    def close(self):
        try:
            self.empty()
        finally:
            failed = []
            for cg in self.cgs:
                try:
                    cg.remove()
                except Exception as e:  # the rest go all the same
                    failed.append(str(e))
            self.cgs = []
            shutil.rmtree(self.root, ignore_errors=True)
            if failed:
                raise AssertionError(f"{len(failed)} cgroups left: {failed[:3]}")


def pass_run(work, binary, ctrs, window):
    """One daemon with --containers=all on the containers: from its start until /metrics
    shows them all, then window seconds untouched (no scrape: a scrape makes a pass of its
    own), in which its once-a-second passes are the only work it has. It reports every
    container on the host: those not ours are counted (others), not waited for."""
    n = len(ctrs.ids)
    d = rs.Daemon(work, ("--bpf.pin-path=", "--containers=all", "--log.level=debug",
                         f"--docker.data-root={ctrs.root}"), cleanup=False)
    d.args[0] = binary
    out = {}
    t0 = time.monotonic()
    d.start(timeout=120)
    try:
        seen = {"failed": 0, "scrapes": 0, "unanswered_since_logged": 0, "others": None,
                "attach": None, "by": "metrics"}

        def all_logged():
            with open(d.log_path, "rb") as f:
                return len(set(TRACKING.findall(f.read())) & ctrs.ids) >= n

        def all_there():
            # a page waits for a pass of its own, and a pass here may take seconds: a page
            # not ready within --web.timeout (10 s) is a closed connection, counted
            c = d.connection(timeout=120)
            seen["scrapes"] += 1
            try:
                c.request("GET", "/metrics", headers={"Accept-Encoding": "identity"})
                body = c.getresponse().read()
            except (OSError, http.client.HTTPException):
                seen["failed"] += 1
                if d.proc.poll() is not None:
                    raise AssertionError(f"{binary} exited {d.proc.returncode}:\n"
                                         + d.read_log()[-3000:])
                # passes of over a second, back to back, can keep every scrape from its
                # own (seen with 5,000 containers): then its log, which names each
                # container it tracks, says when it has them all
                if all_logged():
                    seen["unanswered_since_logged"] += 1
                    if seen["unanswered_since_logged"] >= 3:
                        seen["by"] = "log"
                        return True
                return False
            finally:
                c.close()
            ids = set(CONTAINER_INFO.findall(body))
            seen["containers"] = len(ids & ctrs.ids)
            seen["others"] = len(ids - ctrs.ids)
            m = re.search(rb'runnerscope_bpf_attach_info\{attach="([^"]*)"', body)
            seen["attach"] = m.group(1).decode() if m else None
            return seen["containers"] >= n
        rs.wait_for(all_there, 600, interval=1, what=f"{n} containers in /metrics")
        out["seconds_to_all"] = time.monotonic() - t0
        out["all_seen_by"] = seen["by"]
        if not seen["attach"]:
            with open(d.log_path, "rb") as f:
                m = re.search(rb'bpf programs attached via ([a-z_]+)', f.read())
            seen["attach"] = m.group(1).decode() if m else None
        out["attach"] = seen["attach"]
        out["other_containers"] = seen["others"]
        out["failed_scrapes"] = seen["failed"]
        out["scrapes"] = seen["scrapes"]
        log_at = os.path.getsize(d.log_path)
        busy0, cpu0, reads0 = host_busy(), proc_cpu(d.proc.pid), proc_reads(d.proc.pid)
        w0 = time.monotonic()
        time.sleep(window)
        busy1, cpu1, reads1 = host_busy(), proc_cpu(d.proc.pid), proc_reads(d.proc.pid)
        w1 = time.monotonic()
        out["rss_bytes"] = proc_rss(d.proc.pid)
        with open(d.log_path, "rb") as f:
            f.seek(log_at)
            passes = [float(x) for x in PASS_LINE.findall(f.read())]
        out["window_seconds"] = w1 - w0
        out["passes"] = len(passes)
        out["pass_ms"] = passes
        out["pass_ms_median"] = statistics.median(passes) if passes else None
        out["pass_ms_max"] = max(passes) if passes else None
        out["core_percent"] = 100 * (cpu1 - cpu0) / (w1 - w0)
        out["reads_per_second"] = (reads1 - reads0) / (w1 - w0)
        # what else ran in the window (the bench itself only sleeps then)
        out["others_core_percent"] = 100 * ((busy1 - busy0) - (cpu1 - cpu0)) / (w1 - w0)
    finally:
        d.stop()
    return out


def bench_containers_pass(work, rounds, n, window):
    """The pass and the daemon's CPU with n containers, before and after, one daemon at a
    time and in a new order each round: first with one live task in each container, then
    with all of them empty."""
    daemons = {"before": BEFORE_DAEMON, "after": rs.DAEMON}
    runs = {case: {k: [] for k in daemons} for case in PASS_CASES}
    t0 = time.monotonic()
    log(f"containers pass: making {n} containers")
    ctrs = FakeContainers(work, n)
    try:
        ctrs.fill()
        setup = time.monotonic() - t0
        for case in PASS_CASES:
            if case == "empty":
                ctrs.empty()
            for r in range(rounds):
                order = list(daemons)
                random.shuffle(order)
                for k in order:
                    log(f"containers pass: {case}: round {r + 1}/{rounds}: {k}")
                    runs[case][k].append(pass_run(work, daemons[k], ctrs, window))
    finally:
        ctrs.close()
    out = {"containers": n, "rounds": rounds, "window_seconds": window,
           "setup_seconds": setup, "cases": {}}
    for case, by in runs.items():
        out["cases"][case] = {}
        for k, rr in by.items():
            out["cases"][case][k] = {
                "pass_ms_median": spread([x["pass_ms_median"] for x in rr]),
                "pass_ms_max": spread([x["pass_ms_max"] for x in rr]),
                "core_percent": spread([x["core_percent"] for x in rr]),
                "reads_per_second": spread([x["reads_per_second"] for x in rr]),
                "others_core_percent": spread([x["others_core_percent"] for x in rr]),
                "rss_bytes": spread([x["rss_bytes"] for x in rr]),
                "seconds_to_all": spread([x["seconds_to_all"] for x in rr]),
                "passes": sum(x["passes"] for x in rr),
                "other_containers": max(x["other_containers"] or 0 for x in rr),
                "failed_scrapes": sum(x["failed_scrapes"] for x in rr),
                "scrapes": sum(x["scrapes"] for x in rr),
                "all_seen_by": sorted({x["all_seen_by"] for x in rr}),
                "attach": sorted({x["attach"] for x in rr if x["attach"]}),
                "runs": rr}
    return out


# ---- the table ----

def fmt(x, unit="", digits=0):
    if x is None:
        return "–"
    return f"{x:,.{digits}f}{unit}"


def fmt_spread(s, unit="", digits=0):
    if not s:
        return "–"
    return f"{fmt(s['median'], unit, digits)} ({fmt(s['min'], '', digits)} … {fmt(s['max'], '', digits)})"


def table(r):
    lines = []
    add = lines.append
    add(f"Machine: {r['machine']}; kernel {r['kernel']}; {r['date']}; `{r['command']}`.")
    if r.get("emulated"):
        add("Emulated (qemu TCG): the nanoseconds are the emulator's; compare columns, "
            "not these figures with a real machine's.")
    add("")
    if "bpf_cost" in r:
        c = r["bpf_cost"]
        add(f"**BPF cost per event** on Linux {r['kernel']} (ns per program run, from the "
            "kernel's run-time statistics; median, min … max over rounds), runnerscope in both "
            "attach flavours:")
        add("")
        add("| load | program | " + " | ".join(COST_CONFIGS.values()) + " |")
        add("|---|---|" + "---|" * len(COST_CONFIGS))
        for load, lname in (("exec_storm", "exec storm"), ("fork_storm", "fork storm")):
            for ev in ("exec", "fork", "exit"):
                if load == "fork_storm" and ev == "exec":
                    continue
                add(f"| {lname} | {ev} | " + " | ".join(
                    fmt_spread(c[cfg][load].get(ev)) for cfg in COST_CONFIGS) + " |")
        add("")
    if "overhead" in r:
        o = r["overhead"]
        add(f"**Exec storm** (fork+exec of `/bin/true`, one process at a time; "
            f"{r['params']['overhead_rounds']} interleaved rounds):")
        add("")
        add("| attached | execs/s | slowdown, same round | CPU µs per exec | more CPU, same round |")
        add("|---|---|---|---|---|")
        for cfg, v in o.items():
            add(f"| {cfg} | {fmt_spread(v['execs_per_second'])} | "
                f"{fmt_spread(v['slowdown_percent'], ' %', 1) if v['slowdown_percent'] else '–'} | "
                f"{fmt_spread(v['cpu_us_per_exec'])} | "
                f"{fmt_spread(v['cpu_increase_percent'], ' %', 1) if v['cpu_increase_percent'] else '–'} |")
        add("")
    if "overhead" in r and "bpf_cost" in r:
        c = r["bpf_cost"]["tp_btf"]["exec_storm"]
        cpu = r["overhead"]["none"]["cpu_us_per_exec"]["median"]
        ns = sum((c.get(ev) or {}).get("median") or 0 for ev in ("exec", "fork", "exit"))
        add(f"By the kernel's own accounting, runnerscope's three tp_btf programs take "
            f"{ns:,.0f} ns of "
            f"each fork+exec+exit here, {100 * ns / (cpu * 1e3):.2f} % of the "
            f"{cpu:,.0f} µs of CPU one costs: a slowdown this machine's noise "
            "(the spread above) cannot show directly.")
        add("")
    if "job_heavy" in r:
        j = r["job_heavy"]
        add(f"**Job-heavy host**: {j['runners']} runner containers (cgroups with fake runners), "
            f"{j['jobs']:,} finished jobs in {j['seconds']:.0f} s; runnerscope used "
            f"{j['runnerscope_cpu_seconds']:.2f} CPU s over the run and has "
            f"{j['runnerscope_rss_bytes'] / 2**20:.1f} MiB RSS, serving "
            f"{j['runnerscope_series']:,} series ({j['runnerscope_body_bytes'] / 1024:.0f} KiB). "
            f"node_exporter: {j['node_exporter_series']:,} series, "
            f"{j['node_exporter_rss_bytes'] / 2**20:.1f} MiB RSS. One bash+netcat loop: "
            f"{j['netcat_loop_rss_bytes'] / 2**20:.1f} MiB RSS (one such loop per container).")
        add("")
    if "job_heavy" in r and "job_heavy_before" in r:
        add(f"**Job-heavy host, before ({COST_BEFORE_REV}) and now**, the same load one after "
            "the other in this run:")
        add("")
        add("| daemon | CPU s over the run | RSS | p99, 1 connection | p99, 20 connections "
            "| p99, 20 scraping once a second |")
        add("|---|---|---|---|---|---|")
        for name, k in ((f"before ({COST_BEFORE_REV})", "job_heavy_before"),
                        ("now", "job_heavy")):
            j = r[k]
            lat = [j["latency"].get(f"runnerscope (text) c={c}", {}).get("p99_ms")
                   for c in ("1", "20", "20 paced")]
            add(f"| {name} | {j['runnerscope_cpu_seconds']:.2f} | "
                f"{j['runnerscope_rss_bytes'] / 2**20:.1f} MiB | "
                + " | ".join(fmt(v, ' ms', 2) for v in lat) + " |")
        add("")
        add("| /metrics of | connections | p50 | p99 | requests/s | errors |")
        add("|---|---|---|---|---|---|")
        for k, v in j["latency"].items():
            name, conns = k.rsplit(" c=", 1)
            conns = conns.replace(" paced", ", one scrape a second each")
            add(f"| {name} | {conns} | {fmt(v['p50_ms'], ' ms', 2)} | {fmt(v['p99_ms'], ' ms', 2)} "
                f"| {fmt(v['requests_per_second'])} | {v['errors'] + v['non_2xx']} |")
        if j.get("runnerscope_pages_built"):
            add(f"runnerscope built {j['runnerscope_pages_built']:,.0f} pages for "
                f"{j['runnerscope_scrapes']:,.0f} scrapes; the last took "
                f"{j['runnerscope_page_build_seconds'] * 1e3:.1f} ms to build.")
        add("")
    if "idle" in r:
        i = r["idle"]
        add(f"**Idle** ({i['seconds']:.0f} s, scraped every {i['scrape_interval']} s, no runner "
            "activity):")
        add("")
        add("| | CPU (% of a core) | RSS |")
        add("|---|---|---|")
        for name in ("runnerscope", "node_exporter"):
            add(f"| {name} | {i[name]['core_percent']:.3f} % | "
                f"{i[name]['rss_bytes'] / 2**20:.1f} MiB |")
        add("")
    if "latency" in r:
        lat = r["latency"]
        add(f"**Event latency** (a Worker's exit to the first /metrics counting its job, "
            f"{lat['measured']} jobs): p50 {lat['p50_ms']:.1f} ms, p99 {lat['p99_ms']:.1f} ms, "
            f"max {lat['max_ms']:.1f} ms.")
        add("")
    if "status_page" in r:
        p = r["status_page"]
        add(f"**Status page** with {p['runners']} runners and {p['jobs']:,} jobs in its "
            f"timeline ({p['timeline_bytes'] / 2**20:.1f} MiB kept; the host up "
            f"{p['uptime_s'] / 3600:.1f} h), built {p['rounds']} times each:")
        add("")
        add("| page | bytes | gzip | build, mean | build, min |")
        add("|---|---|---|---|---|")
        for k, v in p["pages"].items():
            add(f"| {k} | {v['bytes']:,} | {v['gzip_bytes']:,} | {v['ms_mean']:.1f} ms | "
                f"{v['ms_min']:.1f} ms |")
        add("")
    if "cgroup_cost" in r:
        c = r["cgroup_cost"]
        h = c["hierarchies"]
        add(f"**BPF cost per cgroup event** on Linux {r['kernel']}, runnerscope with "
            f"`--containers=all` in both attach flavours beside empty programs: "
            f"{c['containers']:,} docker cgroups (`docker/<id>`) a load, made one after another, "
            "one process moved into each, which then exits, then removed; "
            f"{c['rounds']} interleaved rounds (ns per program run, from the kernel's run-time "
            "statistics; median, min … max over rounds). Every hierarchy: the "
            f"{h['every']} the tests' cgroups are made in (v1 cpu, cpuacct, memory and pids "
            "where the host has them, and cgroup2; docker also uses the host's other v1 "
            f"ones); followed: the {h['followed']} runnerscope follows containers in, where "
            "every run does the program's whole work.")
        add("")
        add("| cgroups in | program | runs per container | "
            + " | ".join(CG_CONFIGS.values()) + " |")
        add("|---|---|---|" + "---|" * len(CG_CONFIGS))
        for load in c["configs"]["tp_btf"]:
            lname = f"{CG_LOADS[load]} ({h[load]})"
            for ev in CG_PROGS:
                add(f"| {lname} | {ev[3:]} | "
                    f"{fmt_spread(c['configs']['floor'][load]['runs_per_container'].get(ev))} | "
                    + " | ".join(fmt_spread(c["configs"][cfg][load]["ns_per_run"].get(ev))
                                 for cfg in CG_CONFIGS) + " |")
            add(f"| {lname} | all four, ns per container | – | "
                + " | ".join(fmt_spread(c["configs"][cfg][load]["ns_per_container"].get("all"))
                             for cfg in CG_CONFIGS) + " |")
        sent = c["events_sent_per_container"]
        add("")
        add("Events runnerscope's programs sent per container (both flavours): " + "; ".join(
            f"{CG_LOADS[load]}: " + ", ".join(f"{ev} {fmt_spread(v, '', 1)}"
                                              for ev, v in evs.items())
            for load, evs in sent.items()) + ".")
        add("")
    if "containers_pass" in r:
        p = r["containers_pass"]
        att = sorted({a for case in p["cases"].values() for v in case.values()
                      for a in v["attach"]})
        add(f"**The pass at {p['containers']:,} containers** on Linux {r['kernel']} "
            f"(attached with {', '.join(att) or '?'}): each daemon alone with "
            "`--containers=all --log.level=debug`, started on the same containers "
            "(`docker/<id>` cgroups in every hierarchy, named in a docker data root), measured "
            f"for {p['window_seconds']} s once `/metrics` shows them all, with no scrape; "
            f"{p['rounds']} interleaved rounds (median, min … max). Pass: the `refresh pass "
            "took` lines (median and max in each window); CPU: utime+stime over the window; "
            "reads/s: its read system calls (`syscr` in /proc/<pid>/io); start to window: "
            "from its start to the scrape that showed them all; scrapes unanswered: those of "
            "that wait that got a closed connection (not answered within `--web.timeout`, "
            "10 s), over all rounds.")
        add("")
        add("| containers | daemon | pass, median | pass, max | CPU (% of a core) | reads/s | "
            "RSS | start to window | scrapes unanswered |")
        add("|---|---|---|---|---|---|---|---|---|")
        for case, by in p["cases"].items():
            for k, v in by.items():
                rss = v["rss_bytes"] and {x: (y / 2**20 if x != "n" else y)
                                          for x, y in v["rss_bytes"].items()}
                add(f"| {PASS_CASES[case]} | {PASS_DAEMONS[k]} | "
                    f"{fmt_spread(v['pass_ms_median'], ' ms', 1)} | "
                    f"{fmt_spread(v['pass_ms_max'], ' ms', 1)} | "
                    f"{fmt_spread(v['core_percent'], ' %', 1)} | "
                    f"{fmt_spread(v['reads_per_second'])} | "
                    f"{fmt_spread(rss, ' MiB', 1)} | "
                    f"{fmt_spread(v['seconds_to_all'], ' s', 1)} | "
                    f"{v['failed_scrapes']} of {v['scrapes']} |")
        add("")
        others = max(v["other_containers"] for case in p["cases"].values() for v in case.values())
        if others:
            add(f"The daemons also reported up to {others:,} containers that were not the "
                "bench's (other work on the host at the time).")
        by_log = [f"{PASS_CASES[case]}, {k}" for case, by in p["cases"].items()
                  for k, v in by.items() if "log" in v["all_seen_by"]]
        if by_log:
            add("Where no scrape was answered, three in a row, once the daemon's log named "
                "every container, the window began after the third (some rounds of: "
                + "; ".join(by_log) + ").")
        busy = [v["others_core_percent"]["max"] for case in p["cases"].values()
                for v in case.values() if v["others_core_percent"]]
        if busy:
            add(f"Everything else on the host used up to {max(busy):.0f} % of a core in a "
                f"window ({os.cpu_count()} CPUs).")
        add("")
    if r.get("targets"):
        add("| target | goal | measured | |")
        add("|---|---|---|---|")
        for t in r["targets"]:
            add(f"| {t['what']} | {t['goal']} | {t['measured']} | {'met' if t['met'] else 'missed'} |")
        add("")
    return "\n".join(lines)


def targets(r):
    out = []

    def t(what, goal, value, ok, unit=""):
        if value is not None:
            out.append({"what": what, "goal": goal, "measured": f"{value:,.2f}{unit}".rstrip("0").rstrip("."),
                        "met": bool(ok)})
    c = r.get("bpf_cost")
    if c:
        for ev, goal in (("exec", 300), ("fork", 150), ("exit", 150)):
            load = "fork_storm" if ev == "fork" else "exec_storm"
            b = (c["bpftrace"][load].get(ev) or {}).get("median")
            for attach in ("tp_btf", "raw_tp"):
                v = (c[attach][load].get(ev) or {}).get("median")
                f = (c["floor" if attach == "tp_btf" else "floor_raw_tp"][load].get(ev)
                     or {}).get("median")
                # under emulation (bench-matrix's guests) nanoseconds are the emulator's:
                # only the side-by-side comparison with bpftrace means something there
                if not r.get("emulated"):
                    t(f"BPF {ev}, host process, {attach}", f"≤ {goal} ns", v,
                      v is not None and v <= goal, " ns")
                if b is not None:
                    t(f"BPF {ev}, host process, {attach}", "≤ bpftrace's", v,
                      v is not None and v <= b, " ns")
                if v is not None and f is not None and not r.get("emulated"):
                    t(f"BPF {ev} above the empty program, {attach}", f"≤ {goal} ns", v - f,
                      v - f <= goal, " ns")
    o = r.get("overhead")
    if o:
        b = o["bpftrace"]["slowdown_percent"]["median"]
        for cfg, what in (("runnerscope", "tp_btf"), ("runnerscope --bpf.attach=raw_tp", "raw_tp")):
            v = o[cfg]["slowdown_percent"]["median"]
            t(f"exec-storm slowdown (throughput), {what}", "< 1 %, below bpftrace's", v,
              v < 1 and v <= b, " %")
        v = o["runnerscope"]["cpu_increase_percent"]["median"]
        b = o["bpftrace"]["cpu_increase_percent"]["median"]
        t("exec-storm slowdown (CPU per exec)", "< 1 %, below bpftrace's", v,
          v < 1 and v <= b, " %")
    i = r.get("idle")
    if i:
        v = i["runnerscope"]["core_percent"]
        t("idle CPU", "< 0.1 % of a core", v, v < 0.1, " %")
    j = r.get("job_heavy")
    if j:
        v = j["runnerscope_rss_bytes"] / 2**20
        t("RSS, job-heavy host", "< 20 MiB", v, v < 20, " MiB")
        for name, what in (("text", "text"), ("OpenMetrics, gzip", "OpenMetrics, gzip")):
            v = j["latency"].get(f"runnerscope ({name}) c=20", {}).get("p99_ms")
            t(f"/metrics p99, 20 scrapers back to back, {what}", "< 5 ms", v,
              v is not None and v < 5, " ms")
            v = j["latency"].get(f"runnerscope ({name}) c=20 paced", {}).get("p99_ms")
            t(f"/metrics p99, 20 scrapers once a second, {what}", "< 5 ms", v,
              v is not None and v < 5, " ms")
    lat = r.get("latency")
    if lat:
        t("event latency p99", "< 100 ms", lat["p99_ms"], lat["p99_ms"] < 100, " ms")
    p = r.get("status_page")
    if p:
        big = max(v["bytes"] for k, v in p["pages"].items() if k.startswith("html"))
        t("status page, largest window", "< 512 KiB", big / 1024, big < 512 * 1024, " KiB")
    return out


def make_command(argv):
    """the `make bench` that runs the bench as argv does (where the results go aside)"""
    kept, skip = [], False
    for a in argv:
        if skip or a.startswith("--out="):
            skip = False
            continue
        if a == "--out":
            skip = True
            continue
        kept.append(a)
    return "sudo make bench" + (f" ARGS={shlex.quote(' '.join(kept))}" if kept else "")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds and smaller loads")
    ap.add_argument("--only", default="bpf_cost,overhead,job_heavy,idle,latency,status_page,"
                    "cgroup_cost,containers_pass",
                    help="comma-separated parts to run")
    ap.add_argument("--out", default=OUT, help="where results.json and results.md go")
    ap.add_argument("--emulated", action="store_true",
                    help="the machine is emulated (qemu TCG): judge only the side-by-side targets")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: needs root (BPF, cgroups)")
    parts = set(args.only.split(","))
    tools = [STORM, FLOOR, STATUS_PAGE, rs.DAEMON, "wrk", "bpftrace", "prometheus-node-exporter",
             "nc"]
    if "containers_pass" in parts:
        tools += [BEFORE_DAEMON, "busybox"]
    for tool in tools:
        if not shutil.which(tool) and not os.access(tool, os.X_OK):
            sys.exit(f"bench: {tool} is missing: run `sudo make bench` (or tools/setup.sh bench)")
    mount_tracefs()
    q = args.quick
    params = {
        "bpf_rounds": 2 if q else 3, "bpf_storm": 500 if q else 2000,
        "overhead_rounds": 3 if q else 15, "overhead_storm": 500 if q else 1500,
        "runners": 20 if q else 200, "jobs_per_runner": 10 if q else 50,
        "wrk_seconds": 2 if q else 5, "idle_seconds": 15 if q else 60, "scrape_interval": 15,
        "latency_jobs": 20 if q else 100,
        "status_runners": 200, "status_jobs": 10000, "status_rounds": 5 if q else 50,
        "cgroup_rounds": 2 if q else 3, "cgroup_storm": 100 if q else 500,
        "pass_rounds": 1 if q else 3, "pass_containers": 500 if q else 5000,
        "pass_window": 10 if q else 30,
    }
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="rs-bench-")
    os.chmod(work, 0o755)
    r = {"machine": f"{os.cpu_count()} CPUs, {platform.machine()}",
         "kernel": platform.release(), "date": time.strftime("%Y-%m-%d"),
         "command": os.environ.get("RS_BENCH_COMMAND", make_command(sys.argv[1:])),
         "params": params, "emulated": args.emulated}
    t0 = time.monotonic()

    def keep():
        """what is measured so far, kept should a later part fail"""
        with open(os.path.join(args.out, "results.partial.json"), "w") as f:
            json.dump(r, f, indent=2)
    try:
        if "bpf_cost" in parts:
            r["bpf_cost"] = bench_bpf_cost(work, params["bpf_rounds"], params["bpf_storm"])
            keep()
        if "overhead" in parts:
            r["overhead"] = bench_overhead(work, params["overhead_rounds"],
                                           params["overhead_storm"])
            keep()
        if "job_heavy" in parts:
            r["job_heavy"] = bench_job_heavy(work, params["runners"], params["jobs_per_runner"],
                                             params["wrk_seconds"])
            keep()
            # the same with the daemon of before the CPU wait and neighbours, right after
            r["job_heavy_before"] = bench_job_heavy(work, params["runners"],
                                                    params["jobs_per_runner"],
                                                    params["wrk_seconds"], COST_BEFORE_DAEMON)
            keep()
        if "idle" in parts:
            r["idle"] = bench_idle(work, params["idle_seconds"], params["scrape_interval"])
            keep()
        if "latency" in parts:
            r["latency"] = bench_latency(work, params["latency_jobs"])
            keep()
        if "status_page" in parts:
            r["status_page"] = bench_status_page(params["status_runners"], params["status_jobs"],
                                                 params["status_rounds"])
            keep()
        if "cgroup_cost" in parts:
            t = time.monotonic()
            r["cgroup_cost"] = bench_cgroup_cost(work, params["cgroup_rounds"],
                                                 params["cgroup_storm"])
            r["cgroup_cost"]["seconds"] = time.monotonic() - t
            keep()
        if "containers_pass" in parts:
            t = time.monotonic()
            r["containers_pass"] = bench_containers_pass(work, params["pass_rounds"],
                                                         params["pass_containers"],
                                                         params["pass_window"])
            r["containers_pass"]["seconds"] = time.monotonic() - t
            keep()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    r["seconds"] = time.monotonic() - t0
    r["targets"] = targets(r)
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(r, f, indent=2)
    md = table(r)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write(md + "\n")
    if os.path.exists(os.path.join(args.out, "results.partial.json")):
        os.unlink(os.path.join(args.out, "results.partial.json"))
    print(md)
    log(f"bench: {r['seconds']:.0f} s; results in {args.out}/results.json and results.md")


if __name__ == "__main__":
    main()
