"""What a fleet's operator asks after "is it up": how busy each runner is against what it may
run, how much its jobs read and wrote to storage, and why the jobs that failed did. Each figure
against a truth measured outside runnerscope: the Listener's clock around each Worker, the
bytes a step wrote with O_DIRECT or fsync, the exit each scenario really produced."""
import json
import os
import time

import pytest

import rs
from rs import wait_for

MiB = 2**20


def boot_now():
    return time.clock_gettime(time.CLOCK_BOOTTIME)


def busy(m, runner, kind="github"):
    return m.value("runnerscope_runner_busy_seconds_total", kind=kind, runner=runner)


def job_spans(r, name):
    """a finished job's time (CLOCK_BOOTTIME seconds) as its Listener saw it (fork to reaping)
    and as its Worker did (first thing in main() to just before exit): the kernel's exec and
    exit of the Worker lie between the two"""
    ru = r.rusage(name)
    _, w = r.result(name)
    return ru["end_boot"] - ru["start_boot"], w["end_boot"] - w["start_boot"]


def settled(d, runner, started):
    return rs.jobs_settled(d, runner, started=started, timeout=20)


def test_busy_seconds_are_the_jobs_times_and_grow_while_one_runs(daemon, runners, workdir):
    d = daemon()
    r = runners("busy-exact").start()
    wait_for(lambda: d.scrape().find("runnerscope_runner_up", kind="github",
                                     runner="busy-exact"), 10, what="the runner")
    assert busy(d.scrape(), "busy-exact") == 0
    assert d.scrape().value("runnerscope_runner_capacity", kind="github",
                            runner="busy-exact") == 1
    held = os.path.join(workdir, "held")
    r.submit("a", rs.held_step(held), "exit 100")
    wpid = r.worker_pid("a")
    rs.jobs_running(d, "busy-exact", kind="github", timeout=10)
    # while it runs: the time since the Worker's start (its /proc start time, in clock ticks)
    with open(f"/proc/{wpid}/stat") as f:
        started = int(f.read().rsplit(")", 1)[1].split()[19]) / os.sysconf("SC_CLK_TCK")
    seen = []
    for _ in range(3):
        wait_for(lambda: boot_now() - started > 0.3 * (len(seen) + 1), 10, what="time")
        m = d.scrape(rs.FRESH)
        now = boot_now()
        got = busy(m, "busy-exact")
        # clock ticks are 10 ms; the Worker's exec comes a little after its fork
        assert now - started - 0.05 <= got <= now - started + 0.02, (got, now - started)
        seen.append(got)
    assert seen[0] < seen[1] < seen[2], seen
    rs.release(held)
    # then two more, back to back; the gaps between jobs are not busy
    r.submit("b", "step sleep 0.3", "exit 100")
    r.submit("c", "step sleep 0.5", "exit 102")
    spans = [job_spans(r, n) for n in ("a", "b", "c")]
    m = settled(d, "busy-exact", 3)
    outer, inner = sum(s[0] for s in spans), sum(s[1] for s in spans)
    got = busy(m, "busy-exact")
    print(f"agreement: busy {got:.4f} s; the 3 jobs as the Workers saw them {inner:.4f} s, "
          f"as the Listener did {outer:.4f} s")
    # within 50 ms a job of the Workers' own account, and never outside the Listener's
    assert inner <= got <= min(outer, inner + 3 * 0.05), (got, spans)
    # nothing grows while the runner is idle
    time.sleep(0.3)
    assert busy(d.scrape(rs.FRESH), "busy-exact") == got


def test_overlapping_jobs_count_once(daemon, runners, workdir):
    """Two Workers at once (the fake Listener's burst), one 0.4 s, the other 0.8 s: the
    runner's busy time is their union, not their sum."""
    d = daemon()
    r = runners("busy-overlap").start()
    lock = os.path.join(workdir, "first")
    t0 = boot_now()
    r.submit("pair", f"step if mkdir {lock} 2>/dev/null; then sleep 0.4; else sleep 0.8; fi",
             "exit 100", burst=2)
    r.result("pair")
    t1 = boot_now()
    m = settled(d, "busy-overlap", 2)
    got = busy(m, "busy-overlap")
    durs = m.value("runnerscope_job_duration_seconds_sum", kind="github", runner="busy-overlap",
                   result="success")
    print(f"agreement: busy {got:.4f} s for two jobs of {durs:.4f} s together, "
          f"wall {t1 - t0:.4f} s")
    assert durs >= 1.2, durs
    # the longer job's time, within the wall time the test saw; not the two added
    assert 0.8 <= got <= t1 - t0, (got, t1 - t0)
    assert got <= durs - 0.35, (got, durs)


def test_capacity_from_each_runners_configuration(daemon, agents, cgroups):
    d = daemon()
    runner_file = json.dumps({"id": 4, "uuid": "c0ffee", "name": "gitea-cap", "token": "x"})
    agents("act_runner", "daemon", args=("-c", "config.yaml"),
           files={".runner": runner_file,
                  "config.yaml": "log:\n  level: info\nrunner:\n  file: .runner\n"
                                 "  capacity: 3\n  timeout: 3h\ncache:\n  capacity: 9\n"},
           cgroup=cgroups("rs-test-gitea-cap"))
    agents("gitlab-runner", "run", args=("--config", "config.toml"),
           files={"config.toml": 'concurrent = 4\ncheck_interval = 0\n\n[[runners]]\n'
                                 '  name = "gl-cap"\n  limit = 2\n  executor = "shell"\n'},
           cgroup=cgroups("rs-test-gl-cap"))
    agents("buildkite-agent", "start", args=("--spawn=3",),
           env={"BUILDKITE_AGENT_NAME": "bk-cap"}, cgroup=cgroups("rs-test-bk-cap"))
    want = {("gitea", "gitea-cap"): 3, ("gitlab", "gl-cap"): 2, ("buildkite", "bk-cap"): 3}

    def got():
        m = d.scrape()
        return {k: m.value("runnerscope_runner_capacity", kind=k[0], runner=k[1])
                for k in want if m.find("runnerscope_runner_capacity", kind=k[0], runner=k[1])}
    wait_for(lambda: got() == want, 15, what=f"capacities {want}")


def block_backed_dir(workdir):
    """a directory whose writes reach a block device (not tmpfs): where the I/O test writes"""
    for d in (workdir, "/var/tmp"):
        with open("/proc/self/mountinfo") as f:
            mounts = [line.split() for line in f]
        best = max((m for m in mounts if os.path.realpath(d).startswith(m[4])),
                   key=lambda m: len(m[4]))
        fstype = best[best.index("-") + 1]
        if fstype not in ("tmpfs", "ramfs", "overlay", "9p", "virtiofs"):
            return d
    pytest.fail("no block-backed directory for the I/O test (workdir and /var/tmp are not)")


def io(m, runner, direction):
    return m.value("runnerscope_job_io_bytes_total", kind="github", runner=runner,
                   direction=direction)


def test_job_io_bytes_direct_and_fsync(daemon, runners, workdir):
    where = block_backed_dir(workdir)
    out = os.path.join(workdir, "events.jsonl")
    d = daemon(f"--events.file={out}")
    r = runners("io-writer").start()
    f1, f2 = os.path.join(where, "rs-io-1"), os.path.join(where, "rs-io-2")
    try:
        # 64 MiB written with O_DIRECT, read back with O_DIRECT: each a finished process's
        r.submit("direct", f"step dd if=/dev/zero of={f1} bs=1M count=64 oflag=direct "
                           f"2>/dev/null",
                 f"step dd if={f1} of=/dev/null bs=1M iflag=direct 2>/dev/null", "exit 100")
        r.result("direct")
        m = settled(d, "io-writer", 1)
        w, rd = io(m, "io-writer", "write"), io(m, "io-writer", "read")
        print(f"agreement: O_DIRECT 64 MiB: write {w / MiB:.3f} MiB, read {rd / MiB:.3f} MiB")
        assert 64 * MiB <= w <= 1.05 * 64 * MiB, w
        assert 64 * MiB <= rd <= 1.05 * 64 * MiB, rd
        # 32 MiB written and fsync'd by a process that is still running: counted live
        held = os.path.join(workdir, "held")
        os.mkfifo(held)
        prog = (f"import os; f = open('{f2}', 'wb'); f.write(bytes(32 << 20)); f.flush(); "
                f"os.fsync(f.fileno()); open('{held}').read()")
        r.submit("fsync", f'step /usr/bin/python3 -c "{prog}"', "exit 100")

        def live():
            m = d.scrape(rs.FRESH)
            return m if io(m, "io-writer", "write") - w >= 32 * MiB else None
        m = wait_for(live, 20, what="the running job's 32 MiB")
        assert m.value("runnerscope_jobs_running", kind="github", runner="io-writer") == 1
        assert io(m, "io-writer", "write") - w <= 1.05 * 32 * MiB, io(m, "io-writer", "write")
        rs.release(held)
        r.result("fsync")
        m = settled(d, "io-writer", 2)
        w2 = io(m, "io-writer", "write") - w
        print(f"agreement: fsync 32 MiB: write {w2 / MiB:.3f} MiB")
        assert 32 * MiB <= w2 <= 1.05 * 32 * MiB, w2
        with open(out) as f:
            fin = [json.loads(line) for line in f if '"job_finished"' in line]
        assert len(fin) == 2, fin
        assert 64 * MiB <= fin[0]["io_write_bytes"] <= 1.05 * 64 * MiB, fin[0]
        assert 64 * MiB <= fin[0]["io_read_bytes"] <= 1.05 * 64 * MiB, fin[0]
        assert 32 * MiB <= fin[1]["io_write_bytes"] <= 1.05 * 32 * MiB, fin[1]
    finally:
        for f in (f1, f2):
            if os.path.exists(f):
                os.unlink(f)


REASONS = ("oom_killed", "killed", "crashed", "step_failed", "cancelled", "runner_reported",
           "disk_full")


def reasons(m, kind, runner):
    return {x: m.value("runnerscope_job_failures_total", kind=kind, runner=runner, reason=x)
            for x in REASONS}


def test_each_failure_reason_from_a_real_scenario(daemon, runners, agents, cgroups, workdir):
    out = os.path.join(workdir, "events.jsonl")
    d = daemon(f"--events.file={out}")
    # a GitHub runner in a 64 MiB memory cgroup without swap
    cg = cgroups(f"system.slice/docker-{rs.fake_container_id()}.scope")
    cg.limit_memory(64 * MiB)
    for knob in ("memory.swap.max", "memory.memsw.limit_in_bytes"):
        path = os.path.join(cg.dir_of("memory"), knob)
        if os.path.exists(path):
            with open(path, "w") as f:
                f.write(str(64 * MiB) if knob.startswith("memory.memsw") else "0")
    r = runners("why-gh", cgroup=cg).start()
    r.submit("ok", "step true", "exit 100")
    r.submit("reported", "step true", "exit 102")
    r.submit("cancel", "step true", "exit 103")
    r.submit("crash", "step true", "exit 1")
    # a step the OOM killer takes; the Worker reports the failure itself
    r.submit("oom", "step x=a; while true; do x=$x$x; done", "exit 102")
    for n in ("ok", "reported", "cancel", "crash", "oom"):
        r.result(n, timeout=120)
    held = os.path.join(workdir, "held")
    r.submit("kill", rs.held_step(held), "exit 100")
    os.kill(r.worker_pid("kill"), 9)
    r.result("kill")
    # a Buildkite job whose command fails, and one the agent cancels (SIGTERM)
    a = agents("buildkite-agent", "start", env={"BUILDKITE_AGENT_NAME": "why-bk"},
               cgroup=cgroups("rs-test-why-bk"))
    for last in ("exit 1", "signal 15"):
        a.result(a.submit("env BUILDKITE_JOB_ID=0190-why", "bootstrap", "bstep /bin/true",
                          last))
    want_gh = dict.fromkeys(REASONS, 0)
    want_gh.update(oom_killed=1, killed=1, crashed=1, cancelled=1, runner_reported=1)
    want_bk = dict.fromkeys(REASONS, 0)
    want_bk.update(step_failed=1, cancelled=1)
    m = wait_for(lambda: (lambda m: m if reasons(m, "github", "why-gh") == want_gh and
                          reasons(m, "buildkite", "why-bk") == want_bk else None)(d.scrape()),
                 30, what="every reason once")
    assert m.value("runnerscope_jobs_finished_total", kind="github", runner="why-gh",
                   result="success") == 1
    with open(out) as f:
        fin = {(e["runner"], e["pid"]): e for e in map(json.loads, f)
               if e["event"] == "job_finished"}
    got = sorted((e["runner"], e["result"], e["reason"]) for e in fin.values())
    assert got == sorted([
        ("why-gh", "success", None), ("why-gh", "failure", "runner_reported"),
        ("why-gh", "cancelled", "cancelled"), ("why-gh", "failure", "crashed"),
        ("why-gh", "failure", "oom_killed"), ("why-gh", "failure", "killed"),
        ("why-bk", "failure", "step_failed"), ("why-bk", "cancelled", "cancelled")]), got
