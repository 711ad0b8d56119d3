"""Containers that plant what runnerscope reads through /proc/<pid>/root (a GitHub runner's
.runner, a Gitea runner's .runner, a GitLab runner's config.toml) as a symlink to a host file,
a FIFO, a 100 MB file and a directory: nothing outside the container is read, nothing blocks,
nothing large is read, and the runner is named by the next source (its container's name)."""
import json
import os
import time

import rs
from conftest import IMAGE
from rs import wait_for

SECRET = "/tmp/runnerscope-host-secret"

PLANTS = {
    "symlink": "ln -s {secret} {path}",
    "fifo": "mkfifo {path}",
    "big": "truncate -s 100M {path}",
    "dir": "mkdir -p {path}",
}

# where each agent looks, how it is started in the busybox image
KINDS = {
    "github": {"path": "/actions-runner/.runner", "secret": f"{SECRET}/.runner",
               "cd": "/actions-runner", "exec": "/actions-runner/bin/Runner.Listener run"},
    "gitea": {"path": "/data/.runner", "secret": f"{SECRET}/.runner", "cd": "/data",
              "exec": "/usr/bin/act_runner daemon"},
    "gitlab": {"path": "/etc/gitlab-runner/config.toml", "secret": f"{SECRET}/config.toml",
               "cd": "/", "exec": "/usr/bin/gitlab-runner run"},
}


def test_planted_files_are_never_followed_read_whole_or_waited_on(engine, dock, daemon):
    os.makedirs(SECRET, exist_ok=True)
    with open(f"{SECRET}/.runner", "w", encoding="utf-8") as f:
        json.dump({"agentName": "leaked-host-file", "name": "leaked-host-file"}, f)
    with open(f"{SECRET}/config.toml", "w", encoding="utf-8") as f:
        f.write('[[runners]]\n  name = "leaked-host-file"\n')
    d = daemon(f"--docker.data-root={engine.data_root}")
    # what it holds before any plant; from here the kernel keeps its peak (clear_refs 5
    # resets VmHWM), so a file read whole and freed again still shows
    d.scrape()
    base = vm_kib(d.proc.pid, "VmRSS")
    with open(f"/proc/{d.proc.pid}/clear_refs", "w", encoding="ascii") as f:
        f.write("5")
    names = {}
    for kind, k in KINDS.items():
        for plant, how in PLANTS.items():
            name = f"esc-{kind}-{plant}"
            script = (f"mkdir -p $(dirname {k['path']}) && rm -rf {k['path']} && "
                      + how.format(secret=k["secret"], path=k["path"])
                      + f" && cd {k['cd']} && exec {k['exec']}")
            extra = ["-e", "FAKE_SPOOL=/tmp", "-e", "FAKE_RESULTS=/tmp"]
            for b in ("act_runner", "gitlab-runner"):
                extra += ["-v", f"{os.path.join(rs.FAKE_BIN, b)}:/usr/bin/{b}:ro"]
            names[name] = (kind, dock(IMAGE, "sh", "-c", script, name=name, extra=extra))
    # every runner named after its container; a scrape answers meanwhile, quickly
    m = wait_for(lambda: (lambda m: m if len(m.find("runnerscope_runner_info")) >= len(names)
                          else None)(d.scrape()), 30, what="every planted runner")
    for name, (kind, cid) in names.items():
        info = m.find("runnerscope_runner_info", kind=kind, runner=name)
        assert len(info) == 1, (name, m.find("runnerscope_runner_info"))
        assert info[0][0]["container_id"] == cid
    t0 = time.monotonic()
    status, body, _ = d.get("/metrics")
    assert status == 200 and time.monotonic() - t0 < 2
    assert b"leaked-host-file" not in body
    log = d.read_log()
    assert "leaked-host-file" not in log
    # what the daemon said of the plants it refused: no content of them, one line each at most
    assert log.count("ignoring .runner") <= len(names)
    # it used no memory for the 100 MB files: its peak since the plants stays far below
    # 100 MB above what it held before them (a peak, not a total, so the sanitizer build's
    # larger footprint counts the same)
    peak = vm_kib(d.proc.pid, "VmHWM")
    assert peak - base < 48 * 1024, (base, peak)


def vm_kib(pid, field):
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")
