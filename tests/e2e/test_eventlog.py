"""The job event log: one job_started and one job_finished JSON line per job."""
import json
import os
import signal

import rs
from rs import wait_for

WORKFLOW = 'Build "all" \\ the\tthings \u00fc'


def read_lines(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data == b"" or data.endswith(b"\n"), "a line was left unfinished"
    return [json.loads(line.decode("utf-8")) for line in data.splitlines()]


def by_job(lines):
    out = {}
    for e in lines:
        out.setdefault(e["pid"], []).append(e)
    return out


def wait_lines(path, n):
    return wait_for(lambda: os.path.exists(path) and len(read_lines(path)) >= n and
                    read_lines(path), 15, what=f"{n} event log lines")


def test_one_started_and_one_finished_line_per_job(daemon, runners, workdir):
    path = os.path.join(workdir, "events.jsonl")
    d = daemon(f"--events.file={path}")
    r = runners("logged").start()
    r.submit("ctx", "env GITHUB_REPOSITORY=octo/widgets",
             f"env GITHUB_WORKFLOW={WORKFLOW}", "env GITHUB_JOB=unit-tests",
             "env GITHUB_RUN_ID=9001", "env GITHUB_RUN_ATTEMPT=2",
             "step true", "step sleep 0.3", "exit 102")
    r.submit("bare", "exit 100")  # no step: no context to read
    r.submit("killed", "step true", "sleep_ms 20000", "exit 100")
    pid = r.worker_pid("killed")
    wait_lines(path, 5)
    os.kill(pid, signal.SIGKILL)
    _, w = r.result("ctx")
    lines = wait_lines(path, 6)
    assert len(lines) == 6, lines
    jobs = by_job(lines)
    assert len(jobs) == 3
    for events in jobs.values():
        assert [e["event"] for e in events] == ["job_started", "job_finished"], events
        assert all(e["kind"] == "github" and e["runner"] == "logged" for e in events)

    ctx = jobs[int(w["pid"])]
    for e in ctx:
        assert e["repository"] == "octo/widgets"
        assert e["workflow"] == WORKFLOW
        assert e["job"] == "unit-tests"
        assert e["run_id"] == "9001" and e["run_attempt"] == "2"
        assert e["tracking_id"].startswith("github_")
    fin = ctx[1]
    assert fin["result"] == "failure" and fin["exit_code"] == 102 and fin["signal"] is None
    assert abs(fin["duration_seconds"] - (w["end"] - w["start"])) < 0.05
    assert fin["processes"] >= 3  # the Worker and its two steps (dash may fork more)
    assert fin["oom_kills"] == 0 and fin["max_rss_bytes"] > 0
    assert fin["cpu_user_seconds"] >= 0 and fin["cpu_system_seconds"] >= 0

    killed = jobs[pid][1]
    assert killed["result"] == "failure" and killed["reason"] == "killed"
    assert killed["signal"] == 9 and killed["exit_code"] is None
    bare = [e for p, e in jobs.items() if p not in (pid, int(w["pid"]))][0]
    assert bare[1]["result"] == "success" and bare[1]["repository"] is None
    m = d.scrape()
    assert m.value("runnerscope_event_log_lines_total") == 6
    assert m.value("runnerscope_event_log_errors_total") == 0


def test_odd_bytes_in_context_stay_valid_json(daemon, runners, workdir):
    path = os.path.join(workdir, "events.jsonl")
    daemon(f"--events.file={path}")
    r = runners("odd-ctx").start()
    spool = os.path.join(r.spool, "odd.job")
    # the step lives long enough for its environment to be read from /proc
    with open(spool + ".tmp", "wb") as f:
        f.write(b"name odd\nenv GITHUB_REPOSITORY=a/b\x01c\xff\xfed\nenv GITHUB_WORKFLOW="
                + b"w" * 5000 + b"\nstep sleep 0.3\nexit 100\n")
    os.rename(spool + ".tmp", spool)
    r.result("odd")
    lines = wait_lines(path, 2)
    assert lines[0]["repository"] == "a/b\x01c\ufffd\ufffdd"
    assert len(lines[0]["workflow"].encode()) == 255  # cut to the label limit


def test_stdout_event_log(daemon, runners, workdir):
    out = os.path.join(workdir, "stdout")
    daemon("--events.file=-", stdout_path=out)
    r = runners("to-stdout").start()
    r.submit("s", "exit 100")
    r.result("s")
    lines = wait_lines(out, 2)
    assert [e["event"] for e in lines] == ["job_started", "job_finished"]


def test_failed_writes_are_counted_not_fatal(daemon, runners):
    d = daemon("--events.file=/dev/full")
    r = runners("full-disk").start()
    for i in range(3):
        r.submit(f"f{i}", "exit 100")
    for i in range(3):
        r.result(f"f{i}")
    m = wait_for(lambda: (lambda m: m if m.value("runnerscope_event_log_errors_total") == 6
                          else None)(d.scrape()), what="6 failed writes counted")
    assert m.value("runnerscope_event_log_lines_total") == 0
    assert m.value("runnerscope_jobs_finished_total", kind="github", runner="full-disk",
                   result="success") == 3
    warns = [l for l in d.read_log().splitlines() if "failed to write the event log" in l]
    assert len(warns) == 1, warns  # said once, not once per line
    assert "No space left on device" in warns[0]


def test_unwritable_events_file_is_a_clear_start_up_error(workdir):
    import subprocess
    out = subprocess.run([rs.DAEMON, f"--events.file={workdir}/no/such/dir/x.jsonl",
                          f"--web.listen-address=127.0.0.1:{rs.free_port()}"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1
    errs = [l for l in out.stderr.splitlines() if "level=error" in l]
    assert len(errs) == 1 and "cannot open --events.file" in errs[0], out.stderr


def test_a_job_whose_only_step_lives_a_millisecond_has_its_context(daemon, runners, workdir):
    """Fifty jobs in a row whose one step is `sh -c true`, over before the daemon could read
    its /proc: the kernel sends the step's environment with its exec, so every job_finished
    has its repository and workflow; a job with no step at all has none, and is counted."""
    n = 50
    path = os.path.join(workdir, "events.jsonl")
    d = daemon(f"--events.file={path}")
    r = runners("short-steps").start()
    for i in range(n):
        # the Worker goes on without exec'ing anything more: the step's exec is the only hint
        r.submit(f"j{i:02d}", "step true", "sleep_ms 20", "exit 100")
    r.submit("zz-bare", "exit 100")
    r.result("zz-bare", 60 + n)
    fins = [e for e in wait_lines(path, 2 * (n + 1)) if e["event"] == "job_finished"]
    assert len(fins) == n + 1
    with_step = [e for e in fins if e["processes"] > 1]
    assert len(with_step) == n, [e["processes"] for e in fins]
    missing = [e for e in with_step
               if e["repository"] != "owner/repo" or e["workflow"] != "ci" or e["job"] != "build"]
    assert not missing, missing
    bare = [e for e in fins if e["processes"] == 1]
    assert len(bare) == 1 and bare[0]["repository"] is None, bare
    wait_for(lambda: d.scrape().value("runnerscope_job_context_missing_total", kind="github",
                                      runner="short-steps") == 1, 15,
             what="the job with no context counted")
