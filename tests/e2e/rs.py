"""Helpers for the end-to-end tests: the daemon, its metrics, cgroups, fake runners."""
import base64
import http.client
import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
import urllib.parse
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("RS_BUILD", os.path.join(REPO, "build"))
DAEMON = os.environ.get("RS_DAEMON", os.path.join(BUILD, "runnerscope"))
FIXTURES = os.path.join(BUILD, "fixtures")
FAKE_BIN = os.path.join(FIXTURES, "fake-runner")
INSTALL_RUNNER = os.path.join(REPO, "tests", "fixtures", "fake-runner", "install-runner.sh")
CGROOT = "/sys/fs/cgroup"
# the attach flavour every daemon of the run uses unless its test names one: the kernel tests
# run once with the default (auto, which must pick tp_btf) and once with raw_tp
ATTACH = os.environ.get("RS_ATTACH", "")


# a page begun after the request, never a kept one: for figures held against /proc or cgroup
# files read either side of the scrape
FRESH = {"Cache-Control": "no-cache"}


# Every wait is for a condition, bounded by a timeout; on a slow machine (a kernel of the matrix
# under qemu's TCG runs processes 7-13x slower) the bounds grow by this factor.
TIMEOUT_SCALE = float(os.environ.get("RS_TIMEOUT_SCALE", "1"))


def wait_for(pred, timeout=10.0, interval=0.05, what="condition", show=None):
    """pred's first true value; at the timeout, an error with its last, and what show() (the
    figures pred compares) says then."""
    timeout *= TIMEOUT_SCALE
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r}"
                         f"{f'; now: {show()!r}' if show else ''})")


def jobs_settled(d, runner, kind="github", timeout=15, started=None):
    """The scrape once the runner's jobs are over and none of their processes is left: some
    job, or with started that many, counted started."""
    seen = {}

    def done():
        m = d.scrape()
        n = m.value("runnerscope_jobs_started_total", kind=kind, runner=runner)
        seen.update(started=n, running=m.value("runnerscope_jobs_running", kind=kind,
                                               runner=runner),
                    processes=m.value("runnerscope_job_processes", kind=kind, runner=runner))
        return m if (seen["running"] == 0 and seen["processes"] == 0 and
                     (n == started if started is not None else n)) else None
    try:
        return wait_for(done, timeout, what=f"{runner}'s jobs settled")
    except AssertionError as e:
        raise AssertionError(f"{e}; last seen: {seen}") from None


def jobs_running(d, runner, n=1, timeout=15, **labels):
    """The scrape once the daemon shows n of the runner's jobs running (labels: kind=…)."""
    def running():
        m = d.scrape()
        return m if m.value("runnerscope_jobs_running", runner=runner, **labels) == n else None
    return wait_for(running, timeout, what=f"{n} job(s) of {runner} running")


def ppid(pid):
    """the parent of pid; 0 when it is gone"""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def proc_tree(root):
    """root and every live descendant of it, from /proc"""
    kids = {}
    for p in os.listdir("/proc"):
        if p.isdigit():
            kids.setdefault(ppid(int(p)), []).append(int(p))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += kids.get(pid, [])
    return out


def held_step(path):
    """A step that waits, with no process of its own, until release(path): what a test needs
    to hold a job at a known point however slow the machine is."""
    os.mkfifo(path)
    return f"step read x < {path}"


def release(path):
    """Lets the steps waiting in held_step(path) go on (the write waits for a reader)."""
    def go():
        with open(path, "w") as f:
            f.write("go\n")
    threading.Thread(target=go, daemon=True).start()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def _unescape(v):
    return re.sub(r'\\(.)', lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), v)


def parse_metrics(text):
    """Prometheus text format -> {name: [(labels dict, value)]}; raises on malformed lines."""
    out = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        if not m:
            raise AssertionError(f"malformed exposition line: {line!r}")
        labels = {}
        body = m.group(3) or ""
        pos = 0
        while pos < len(body):
            lm = _LABEL.match(body, pos)
            if not lm:
                raise AssertionError(f"malformed labels in: {line!r}")
            labels[lm.group(1)] = _unescape(lm.group(2))
            pos = lm.end()
        out.setdefault(m.group(1), []).append((labels, float(m.group(4))))
    return out


class Metrics:
    def __init__(self, text):
        self.text = text
        self.samples = parse_metrics(text)

    def find(self, name, **labels):
        return [(l, v) for l, v in self.samples.get(name, [])
                if all(l.get(k) == str(want) for k, want in labels.items())]

    def value(self, name, **labels):
        """The value of the one sample matching; None when there is none."""
        found = self.find(name, **labels)
        if len(found) > 1:
            raise AssertionError(f"{name}{labels} matches {len(found)} samples: {found}")
        return found[0][1] if found else None


class Daemon:
    """runnerscope on its own port and pin path. cleanup: --bpf.cleanup-on-exit, so that
    one test's pinned counters never reach the next; restart tests keep them (False) and
    hand the same port and pin_path to the next Daemon."""

    def __init__(self, workdir, args=(), env=None, stdout_path=None, pin_path=None,
                 cleanup=True, port=None, tls_ca=None, tls_cert=None, auth=None):
        self.port = port or free_port()
        # with TLS: the CA that signed its certificate, our client certificate and key;
        # auth: (user, password) for get()
        self.ssl = ssl.create_default_context(cafile=tls_ca) if tls_ca else None
        if tls_cert:
            self.ssl.load_cert_chain(*tls_cert)
        self.auth = auth
        self.workdir = workdir
        self.log_path = os.path.join(workdir, f"runnerscope-{self.port}.log")
        self.stdout_path = stdout_path  # stdout apart from the logs (stderr)
        self.pin_path = pin_path or f"/sys/fs/bpf/rs-test-{self.port}"
        pins = []
        if not any(a.startswith("--bpf.pin-path") for a in args):
            pins.append(f"--bpf.pin-path={self.pin_path}")
        if cleanup:
            pins.append("--bpf.cleanup-on-exit")
        if ATTACH and not any(a.startswith("--bpf.attach") for a in args):
            pins.append(f"--bpf.attach={ATTACH}")
        self.args = [DAEMON, f"--web.listen-address=127.0.0.1:{self.port}",
                     "--log.level=debug", *pins, *args]
        self.env = env
        self.proc = None

    def launch(self):
        """Starts the process without waiting for it to serve."""
        self.log = open(self.log_path, "ab")
        self.out = open(self.stdout_path, "wb") if self.stdout_path else self.log
        self.proc = subprocess.Popen(self.args, stdout=self.out, stderr=self.log, env=self.env)
        return self

    def start(self, timeout=15):
        self.launch()

        def up():
            if self.proc.poll() is not None:
                raise AssertionError(f"runnerscope exited {self.proc.returncode}:\n"
                                     + self.read_log())
            try:
                return self.get("/healthz")[0] == 200
            except OSError:
                return False
        wait_for(up, timeout, what="runnerscope /healthz")
        return self

    def connection(self, timeout=10):
        timeout *= TIMEOUT_SCALE
        if self.ssl:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=self.ssl)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def get(self, path, method="GET", headers=None):
        c = self.connection()
        headers = dict(headers or {})
        if self.auth and "Authorization" not in headers:
            token = base64.b64encode(":".join(self.auth).encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        try:
            c.request(method, path, headers=headers)
            r = c.getresponse()
            return r.status, r.read(), dict(r.getheaders())
        finally:
            c.close()

    def scrape(self, headers=None):
        status, body, _ = self.get("/metrics", headers=headers)
        assert status == 200, status
        return Metrics(body.decode("utf-8"))

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(10 * TIMEOUT_SCALE)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("runnerscope did not stop on SIGTERM")
            assert rc == 0, f"runnerscope exited {rc} on SIGTERM:\n{self.read_log()[-3000:]}"
        self._close()

    def _close(self):
        if hasattr(self, "log") and not self.log.closed:
            self.log.close()
            self.out.close()

    def kill(self):
        """kill -9: nothing of runnerscope's own shutdown runs."""
        self.proc.kill()
        self.proc.wait()
        self._close()

    def unpin(self):
        """What a test left pinned goes: `runnerscope cleanup`."""
        if os.path.exists(self.pin_path):
            subprocess.run([DAEMON, "cleanup", f"--bpf.pin-path={self.pin_path}"],
                           check=True, capture_output=True)


def v1_controllers():
    return [c for c in ("cpu", "cpuacct", "memory", "pids")
            if os.path.isfile(os.path.join(CGROOT, c, "cgroup.procs"))]


def unified_root():
    if os.path.isfile(os.path.join(CGROOT, "cgroup.controllers")):
        return CGROOT
    if os.path.isfile(os.path.join(CGROOT, "unified", "cgroup.procs")):
        return os.path.join(CGROOT, "unified")
    return None


def hierarchies():
    """The hierarchies this host has: ('v1', 'v2') hybrid, ('v2',) pure v2, ('v1',) pure v1."""
    return tuple(h for h, there in (("v1", v1_controllers()), ("v2", unified_root())) if there)


def v2_controls(ctrl):
    """The memory, cpu, io or pids controller is on the unified hierarchy (pure v2)."""
    root = unified_root()
    if not root:
        return False
    with open(os.path.join(root, "cgroup.controllers")) as f:
        return ctrl in f.read().split()


class Cgroup:
    """One cgroup path made in the chosen host hierarchies ('v1', 'v2' or both; those of them
    the host has). On the unified hierarchy, the parents made for it hand every controller
    they have down to it, as systemd does for its slices."""

    def __init__(self, relpath, hierarchies=("v1", "v2")):
        self.relpath = relpath.strip("/")
        self.dirs = []
        if "v1" in hierarchies:
            self.dirs += [os.path.join(CGROOT, c, self.relpath) for c in v1_controllers()]
        if "v2" in hierarchies and unified_root():
            self.dirs.append(os.path.join(unified_root(), self.relpath))
        if not self.dirs:
            raise AssertionError(f"no cgroup hierarchy for {hierarchies} under {CGROOT}")
        for d in self.dirs:
            if unified_root() and d.startswith(unified_root() + "/"):
                self._delegate(unified_root(), d)
            os.makedirs(d, exist_ok=True)

    @staticmethod
    def _delegate(root, d):
        """Each level from root down to d's parent enables its controllers for its children."""
        cur = root
        for part in os.path.relpath(d, root).split("/")[:-1] + [None]:
            with open(os.path.join(cur, "cgroup.controllers")) as f:
                have = f.read().split()
            with open(os.path.join(cur, "cgroup.subtree_control")) as f:
                on = f.read().split()
            for c in have:
                if c not in on:
                    with open(os.path.join(cur, "cgroup.subtree_control"), "w") as f:
                        f.write(f"+{c}")
            if part is None:
                break
            cur = os.path.join(cur, part)
            os.makedirs(cur, exist_ok=True)

    def dir_of(self, ctrl):
        """The directory holding controller ctrl's files: its v1 hierarchy's, or the unified
        one where it is on (pure v2); None when this cgroup has it in neither."""
        for d in self.dirs:
            if d.startswith(os.path.join(CGROOT, ctrl) + "/") or (
                    ctrl == "cpuacct" and d.startswith(os.path.join(CGROOT, "cpu,cpuacct") + "/")):
                return d
        u = unified_root()
        if ctrl != "cpuacct" and v2_controls(ctrl):
            for d in self.dirs:
                if d.startswith(u + "/"):
                    return d
        return None

    def unified(self):
        """This cgroup's directory on the unified hierarchy; None without one."""
        u = unified_root()
        return next((d for d in self.dirs if u and d.startswith(u + "/")), None)

    def read(self, ctrl, name):
        with open(os.path.join(self.dir_of(ctrl), name)) as f:
            return f.read()

    def write(self, ctrl, name, value):
        with open(os.path.join(self.dir_of(ctrl), name), "w") as f:
            f.write(str(value))

    def v2(self, ctrl):
        """Whether ctrl's files here are cgroup v2's."""
        d = self.dir_of(ctrl)
        return d is not None and unified_root() is not None and d.startswith(unified_root() + "/")

    def limit_memory(self, nbytes):
        if self.v2("memory"):
            self.write("memory", "memory.max", nbytes)
        else:
            self.write("memory", "memory.limit_in_bytes", nbytes)

    def limit_cpu(self, quota_us, period_us=100000):
        if self.v2("cpu"):
            self.write("cpu", "cpu.max", f"{quota_us} {period_us}")
        else:
            self.write("cpu", "cpu.cfs_period_us", period_us)
            self.write("cpu", "cpu.cfs_quota_us", quota_us)

    def enter(self, pid=None):
        pid = pid or os.getpid()
        for d in self.dirs:
            with open(os.path.join(d, "cgroup.procs"), "w") as f:
                f.write(str(pid))

    def remove(self):
        for d in self.dirs:
            remove_cgroup_dir(d)
            # parents made for this path (e.g. system.slice) are left: they may be shared


CONTAINER_ID = re.compile(r"[0-9a-f]{64}")


def container_cgroups():
    """Every cgroup directory named by a container id, in every hierarchy the host has."""
    for top in sorted(os.listdir(CGROOT)):
        for root, _, _ in os.walk(os.path.join(CGROOT, top)):
            if CONTAINER_ID.search(os.path.basename(root)):
                yield root


def remove_cgroup_dir(d):
    """Kills what is left in cgroup directory d and removes it (and any cgroup below it)."""
    for root, _, _ in sorted(os.walk(d), key=lambda w: -w[0].count("/")):
        for _ in range(100):
            try:
                with open(os.path.join(root, "cgroup.procs")) as f:
                    kill_all([int(x) for x in f.read().split()])
                os.rmdir(root)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise AssertionError(f"cgroup {root} could not be removed: {procs_of(root)}")


def kill_all(pids, sig=signal.SIGKILL):
    """Sends sig to each of pids, passing over those already gone."""
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def procs_of(d):
    """What is left in a cgroup directory: pid, comm and state of each process."""
    out = []
    try:
        with open(os.path.join(d, "cgroup.procs")) as f:
            pids = f.read().split()
    except OSError as e:
        return str(e)
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                out.append(f.read().split(" ")[:3])
        except OSError:
            out.append([p, "gone"])
    return out


def fake_container_id():
    return secrets.token_hex(32)


class Spool:
    """The fake runner's job spool and results, seen from the host."""

    def __init__(self, spool, results):
        self.spool = spool
        self.results = results

    def submit(self, name, *directives, burst=None):
        """Queues a job; burst=N starts N Workers with this spec at once."""
        tmp = os.path.join(self.spool, f".{name}.tmp")
        with open(tmp, "w") as f:
            if burst:
                f.write(f"burst {burst}\n")
            f.write(f"name {name}\n")
            for d in directives:
                f.write(d + "\n")
        os.rename(tmp, os.path.join(self.spool, f"{name}.job"))

    def worker_pid(self, name, timeout=10):
        path = os.path.join(self.results, f"{name}.pid")
        wait_for(lambda: os.path.exists(path), timeout, what=f"worker pid of {name}")
        with open(path) as f:
            return int(f.read())

    def rusage(self, name, timeout=20):
        """The Listener's getrusage(RUSAGE_CHILDREN) view of a finished job: utime, stime
        (seconds) and maxrss_kb."""
        self.result(name, timeout)
        with open(os.path.join(self.results, f"{name}.listener")) as f:
            fields = dict(line.split("=", 1) for line in f.read().split())
        return {k: float(v) for k, v in fields.items() if k != "status"}

    def result(self, name, timeout=20):
        """(wait status, worker times dict or None) once the Listener has reaped the job."""
        path = os.path.join(self.results, f"{name}.listener")
        wait_for(lambda: os.path.exists(path), timeout, what=f"result of job {name}")
        with open(path) as f:
            fields = dict(line.split("=", 1) for line in f.read().split())
        status = int(fields["status"])
        worker = None
        wpath = os.path.join(self.results, f"{name}.worker")
        if os.path.exists(wpath):
            with open(wpath) as f:
                worker = dict(line.split("=", 1) for line in f.read().split())
            worker = {k: float(v) for k, v in worker.items()}
        return status, worker

class FakeRunner(Spool):
    """A fake GitHub runner root with a Listener started in the given cgroup."""

    def __init__(self, workdir, name, bin_dir="bin", cgroup=None, env=None, wrap=()):
        self.root = os.path.join(workdir, f"runner-{secrets.token_hex(4)}")
        self.name = name
        self.cgroup = cgroup
        subprocess.run([INSTALL_RUNNER, FAKE_BIN, self.root, name, bin_dir], check=True)
        Spool.__init__(self, os.path.join(self.root, "_spool"),
                       os.path.join(self.root, "_results"))
        self.listener = os.path.join(self.root, bin_dir, "Runner.Listener")
        self.env = env
        self.wrap = list(wrap)
        self.proc = None
        self.started_at = None

    def start(self):
        cg = self.cgroup
        env = dict(os.environ if self.env is None else self.env)
        env.pop("RUNNER_NAME", None) if self.env is None else None
        self.started_at = time.time()
        self.proc = subprocess.Popen([*self.wrap, self.listener, "run"], cwd=self.root,
                                     env=env, stdin=subprocess.DEVNULL, start_new_session=True,
                                     preexec_fn=(lambda: cg.enter()) if cg else None)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def cleanup(self):
        self.stop()
        # Workers outlive a stopped Listener: end the whole process group
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        shutil.rmtree(self.root, ignore_errors=True)


class FakeAgent:
    """A fake Gitea, Forgejo, GitLab or Buildkite agent (tests/fixtures/fake-runner/agent.c):
    binary is act_runner, gitea-runner, forgejo-runner, gitlab-runner or buildkite-agent;
    files are written into its
    working directory first (a .runner, a config.toml)."""

    def __init__(self, workdir, binary, command, args=(), files=None, env=None, cgroup=None):
        self.root = os.path.join(workdir, f"{binary}-{secrets.token_hex(4)}")
        self.spool = os.path.join(self.root, "spool")
        self.results = os.path.join(self.root, "results")
        os.makedirs(self.spool)
        os.makedirs(self.results)
        for name, text in (files or {}).items():
            with open(os.path.join(self.root, name), "w", encoding="utf-8") as f:
                f.write(text)
        self.argv = [os.path.join(FAKE_BIN, binary), command, *args]
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("RUNNER_", "GITHUB_", "CI_", "BUILDKITE_", "GITEA_",
                                                   "FORGEJO_"))}
        self.env.update(env or {})
        self.env.update(FAKE_SPOOL=self.spool, FAKE_RESULTS=self.results)
        self.cgroup = cgroup
        self.proc = None
        self.n = 0

    def start(self):
        cg = self.cgroup
        self.proc = subprocess.Popen(self.argv, cwd=self.root, env=self.env,
                                     stdin=subprocess.DEVNULL, start_new_session=True,
                                     preexec_fn=(lambda: cg.enter()) if cg else None)
        return self

    def submit(self, *directives):
        """Queues a job (agent.c's directives); returns its name."""
        self.n += 1
        name = f"{self.n:04d}"
        tmp = os.path.join(self.spool, f".{name}.tmp")
        with open(tmp, "w") as f:
            f.write("".join(d + "\n" for d in directives))
        os.rename(tmp, os.path.join(self.spool, f"{name}.job"))
        return name

    def result(self, name, timeout=60):
        path = os.path.join(self.results, f"{name}.done")
        wait_for(lambda: os.path.exists(path), timeout, what=f"job {name} of {self.argv[0]}")
        with open(path) as f:
            return int(f.read().split("=", 1)[1])

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            open(os.path.join(self.spool, "stop"), "w").close()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)


class Prometheus:
    """Debian's Prometheus server, scraping every second with the given scrape_configs (YAML
    list items, indented two spaces); a context manager."""

    def __init__(self, workdir, scrape_configs):
        self.port = free_port()
        self.workdir = workdir
        self.config = os.path.join(workdir, "prometheus.yml")
        with open(self.config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\nscrape_configs:\n" + scrape_configs)

    def __enter__(self):
        self.log = open(os.path.join(self.workdir, "prometheus.log"), "wb")
        self.proc = subprocess.Popen(
            ["prometheus", f"--config.file={self.config}",
             f"--storage.tsdb.path={os.path.join(self.workdir, 'tsdb')}",
             f"--web.listen-address=127.0.0.1:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT)
        return self

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(20)
        self.log.close()

    def api(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/v1/{path}",
                                    timeout=5) as resp:
            body = json.load(resp)
        assert body["status"] == "success", body
        return body["data"]

    def query(self, q):
        """{sorted label items: value} of an instant query"""
        data = self.api("query?" + urllib.parse.urlencode({"query": q}))
        return {tuple(sorted(s["metric"].items())): float(s["value"][1])
                for s in data["result"]}

    def wait(self, q, timeout=60):
        """The query's result once it has one (Prometheus starting, the first scrapes)."""
        def got():
            try:
                return self.query(q) or None
            except OSError:
                return None
        return wait_for(got, timeout, interval=0.5, what=f"Prometheus: {q}")


class LoopFs:
    """An ext4 on a loop device over a file in dir, mounted at dir/mnt: a block device of the
    test's own, whose I/O nothing else on the host does. with LoopFs(dir) as fs: fs.dev,
    fs.mnt, fs.majmin."""

    def __init__(self, dir, size="128M"):
        self.img = os.path.join(dir, "disk.img")
        self.mnt = os.path.join(dir, "mnt")
        self.size = size
        self.dev = None

    def __enter__(self):
        run = lambda *c: subprocess.run(c, check=True, capture_output=True, text=True,
                                        timeout=60).stdout
        os.makedirs(self.mnt)
        run("truncate", "-s", self.size, self.img)
        self.dev = run("losetup", "-f", "--show", self.img).strip()
        try:
            run("mkfs.ext4", "-q", self.dev)
            run("mount", self.dev, self.mnt)
        except BaseException:
            run("losetup", "-d", self.dev)
            raise
        with open(f"/sys/class/block/{os.path.basename(self.dev)}/dev") as f:
            self.majmin = f.read().strip()
        return self

    def __exit__(self, *exc):
        subprocess.run(["umount", self.mnt], capture_output=True, timeout=60)
        subprocess.run(["losetup", "-d", self.dev], capture_output=True, timeout=60)
        return False
