"""GitHub runners on the real kernel: fake Runner.Listener/Runner.Worker trees in real cgroups."""
import json
import os
import signal
import subprocess
import time

import pytest

import rs
from rs import wait_for

RESULTS = ["success", "success_with_issues", "failure", "cancelled", "skipped", "abandoned"]


def finished(m, runner, result):
    return m.value("runnerscope_jobs_finished_total", kind="github", runner=runner, result=result)


def wait_finished(d, runner, total, timeout=15):
    def done():
        m = d.scrape()
        n = sum(finished(m, runner, r) or 0 for r in RESULTS)
        return m if n >= total else None
    return wait_for(done, timeout, what=f"{total} finished jobs on {runner}")


def test_three_runners_every_result(daemon, runners, cgroups):
    """Three runner 'containers' (systemd-style docker scopes): in every hierarchy the host has
    and, where it has two (hybrid), in each one alone."""
    d = daemon()
    have = rs.hierarchies()
    layout = {"standard": have, "chrome": have[:1], "chrome-go": have[-1:]}
    exits = {
        "standard": [100, 101, 102, 100],
        "chrome": [103, 104, 105],
        "chrome-go": [0, 1, 255, 100],  # anything but 100..105 is a failure (worker_crashed)
    }
    want = {
        "standard": {"success": 2, "success_with_issues": 1, "failure": 1},
        "chrome": {"cancelled": 1, "skipped": 1, "abandoned": 1},
        "chrome-go": {"failure": 3, "success": 1},
    }
    ids, rr = {}, {}
    for name, hier in layout.items():
        ids[name] = rs.fake_container_id()
        cg = cgroups(f"system.slice/docker-{ids[name]}.scope", hier)
        rr[name] = runners(name, cgroup=cg).start()
    for name, codes in exits.items():
        for i, code in enumerate(codes):
            rr[name].submit(f"j{i}", "step true", f"exit {code}")
    for name, codes in exits.items():
        for i, code in enumerate(codes):
            status, _ = rr[name].result(f"j{i}")
            assert status == code << 8
        m = wait_finished(d, name, len(codes))

    m = d.scrape()
    for name in layout:
        assert m.value("runnerscope_runner_up", kind="github", runner=name) == 1
        assert m.value("runnerscope_jobs_running", kind="github", runner=name) == 0
        assert m.value("runnerscope_jobs_started_total", kind="github",
                       runner=name) == len(exits[name])
        for r in RESULTS:
            assert finished(m, name, r) == want[name].get(r, 0), (name, r)
        info = m.find("runnerscope_runner_info", kind="github", runner=name)
        assert len(info) == 1 and info[0][1] == 1
        assert info[0][0]["container_id"] == ids[name], (name, info)
        count = sum(v for l, v in m.find("runnerscope_job_duration_seconds_count",
                                         kind="github", runner=name))
        assert count == len(exits[name])
        # no job is still running, so no job start time is exposed
        assert m.value("runnerscope_job_start_time_seconds", kind="github", runner=name) is None
    # exactly our three runners, nothing invented
    assert sorted(l["runner"] for l, _ in m.find("runnerscope_runner_up")) == sorted(layout)


def test_worker_killed_by_sigkill_is_a_failure(daemon, runners):
    d = daemon()
    r = runners("killed-runner").start()
    r.submit("long", "sleep_ms 20000", "exit 100")
    pid = r.worker_pid("long")
    m = rs.jobs_running(d, "killed-runner", kind="github", timeout=10)
    assert m.value("runnerscope_job_start_time_seconds", kind="github",
                   runner="killed-runner") is not None
    os.kill(pid, signal.SIGKILL)
    status, _ = r.result("long")
    assert status == signal.SIGKILL
    m = wait_finished(d, "killed-runner", 1)
    assert finished(m, "killed-runner", "failure") == 1
    assert finished(m, "killed-runner", "success") == 0
    assert m.value("runnerscope_jobs_running", kind="github", runner="killed-runner") == 0
    assert m.value("runnerscope_job_start_time_seconds", kind="github",
                   runner="killed-runner") is None


def test_daemonized_grandchild_stays_in_the_job(daemon, runners, workdir):
    d = daemon()
    r = runners("daemon-runner").start()
    pidfile = os.path.join(workdir, "grandchild.pid")
    # setsid + background + exec: the grandchild leaves the Worker's session and is reparented
    r.submit("bg", f"step setsid sh -c 'echo $$ > {pidfile}; exec sleep 60' >/dev/null 2>&1 &",
             "sleep_ms 100", "exit 100")
    status, _ = r.result("bg")
    assert status == 100 << 8
    gpid = int(wait_for(lambda: os.path.exists(pidfile) and open(pidfile).read().strip(),
                        what="grandchild pid"))
    try:
        with open(f"/proc/{gpid}/stat") as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        worker = r.result("bg")[1]["pid"]
        assert ppid != worker, "grandchild was not reparented"

        def leftovers(n):
            m = d.scrape()
            return m if m.value("runnerscope_job_processes", kind="github",
                                runner="daemon-runner") == n else None
        m = wait_for(lambda: leftovers(1), what="the grandchild counted in the job")
        # the job ended with its Worker, though a process of it lives on
        assert finished(m, "daemon-runner", "success") == 1
        assert m.value("runnerscope_jobs_running", kind="github", runner="daemon-runner") == 0
        assert m.value("runnerscope_jobs_started_total", kind="github",
                       runner="daemon-runner") == 1
    finally:
        os.kill(gpid, signal.SIGKILL)
    wait_for(lambda: leftovers(0), what="the grandchild's exit")


def test_runner_and_job_running_before_start(daemon, runners, workdir):
    r = runners("early-bird").start()
    held = os.path.join(workdir, "held")
    r.submit("pre", rs.held_step(held), "exit 101")
    r.worker_pid("pre")
    listener_start = r.started_at
    time.sleep(0.3)
    d = daemon()
    m = d.scrape()
    assert m.value("runnerscope_runner_up", kind="github", runner="early-bird") == 1
    assert m.value("runnerscope_jobs_running", kind="github", runner="early-bird") == 1
    assert abs(m.value("runnerscope_runner_start_time_seconds", kind="github",
                       runner="early-bird") - listener_start) < 0.05
    job_start = m.value("runnerscope_job_start_time_seconds", kind="github", runner="early-bird")
    rs.release(held)
    status, w = r.result("pre")
    assert status == 101 << 8
    # a job found running is dated by its process's start in /proc: the Worker's fork, which
    # comes right after its Listener read the clock (start_boot). /proc start times have
    # clock-tick resolution: still well within 50 ms
    ru = r.rusage("pre")
    boot_to_wall = time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)
    assert abs(job_start - (ru["start_boot"] + boot_to_wall)) < 0.05, (job_start, ru)
    m = wait_finished(d, "early-bird", 1)
    assert finished(m, "early-bird", "success_with_issues") == 1
    assert m.value("runnerscope_jobs_started_total", kind="github", runner="early-bird") == 1
    got = m.value("runnerscope_job_duration_seconds_sum", kind="github", runner="early-bird",
                  result="success_with_issues")
    # from that start to the Worker's exit: between the Worker's own span and its Listener's,
    # give or take a clock tick
    assert (w["end_boot"] - w["start_boot"] <= got <=
            ru["end_boot"] - ru["start_boot"] + 0.01), (got, w, ru)


def test_durations_match_measured(daemon, runners):
    d = daemon()
    plan = {"success": (100, 150), "failure": (102, 700), "cancelled": (103, 1600)}
    r = runners("timed").start()
    for result, (code, ms) in plan.items():
        r.submit(result, f"sleep_ms {ms}", f"exit {code}")
    measured = {}
    for result in plan:
        status, w = r.result(result)
        ru = r.rusage(result)
        # the Worker's own span (main() to just before exit) and its Listener's (fork to
        # reaping): the kernel's exec and exit lie between
        measured[result] = (w["end_boot"] - w["start_boot"], ru["end_boot"] - ru["start_boot"])
    m = wait_finished(d, "timed", len(plan))
    for result, (inner, outer) in measured.items():
        got = m.value("runnerscope_job_duration_seconds_sum", kind="github", runner="timed",
                      result=result)
        assert inner <= got <= outer, (result, got, inner, outer)
        # and close to the Worker's own account (under qemu's TCG, a process starts slower)
        assert got - inner < 0.05 * rs.TIMEOUT_SCALE, (result, got, inner)
        assert m.value("runnerscope_job_duration_seconds_count", kind="github", runner="timed",
                       result=result) == 1
    # 150 ms lands in le="1", 700 ms too, 1.6 s in le="5"
    assert m.value("runnerscope_job_duration_seconds_bucket", kind="github", runner="timed",
                   result="cancelled", le="1") == 0
    assert m.value("runnerscope_job_duration_seconds_bucket", kind="github", runner="timed",
                   result="cancelled", le="5") == 1
    assert m.value("runnerscope_job_duration_seconds_bucket", kind="github", runner="timed",
                   result="failure", le="1") == 1


@pytest.mark.slow
def test_exec_storm_makes_no_false_jobs(daemon, runners, workdir):
    d = daemon()
    r = runners("busy").start()
    before = d.scrape().value("runnerscope_bpf_events_total", event="job_start")
    # executables named like runner parts, started the wrong way: never a runner or a job
    decoy_w = os.path.join(workdir, "Runner.Worker")
    decoy_l = os.path.join(workdir, "Runner.Listener")
    for p in (decoy_w, decoy_l):
        with open(p, "w") as f:
            f.write("#!/bin/sh\nexit 0\n")
        os.chmod(p, 0o755)
    storm = subprocess.Popen(
        ["sh", "-c", f"seq 2000 | xargs -P 8 -n 1 sh -c 'exec /bin/true' &&"
                     f" {decoy_w} && {decoy_w} spawnclientX 1 2 && {decoy_l} configure &&"
                     f" {decoy_l} remove"])
    for i in range(5):
        r.submit(f"s{i}", "step true", "exit 100")
    assert storm.wait(120) == 0
    for i in range(5):
        r.result(f"s{i}")
    m = wait_finished(d, "busy", 5)
    assert m.value("runnerscope_jobs_started_total", kind="github", runner="busy") == 5
    assert finished(m, "busy", "success") == 5
    assert m.value("runnerscope_bpf_events_total", event="job_start") - before == 5
    assert [l["runner"] for l, _ in m.find("runnerscope_runner_up")] == ["busy"]
    assert m.value("runnerscope_bpf_events_lost_total", event="job_start") == 0


def test_runner_down_grace_then_gone(daemon, runners):
    d = daemon("--runner.grace-period=2s")
    r = runners("leaving").start()
    r.submit("one", "exit 100")
    r.result("one")
    wait_finished(d, "leaving", 1)
    r.stop()
    t0 = time.monotonic()
    m = wait_for(lambda: (lambda m: m if m.value("runnerscope_runner_up", kind="github",
                                                   runner="leaving") == 0 else None)(d.scrape()),
                 what="runner_up 0")
    assert finished(m, "leaving", "success") == 1
    wait_for(lambda: d.scrape().value("runnerscope_runner_up", kind="github",
                                      runner="leaving") is None, 10, what="series gone")
    assert time.monotonic() - t0 >= 1.5


def test_runner_names_fall_back(daemon, runners):
    d = daemon()
    # no .runner: RUNNER_NAME from the environment
    env = dict(os.environ, RUNNER_NAME="from-env")
    r1 = runners("", env=env).start()
    # neither: the hostname of the runner's own UTS namespace
    env2 = {k: v for k, v in os.environ.items() if k != "RUNNER_NAME"}
    r2 = runners("", env=env2,
                 wrap=["unshare", "--uts", "sh", "-c", 'hostname fake-host-7; exec "$@"', "sh"])
    r2.start()
    for r in (r1, r2):
        r.submit("n", "exit 100")
        r.result("n")
    m = wait_finished(d, "from-env", 1)
    m = wait_finished(d, "fake-host-7", 1)
    assert m.value("runnerscope_runner_up", kind="github", runner="from-env") == 1
    assert m.value("runnerscope_runner_up", kind="github", runner="fake-host-7") == 1


def test_self_updated_bin_dir(daemon, runners):
    d = daemon()
    r = runners("updated", bin_dir="bin.2.321.0").start()
    r.submit("u", "exit 100")
    r.result("u")
    m = wait_finished(d, "updated", 1)
    info = m.find("runnerscope_runner_info", runner="updated")
    assert info and info[0][0]["version"] == "2.321.0"


def test_version_from_deps_json_of_a_runner_never_updated(daemon, runners):
    """bin/ (not bin.<version>): the version its Runner.Listener.deps.json was built as"""
    r = runners("pristine")
    with open(os.path.join(r.root, "bin", "Runner.Listener.deps.json"), "w") as f:
        json.dump({"targets": {".NETCoreApp,Version=v8.0/linux-x64": {
            "Runner.Listener/2.329.0": {"dependencies": {"Runner.Common": "2.329.0"}}}},
            "libraries": {"Runner.Listener/2.329.0": {"type": "project"}}}, f)
    d = daemon()
    r.start()
    r.submit("p", "exit 100")
    r.result("p")
    m = wait_finished(d, "pristine", 1)
    info = m.find("runnerscope_runner_info", runner="pristine")
    assert info and info[0][0]["version"] == "2.329.0", info


def test_raw_tp_fallback_counts_the_same(daemon, runners):
    d = daemon("--bpf.attach=raw_tp")
    assert "attached via raw_tp" in d.read_log()
    r = runners("raw").start()
    r.submit("a", "step true", "exit 100")
    r.submit("b", "exit 102")
    r.result("b")
    m = wait_finished(d, "raw", 2)
    assert finished(m, "raw", "success") == 1
    assert finished(m, "raw", "failure") == 1


def test_odd_runner_names_are_escaped(daemon, runners, workdir):
    d = daemon()
    r = runners("placeholder")
    raw = b'\xef\xbb\xbf{"agentName": "we\\"ird\\\\na\\nme \xff\xfe end"}'
    with open(os.path.join(r.root, ".runner"), "wb") as f:
        f.write(raw)
    r.start()
    r.submit("o", "exit 100")
    r.result("o")
    name = 'we"ird\\na\nme \ufffd\ufffd end'
    m = wait_finished(d, name, 1)
    assert finished(m, name, "success") == 1
    line = [x for x in m.text.splitlines() if x.startswith("runnerscope_runner_up{")][0]
    assert line == 'runnerscope_runner_up{kind="github",runner="we\\"ird\\\\na\\nme \ufffd\ufffd end"} 1'
    path = os.path.join(workdir, "odd.prom")
    with open(path, "w") as f:
        f.write(m.text)
    out = subprocess.run(["promtool", "check", "metrics"], stdin=open(path), capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_lost_events_are_counted_and_no_job_is_lost(daemon, runners):
    """A stalled daemon with a one-page ring buffer: events are lost, counted, and every job
    is still counted exactly once from the kernel's records."""
    d = daemon("--bpf.ringbuf-size=4096")
    r = runners("stormy").start()
    r.submit("warm", "exit 100")
    r.result("warm")
    wait_finished(d, "stormy", 1)
    n = 400
    os.kill(d.proc.pid, signal.SIGSTOP)
    try:
        r.submit("storm", "exit 102", burst=n)
        assert r.result("storm", timeout=60)[0] == 102 << 8
        with open(os.path.join(r.results, "storm.listener")) as f:
            assert f"burst={n}" in f.read()
        # the agent goes too, unseen: its jobs must still be its own
        r.stop()
    finally:
        os.kill(d.proc.pid, signal.SIGCONT)
    wait_finished(d, "stormy", n + 1, timeout=20)
    # jobs and agent exits are taken in one pass, jobs first: wait for the exit too
    m = wait_for(lambda: (lambda m: m if m.value("runnerscope_runner_up", kind="github",
                                                   runner="stormy") == 0 else None)(d.scrape()),
                 what="the agent's exit")
    assert [l["runner"] for l, _ in m.find("runnerscope_runner_up")] == ["stormy"]
    lost = sum(m.value("runnerscope_bpf_events_lost_total", event=e)
               for e in ("job_start", "job_exit"))
    assert lost > 0, "a one-page ring buffer held 800 events: the test proves nothing"
    assert m.value("runnerscope_jobs_started_total", kind="github", runner="stormy") == n + 1
    assert finished(m, "stormy", "failure") == n
    assert finished(m, "stormy", "success") == 1
    assert m.value("runnerscope_jobs_running", kind="github", runner="stormy") == 0
    assert m.value("runnerscope_job_duration_seconds_count", kind="github", runner="stormy",
                   result="failure") == n
