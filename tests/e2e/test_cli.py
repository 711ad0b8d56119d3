"""Command line and HTTP surface of the daemon."""
import os
import re
import subprocess

import rs
from rs import wait_for

FLAGS = ["--web.listen-address", "--web.config.file", "--web.max-requests",
         "--web.max-connections", "--web.max-connections-per-ip", "--web.timeout",
         "--bpf.stats", "--proc.root", "--cgroup.root", "--events.file",
         "--containers", "--docker.data-root", "--kubelet.log-dir",
         "--runner.grace-period", "--containers.grace-period",
         "--bpf.attach", "--bpf.ringbuf-size", "--bpf.pin-path", "--bpf.cleanup-on-exit",
         "--log.level", "--log.format", "--version", "--help"]


def run(*args, **kw):
    return subprocess.run([rs.DAEMON, *args], capture_output=True, text=True, timeout=30, **kw)


def documented_flags():
    """The flags named in the first column of docs/configuration.md's flags table."""
    flags = set()
    with open(os.path.join(rs.REPO, "docs", "configuration.md")) as f:
        for line in f:
            if line.startswith("| `--"):
                first = line.split(" | ")[0]
                flags |= set(re.findall(r"`(--[a-z][a-z0-9.-]*[a-z0-9])", first))
    return flags


def test_help_lists_every_flag_and_configuration_documents_them():
    out = run("--help")
    assert out.returncode == 0
    documented = documented_flags()
    helped = set(re.findall(r"(?<![\w-])(--[a-z][a-z0-9.-]*[a-z0-9])", out.stdout))
    for flag in FLAGS:
        assert flag in out.stdout, flag
        assert flag in documented, flag
    # and no flag is in one and not the other
    assert helped == documented, (sorted(helped - documented), sorted(documented - helped))


def test_version():
    out = run("--version")
    assert out.returncode == 0
    with open(os.path.join(rs.REPO, "VERSION")) as f:
        version = f.read().strip()
    assert re.match(rf"^runnerscope {re.escape(version)} \(revision \S+, libbpf \d+\.\d+\)$",
                    out.stdout.strip()), out.stdout


def test_bad_flags_exit_2():
    for args in (["--nope"], ["--log.level=loud"], ["--runner.grace-period=5"],
                 ["--bpf.attach=kprobe"], ["stray"],
                 ["--bpf.ringbuf-size=5000"], ["--bpf.ringbuf-size=1024"], ["--bpf.ringbuf-size=x"],
                 ["--containers=some"], ["--containers.grace-period=soon"],
                 ["--web.max-requests=-1"], ["--web.max-requests=x"],
                 ["--web.max-connections=0"], ["--web.max-connections-per-ip=1e3"],
                 ["--web.timeout=0s"], ["--web.timeout=10"], ["--web.timeout=500ms"],
                 ["--web.config.file"], ["--jobs.disk-full-below=101"],
                 ["--jobs.disk-full-below=-1"], ["--jobs.disk-full-below=1x"],
                 ["--jobs.disk-full-below=nan"], ["--jobs.disk-full-below="]):
        out = run(*args)
        assert out.returncode == 2, (args, out)
        assert out.stderr.startswith("runnerscope: "), out.stderr


def one_error_line(out):
    lines = [l for l in out.stderr.splitlines() if "level=error" in l]
    assert out.returncode == 1, out
    assert len(lines) == 1, out.stderr
    assert "libbpf" not in out.stderr, out.stderr
    return lines[0]


def test_missing_privilege_is_one_clear_line():
    port = rs.free_port()
    out = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                          "--inh-caps=-all", "--bounding-set=-all", rs.DAEMON,
                          f"--web.listen-address=127.0.0.1:{port}"],
                         capture_output=True, text=True, timeout=30)
    assert "missing privilege" in one_error_line(out)


def test_bad_roots_are_one_clear_line(workdir):
    assert "proc root" in one_error_line(run(f"--proc.root={workdir}/none"))
    assert "cgroup root" in one_error_line(run(f"--cgroup.root={workdir}/none"))


def test_listen_address_in_use_is_one_clear_line(daemon):
    d = daemon()
    line = one_error_line(run(f"--web.listen-address=127.0.0.1:{d.port}",
                              f"--bpf.pin-path=/sys/fs/bpf/rs-test-inuse-{d.port}",
                              "--bpf.cleanup-on-exit"))
    assert not os.path.exists(f"/sys/fs/bpf/rs-test-inuse-{d.port}")  # a failed start unpins
    assert "Address already in use" in line, line


def test_http_paths_and_methods(daemon):
    d = daemon()
    status, body, headers = d.get("/metrics")
    assert status == 200
    assert headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert d.get("/healthz")[:2] == (200, b"ok\n")
    assert d.get("/")[0] == 200
    for path in ("/nope", "/metrics/", "/metricsx", "/../etc/passwd"):
        assert d.get(path)[0] == 404, path
    status, body, headers = d.get("/metrics", method="HEAD")
    assert status == 200 and body == b""
    for method in ("POST", "PUT", "DELETE"):
        status, _, headers = d.get("/metrics", method=method)
        assert status == 405 and headers.get("Allow") == "GET, HEAD", method


def test_logs_are_logfmt(daemon):
    d = daemon()
    lines = [l for l in d.read_log().splitlines() if l]
    assert lines
    pat = re.compile(r'^ts=\S+ level=(error|warn|info|debug) msg="(?:[^"\\]|\\.)*"$')
    for l in lines:
        assert pat.match(l), l


def test_missing_btf_is_one_clear_line():
    """A kernel without BTF, shown by hiding /sys/kernel/btf in a mount namespace of its own."""
    port = rs.free_port()
    out = subprocess.run(["unshare", "-m", "sh", "-c",
                          "mount -t tmpfs none /sys/kernel/btf && exec \"$@\"", "sh", rs.DAEMON,
                          f"--web.listen-address=127.0.0.1:{port}",
                          f"--bpf.pin-path=/sys/fs/bpf/rs-test-nobtf-{port}"],
                         capture_output=True, text=True, timeout=30)
    assert "no BTF at /sys/kernel/btf/vmlinux" in one_error_line(out)
    assert not os.path.exists(f"/sys/fs/bpf/rs-test-nobtf-{port}")


def test_procfs_of_another_pid_namespace_is_one_clear_line():
    """runnerscope in a PID namespace of its own with that namespace's /proc (a container
    without hostPID): the kernel's process ids would name other processes, so it refuses."""
    port = rs.free_port()
    out = subprocess.run(["unshare", "--pid", "--fork", "--mount", "--mount-proc", rs.DAEMON,
                          f"--web.listen-address=127.0.0.1:{port}",
                          f"--bpf.pin-path=/sys/fs/bpf/rs-test-pidns-{port}"],
                         capture_output=True, text=True, timeout=30)
    line = one_error_line(out)
    assert "is a PID namespace's own" in line and "hostPID" in line, line


def test_agents_gone_before_they_are_read(daemon, runners):
    """Fifty agents that exit as soon as they start, often before their names can be read:
    each is named by what could be read while it ran (else "unknown") or, gone unseen, not
    reported; the daemon goes on, healthy, with nothing left of them."""
    d = daemon()
    made = []
    for i in range(50):
        r = runners(f"brief-{i}")
        open(os.path.join(r.spool, "stop"), "w").close()
        made.append(r.start())
    for r in made:
        r.proc.wait(10)
    # every agent record taken and dropped: each either named while it ran, or gone unseen
    m = wait_for(lambda: (lambda m: m if m.value("runnerscope_bpf_map_entries", map="agents_map")
                          == 0 and m.value("runnerscope_bpf_events_total", event="agent_exit")
                          == 50 else None)(d.scrape()), 15, what="every brief agent gone")
    assert all(v == 0 for _, v in m.find("runnerscope_runner_up"))
    names = {l["runner"] for l, _ in m.find("runnerscope_runner_up")}
    odd = names - {f"brief-{i}" for i in range(50)} - {"unknown"}
    assert not odd, (odd, [l for l in d.read_log().splitlines() if "new runner" in l])
    assert d.get("/healthz")[0] == 200
    assert "level=error" not in d.read_log()
