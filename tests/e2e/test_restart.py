"""Restarts of runnerscope: the pinned programs keep tracking while it is away, the pinned maps
keep every count, and nothing is lost or counted twice, whether it stopped on SIGTERM or was
killed with SIGKILL."""
import collections
import datetime
import json
import os
import random
import subprocess
import time

import pytest

import rs
from rs import wait_for

RESULTS = ["success", "success_with_issues", "failure", "cancelled", "skipped", "abandoned"]
EXIT_RESULT = {100: "success", 101: "success_with_issues", 102: "failure", 103: "cancelled",
               104: "skipped", 105: "abandoned", 1: "failure"}
COUNTER_SUFFIXES = ("_total", "_bucket", "_count", "_sum")
# counters of the daemon process itself, and of the programs it loaded (a replacement or the
# daemon's own CPU iterator is a new program): they start again at zero, as Prometheus expects
PER_PROCESS = ("process_", "runnerscope_event_log_", "runnerscope_http_",
               "runnerscope_scrape_", "runnerscope_bpf_program_")


class Monotonic:
    """Every scrape: no counter sample below what an earlier scrape showed."""

    def __init__(self):
        self.last = {}
        self.scrapes = 0

    def check(self, m):
        self.scrapes += 1
        for name, samples in m.samples.items():
            if not name.endswith(COUNTER_SUFFIXES) or name.startswith(PER_PROCESS):
                continue
            for labels, v in samples:
                k = (name, tuple(sorted(labels.items())))
                prev = self.last.get(k)
                assert prev is None or v >= prev, f"{name}{labels} went from {prev} to {v}"
                self.last[k] = v
        return m


def bpftool(*args):
    out = subprocess.run(["bpftool", *args], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout


def our_programs():
    progs = json.loads(bpftool("-j", "prog", "show"))
    return [p for p in progs if p.get("name", "").endswith(("handle_exec", "handle_fork",
                                                            "handle_exit", "mark_victim"))]


@pytest.mark.slow
def test_thirty_restarts_lose_and_repeat_nothing(workdir, runners):
    pin = f"/sys/fs/bpf/rs-test-restart-{os.getpid()}"
    port = rs.free_port()
    events = os.path.join(workdir, "events.jsonl")
    rr = {n: runners(n).start() for n in ("standard", "chrome", "chrome-go")}
    jobs = []  # (runner, job name, exit code)
    spanning = []  # jobs running while runnerscope restarted under them
    mono = Monotonic()
    rnd = random.Random(4)
    daemons = []
    down_jobs = 0

    def start():
        d = rs.Daemon(workdir, [f"--events.file={events}"], pin_path=pin, cleanup=False,
                      port=port).start()
        daemons.append(d)
        return d

    def submit(runner, code, *steps):
        name = f"j{len(jobs):03d}"
        rr[runner].submit(name, *(steps or ("step true",)), f"exit {code}")
        jobs.append((runner, name, code))
        return name

    try:
        d = start()
        for i in range(30):
            for n in rr:
                submit(n, rnd.choice(list(EXIT_RESULT)))
            if i % 5 == 0:
                spanning.append(submit("standard", 100 + i % 6, "step sleep 1.2"))
                rr["standard"].worker_pid(spanning[-1])
            mono.check(d.scrape())
            time.sleep(rnd.uniform(0, 0.3))
            if i % 2:
                d.kill()
            else:
                d.stop()
            if i % 3 == 0:
                # down for a while: jobs start and finish with no daemon reading anything
                names = [submit(n, rnd.choice(list(EXIT_RESULT))) for n in rr]
                down_jobs += len(names)
                for n, name in zip(rr, names):
                    rr[n].result(name, timeout=30)
                time.sleep(1)
            d = start()
            mono.check(d.scrape())

        truth = {n: collections.Counter() for n in rr}
        for n, name, code in jobs:
            status, _ = rr[n].result(name, timeout=60)
            assert status == code << 8, (name, status)
            truth[n][EXIT_RESULT[code]] += 1

        def settled():
            m = mono.check(d.scrape())
            done = all(sum(m.value("runnerscope_jobs_finished_total", kind="github", runner=n,
                                   result=r) or 0 for r in RESULTS) >= sum(truth[n].values())
                       for n in rr)
            return m if done else None
        m = wait_for(settled, 20, what="every job finished in /metrics")
        time.sleep(1.5)  # a pass or two more: nothing may be added twice late
        m = mono.check(d.scrape())

        for n in rr:
            want = truth[n]
            assert m.value("runnerscope_jobs_started_total", kind="github",
                           runner=n) == sum(want.values()), n
            assert m.value("runnerscope_jobs_running", kind="github", runner=n) == 0, n
            assert m.value("runnerscope_runner_up", kind="github", runner=n) == 1, n
            for r in RESULTS:
                got = m.value("runnerscope_jobs_finished_total", kind="github", runner=n, result=r)
                assert got == want.get(r, 0), (n, r, got, want)
                count = m.value("runnerscope_job_duration_seconds_count", kind="github",
                                runner=n, result=r)
                assert (count or 0) == want.get(r, 0), (n, r, count)
            assert m.value("runnerscope_job_max_rss_bytes_count", kind="github",
                           runner=n) == sum(want.values()), n

        # durations against the Workers' own clocks: the total per runner and result
        for n in rr:
            for r in RESULTS:
                truth_sum = 0.0
                for rn, name, code in jobs:
                    if rn == n and EXIT_RESULT[code] == r:
                        _, w = rr[n].result(name)
                        truth_sum += w["end"] - w["start"] if w else 0
                got = m.value("runnerscope_job_duration_seconds_sum", kind="github", runner=n,
                              result=r) or 0.0
                count = sum(1 for rn, _, c in jobs if rn == n and EXIT_RESULT[c] == r)
                assert abs(got - truth_sum) < 0.02 * count + 0.01, (n, r, got, truth_sum)

        # the event log: every job finished, with its result; a job that ran across a restart
        # has the duration its Worker measured
        with open(events) as f:
            lines = [json.loads(l) for l in f]
        # a line may come twice (written, then the daemon killed before its commit): the same
        # job, whose start time each daemon converts to wall time itself, so to within a
        # millisecond
        finished = {}
        for e in lines:
            if e["event"] != "job_finished":
                continue
            start = datetime.datetime.fromisoformat(e["start_time"].replace("Z", "+00:00"))
            seen = finished.setdefault((e["runner"], e["pid"]), [])
            if not any(abs((start - t).total_seconds()) <= 0.002 for t, _ in seen):
                seen.append((start, e))
        assert sum(map(len, finished.values())) == len(jobs), \
            (sum(map(len, finished.values())), len(jobs))
        by_pid = {k: v[-1][1] for k, v in finished.items()}
        for name in spanning:
            pid = rr["standard"].worker_pid(name)
            code = next(c for _, jn, c in jobs if jn == name)
            e = by_pid[("standard", pid)]
            _, w = rr["standard"].result(name)
            assert e["result"] == EXIT_RESULT[code], e
            assert abs(e["duration_seconds"] - (w["end"] - w["start"])) < 0.05, (e, w)
            assert e["duration_seconds"] > 1.2
        print(f"restarts=30 jobs={len(jobs)} jobs_while_down={down_jobs} "
              f"spanning={len(spanning)} scrapes_checked={mono.scrapes}")
        assert mono.scrapes >= 60
    finally:
        for x in daemons:
            if x.proc.poll() is None:
                x.stop()
        subprocess.run([rs.DAEMON, "cleanup", f"--bpf.pin-path={pin}"], capture_output=True)


def link_prog_ids(pin):
    ids = []
    for name in ("link_exec", "link_fork", "link_exit", "link_oom", "link_cg_mkdir",
                 "link_cg_rmdir", "link_cg_attach", "link_cg_pop"):
        path = os.path.join(pin, name)
        if os.path.exists(path):
            ids.append(json.loads(bpftool("-j", "link", "show", "pinned", path))["prog_id"])
    return ids


def live_prog_ids():
    return {p["id"] for p in json.loads(bpftool("-j", "prog", "show"))}


def test_bpftool_shows_named_fields(daemon, runners, workdir):
    d = daemon()
    r = runners("dumped").start()
    held = os.path.join(workdir, "held")
    r.submit("a", rs.held_step(held), "exit 100")
    r.worker_pid("a")
    rs.jobs_running(d, "dumped", kind="github", timeout=10)
    for m, fields in {
        "jobs_map": ("runner", "tgid", "start_ns", "live_procs", "total_procs", "state"),
        "agents_map": ("end_ns", "exit_code", "kind", "state"),
        "runner_stats": ("jobs_started", "jobs_finished", "duration_buckets", "cpu_user_ns",
                         "last_job", "last_seen"),
        "job_acct": ("runner", "seen", "cpu_user_ns", "flags"),
        "procs_map": ("runner", "job", "kind"),
        "meta": ("layout", "gen", "build"),
    }.items():
        out = bpftool("map", "dump", "pinned", os.path.join(d.pin_path, m))
        for f in fields:
            assert f'"{f}"' in out, (m, f, out[:2000])
    # the runner's name is a string, not an array of bytes
    assert '"name": "dumped"' in bpftool("map", "dump", "pinned",
                                         os.path.join(d.pin_path, "runner_stats"))
    rs.release(held)
    r.result("a")


def test_cleanup_on_exit_leaves_nothing(daemon):
    d = daemon()
    ids = link_prog_ids(d.pin_path)
    assert len(ids) >= 3 and set(ids) <= live_prog_ids()
    d.stop()
    assert not os.path.exists(d.pin_path)
    wait_for(lambda: not set(ids) & live_prog_ids(), 10, what="programs gone")


def test_kept_programs_track_while_down_and_cleanup_command_removes_them(daemon, runners):
    d = daemon(cleanup=False)
    ids = link_prog_ids(d.pin_path)
    d.stop()  # SIGTERM: programs stay attached, maps pinned
    assert set(ids) <= live_prog_ids()
    assert sorted(os.listdir(d.pin_path)) == sorted(
        ["agent_acct", "agents_map", "cg_jobs", "cgroups_map", "ctr_acct", "ctr_bits",
         "ctr_counts", "ctx_map", "events_rb", "events_total", "inits_map", "job_acct", "jobs_map",
         "link_cg_attach", "link_cg_mkdir", "link_cg_pop", "link_cg_rmdir", "link_exec",
         "link_exit", "link_fork", "link_oom", "meta", "procs_bits", "procs_map",
         "rules_bloom", "rules_map", "runner_stats"])
    # a whole runner life while no daemon runs: the kernel keeps it
    r = runners("while-down").start()
    r.submit("a", "step true", "exit 101")
    r.result("a")
    jobs = json.loads(bpftool("-j", "map", "dump", "pinned", os.path.join(d.pin_path,
                                                                         "jobs_map")))
    assert any(e["formatted"]["value"]["state"] == 2
               and e["formatted"]["value"]["exit_code"] == 101 << 8
               for e in jobs), jobs
    out = subprocess.run([rs.DAEMON, "cleanup", f"--bpf.pin-path={d.pin_path}"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert "unpinned 27 maps and links" in out.stderr
    assert not os.path.exists(d.pin_path)
    wait_for(lambda: not set(ids) & live_prog_ids(), 10, what="programs gone")
    # nothing left: cleanup again is fine
    out = subprocess.run([rs.DAEMON, "cleanup", f"--bpf.pin-path={d.pin_path}"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and "nothing pinned" in out.stderr


def test_programs_replaced_by_another_build_hand_over(daemon, runners, workdir):
    """Other settings (here the ring buffer size and raw_tp) make other programs: they are
    swapped in over the same pinned maps, and the old ones go."""
    d = daemon(cleanup=False)
    r = runners("handover").start()
    held = os.path.join(workdir, "held")
    r.submit("a", rs.held_step(held), "exit 100")
    r.worker_pid("a")
    old = link_prog_ids(d.pin_path)
    d.kill()
    d2 = daemon("--bpf.ringbuf-size=65536", "--bpf.attach=raw_tp", pin_path=d.pin_path,
                port=d.port)
    assert "programs replaced (generation 1)" in d2.read_log()
    wait_for(lambda: not set(old) & live_prog_ids(), 10, what="old programs gone")
    rs.release(held)  # the job ends under the new programs
    r.result("a")
    r.submit("b", "step true", "exit 102")
    r.result("b")
    m = wait_for(lambda: (lambda m: m if m.value("runnerscope_jobs_finished_total",
                                                  kind="github", runner="handover",
                                                  result="failure") == 1 else None)(d2.scrape()),
                 10, what="job b")
    assert m.value("runnerscope_jobs_started_total", kind="github", runner="handover") == 2
    assert m.value("runnerscope_jobs_finished_total", kind="github", runner="handover",
                   result="success") == 1


def test_older_layout_is_migrated_or_reset_with_a_log_line(daemon, runners, workdir):
    pin = f"/sys/fs/bpf/rs-test-old-{os.getpid()}"
    subprocess.run([os.path.join(rs.FIXTURES, "old-layout"), pin], check=True)
    try:
        d = daemon(pin_path=pin)
        log = d.read_log()
        assert "is of another layout" in log
        assert ("pinned runner_stats migrated from another layout: 1 entries carried over, "
                "0 dropped; fields reset: duration_ns_sum,duration_buckets,oom_kills,"
                "max_rss_sum,max_rss_buckets,busy_ns,busy_until,io_read_bytes,io_write_bytes,"
                "failures,cpu_wait_ns,ctx_missing,cpu_throttled_ns,mem_stall_ns,stall_have,"
                "last_job,last_seen") in log
        assert "pinned jobs_map (another layout, no BTF to read it by) replaced" in log
        m = d.scrape()
        assert m.value("runnerscope_jobs_started_total", kind="github", runner="migrated") == 7
        for res, n in {"success": 3, "success_with_issues": 1, "failure": 2, "cancelled": 0,
                       "skipped": 0, "abandoned": 1}.items():
            assert m.value("runnerscope_jobs_finished_total", kind="github", runner="migrated",
                           result=res) == n
        assert m.value("runnerscope_job_cpu_seconds_total", kind="github", runner="migrated",
                       mode="user") == 5
        assert m.value("runnerscope_job_cpu_seconds_total", kind="github", runner="migrated",
                       mode="system") == 2
        assert m.value("runnerscope_bpf_events_lost_total", event="job_start") >= 5
        meta = json.loads(bpftool("-j", "map", "dump", "pinned", os.path.join(pin, "meta")))
        assert meta[0]["formatted"]["value"]["layout"] == 5  # RS_LAYOUT
        # and the new layout tracks
        r = runners("after-migration").start()
        r.submit("a", "step true", "exit 100")
        r.result("a")
        wait_for(lambda: d.scrape().value("runnerscope_jobs_finished_total", kind="github",
                                          runner="after-migration", result="success") == 1,
                 10, what="a job after the migration")
    finally:
        subprocess.run([rs.DAEMON, "cleanup", f"--bpf.pin-path={pin}"], capture_output=True)


def test_bpffs_is_mounted_when_missing(daemon, workdir):
    parent = os.path.join(workdir, "bpf")
    os.makedirs(parent)
    try:
        d = daemon(pin_path=os.path.join(parent, "runnerscope"))
        assert f"mounted bpffs on {parent}" in d.read_log()
        assert os.path.exists(os.path.join(parent, "runnerscope", "meta"))
        d.stop()
    finally:
        subprocess.run(["umount", parent])


def test_a_second_daemon_on_the_same_pins_waits_for_the_first(daemon, workdir):
    d = daemon(cleanup=False)
    second = rs.Daemon(workdir, pin_path=d.pin_path).launch()
    try:
        wait_for(lambda: "waiting for it to exit" in second.read_log(), 10,
                 what="the second daemon waiting")
        assert second.proc.poll() is None
        d.stop()
        wait_for(lambda: "its programs kept running" in second.read_log(), 15,
                 what="the second daemon adopting the pins")
    finally:
        second.stop()
        assert not os.path.exists(d.pin_path)
