"""Smoke test for tests/e2e/dockerenv.py: a private dockerd runs real containers.

Deliberately FAILS (never skips) when not root or when dockerd is missing:
the e2e suite cannot mean anything without them.

    /usr/bin/python3 -m pytest -q tests/e2e/test_dockerenv_smoke.py
"""

import os
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dockerenv  # noqa: E402
from dockerenv import DockerEngine, busybox_rootfs  # noqa: E402

IMAGE = "e2e-busybox:latest"
CONTAINER_START_LIMIT = 5.0   # seconds for `docker run -d` to return a running container


def _require_prereqs():
    assert os.geteuid() == 0, "e2e docker tests must run as root"
    assert os.access(dockerenv.DOCKERD, os.X_OK), \
        "%s missing: apt-get install docker.io" % dockerenv.DOCKERD
    assert os.access(dockerenv.BUSYBOX, os.X_OK), "apt-get install busybox-static"


def test_prerequisites():
    """Reported as FAILED (not skipped) when not root / dockerd or busybox missing."""
    _require_prereqs()


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory):
    _require_prereqs()
    d = busybox_rootfs(tmp_path_factory.mktemp("rootfs"))
    for a in dockerenv.BUSYBOX_APPLETS_REQUIRED:
        assert os.path.islink(os.path.join(d, "bin", a)), a
    return d


@pytest.fixture
def engine(tmp_path, rootfs):
    _require_prereqs()
    eng = DockerEngine(tmp_path / "engine")
    try:
        eng.start()
        print("dockerd up in %.2fs via %s (server %s, storage %s, cgroup %s v%s)" % (
            eng.start_seconds, eng.cli, eng.server_version, eng.storage_driver_used,
            eng.cgroup_driver, eng.cgroup_version))
        eng.import_image(rootfs, IMAGE)
        yield eng
    finally:
        eng.stop()
    left = eng.leftovers()
    assert not left, "engine left things behind: %s" % left


def _proc_cgroup(pid):
    with open("/proc/%d/cgroup" % pid) as f:
        return f.read()


def test_container_lands_in_docker_cgroup(engine):
    t0 = time.monotonic()
    cid = engine.run(IMAGE, "sleep", "1000", name="smoke-sleep")
    dt = time.monotonic() - t0
    print("container start: %.3fs" % dt)
    assert dockerenv._HEX64.match(cid)
    assert dt < CONTAINER_START_LIMIT, "container start took %.2fs" % dt
    assert engine.inspect(cid, "{{.State.Running}}") == "true"
    assert engine.inspect("smoke-sleep", "{{.Id}}") == cid

    pid = engine.host_pid(cid)
    assert pid > 0
    content = _proc_cgroup(pid)
    print("/proc/%d/cgroup:\n%s" % (pid, content))
    lines = [l for l in content.splitlines() if l]
    assert lines
    expected = "/docker/" + cid
    by_ctrl = {}
    for line in lines:
        _hid, ctrls, path = line.split(":", 2)
        # cgroupfs driver: every hierarchy (v1 controllers, name=systemd and the
        # cgroup2 "0::" line) shows the same /docker/<full id> path
        assert path == expected, "unexpected cgroup line %r" % line
        for c in (ctrls.split(",") if ctrls else ["<v2>"]):
            by_ctrl[c] = path
    for c in ("memory", "pids", "cpu", "cpuacct", "<v2>"):
        if os.path.isdir("/sys/fs/cgroup/" + c) or c == "<v2>":
            assert by_ctrl.get(c) == expected, (c, by_ctrl)

    # and the kernel agrees from the other side: the pid is in the cgroup dir
    dirs = dockerenv.container_cgroup_dirs(cid)
    assert dirs, "no /sys/fs/cgroup/*/docker/%s dirs" % cid
    mem = [d for d in dirs if d.startswith("/sys/fs/cgroup/memory/")]
    if os.path.isdir("/sys/fs/cgroup/memory"):
        assert mem and pid in dockerenv.cgroup_pids(mem[0])

    # applets in the busybox image actually work
    p = engine.docker("exec", cid, "sh", "-c",
                      "echo hi; ls /bin/sleep; touch /tmp/x; mkdir /tmp/d; mv /tmp/x /tmp/d/y;"
                      " rm /tmp/d/y; true && ! false && cat /etc/passwd | head -n1")
    assert p.stdout.split("\n")[0] == "hi"
    assert "root:x:0:0:" in p.stdout


def test_memory_limit_and_oom_kill(engine):
    # the limit is applied to the container's memory cgroup ...
    cid = engine.run(IMAGE, "sleep", "1000", extra=["--memory", "64m"])
    (memdir,) = [d for d in dockerenv.container_cgroup_dirs(cid)
                 if d.startswith("/sys/fs/cgroup/memory/")] or [None]
    if memdir is None:  # pure cgroup2 host
        (memdir,) = dockerenv.container_cgroup_dirs(cid)
        with open(os.path.join(memdir, "memory.max")) as f:
            assert int(f.read()) == 64 << 20
    else:
        with open(os.path.join(memdir, "memory.limit_in_bytes")) as f:
            assert int(f.read()) == 64 << 20
    engine.docker("rm", "-f", cid)

    # ... and a memory hog gets OOM-killed, which docker reports
    t0 = time.monotonic()
    hog = engine.run(IMAGE, "sh", "-c", "x=a; while true; do x=$x$x; done",
                     name="smoke-oom", extra=["--memory", "64m"])
    rc = engine.wait(hog, timeout=60)
    print("OOM kill after %.2fs" % (time.monotonic() - t0))
    assert rc == 137
    assert engine.inspect(hog, "{{.State.OOMKilled}}") == "true"
    assert engine.inspect(hog, "{{.HostConfig.Memory}}") == str(64 << 20)
    ev = engine.docker("events", "--since", "0", "--until", str(int(time.time()) + 1),
                       "--filter", "container=" + hog, "--filter", "event=oom",
                       "--format", "{{.Status}} {{.ID}}", timeout=30).stdout
    assert "oom " + hog in ev, ev


def test_pull_never_without_registry(engine):
    # the imported image runs with --pull never ...
    cid = engine.run(IMAGE, "sh", "-c", "echo ok")
    assert engine.wait(cid) == 0
    assert engine.docker("logs", cid).stdout.strip() == "ok"
    # ... and a missing image fails fast instead of trying a registry
    t0 = time.monotonic()
    with pytest.raises(RuntimeError) as ei:
        engine.run("e2e-does-not-exist:latest", "true")
    assert time.monotonic() - t0 < 10
    assert "No such image" in str(ei.value) or "not found" in str(ei.value).lower()


def test_stop_is_clean_and_restartable(tmp_path, rootfs):
    _require_prereqs()
    wd = tmp_path / "engine"
    for round_ in range(2):  # same workdir twice: stop() must leave it reusable
        eng = DockerEngine(wd)
        try:
            eng.start()
            eng.import_image(rootfs, IMAGE)
            cids = [eng.run(IMAGE, "sleep", "1000"),
                    eng.run(IMAGE, "sh", "-c", "setsid sleep 1000 & exec sleep 1000")]
            pids = [eng.host_pid(c) for c in cids]
            assert all(p > 0 for p in pids)
            assert eng.leftovers(), "expected live engine state before stop"
        finally:
            eng.stop()
        assert eng.leftovers() == [], eng.leftovers()
        assert dockerenv.wait_pids_gone(pids) == [], "container pids survived"
        for c in cids:
            assert dockerenv.container_cgroup_dirs(c) == []
        assert dockerenv.mounts_under(str(wd)) == []
        assert dockerenv.engine_processes(str(wd)) == []
        eng.stop()  # idempotent


def test_stop_after_dockerd_was_killed(tmp_path, rootfs):
    """Fallback path: dockerd dies hard, shims and containers keep running."""
    _require_prereqs()
    eng = DockerEngine(tmp_path / "engine")
    try:
        eng.start()
        eng.import_image(rootfs, IMAGE)
        cid = eng.run(IMAGE, "sleep", "1000")
        pid = eng.host_pid(cid)
        eng.proc.kill()
        eng.proc.wait()
        time.sleep(0.3)
        assert dockerenv.pid_alive(pid), "container died with dockerd?"
        shims = [p for p in dockerenv.engine_processes(*eng._roots())
                 if open("/proc/%d/comm" % p).read().startswith("containerd-shim")]
        assert shims, "expected an orphaned shim after killing dockerd"
    finally:
        eng.stop()
    assert eng.leftovers() == [], eng.leftovers()
    assert dockerenv.wait_pids_gone([pid]) == [], "container pid %d survived" % pid
    assert dockerenv.container_cgroup_dirs(cid) == []
