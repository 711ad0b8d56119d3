"""The status page across a restart of runnerscope: its timeline and last finished jobs are
read back from --events.file, and nothing in /metrics is counted again for them.

The daemon sees every job on the host: what the test holds against its runner's jobs only."""
import datetime
import json
import os

import rs
from rs import wait_for
from test_status_page import Page
from test_status_timeline import Timeline

RUNNER = "history-restart"
# run in this order (the fake Listener takes its spool in lexical order), one result each
JOBS = {"a-ok": 100, "b-issues": 101, "c-bad": 102, "d-gone": 103}
RESULTS = {100: "success", 101: "success_with_issues", 102: "failure", 103: "cancelled"}
COUNTERS = ("runnerscope_jobs_started_total", "runnerscope_jobs_finished_total",
            "runnerscope_job_duration_seconds_count", "runnerscope_job_duration_seconds_sum",
            "runnerscope_job_max_rss_bytes_count", "runnerscope_job_failures_total")


def parse(data):
    return [json.loads(l) for l in data.decode().splitlines() if l.startswith("{")]


def read(path):
    with open(path, "rb") as f:
        return f.read()


def ours(lines, event):
    return [e for e in lines if e["event"] == event and e["runner"] == RUNNER]


def page_name(e):
    """The job as the page names it, from its job_finished line."""
    parts = [e[k] for k in ("repository", "workflow", "job") if e[k]]
    return " · ".join(parts) if parts else f"pid {e['pid']}"


def counters(m):
    return {(name, tuple(sorted(labels.items()))): v for name in COUNTERS
            for labels, v in m.find(name, runner=RUNNER)}


def wall(ts):
    return datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))


def check_page(d, want):
    """The page at / (HTML: the last finished jobs and the timeline; text: the same table)
    against want, the runner's job_finished lines, the newest last."""
    status, body, _ = d.get("/", headers={"Accept": "text/html"})
    assert status == 200
    html = body.decode()
    rows = [r for r in Page(html).tables["Last finished jobs"] if r[0] == RUNNER]
    # newest first: the job and its result
    assert [(r[1], r[2]) for r in rows] == \
        [(page_name(e), e["result"]) for e in reversed(want)], rows
    bars = [b for b in Timeline(html).rows.get(RUNNER, []) if b[0] != "running"]
    assert [b[0] for b in bars] == [e["result"] for e in want], bars
    for b, e in zip(bars, want):
        name, facts = b[1].split("\n", 1)
        assert name == page_name(e), (b, e)
        # at the wall time the log gives: "<result>, HH:MM:SS–HH:MM:SS UTC, …"
        shown = facts.split(", ")[1].split("–")[0]
        start = wall(e["start_time"])
        assert any((start + datetime.timedelta(seconds=s)).strftime("%H:%M:%S") == shown
                   for s in (-1, 0, 1)), (shown, e["start_time"])
    status, body, _ = d.get("/", headers={"Accept": "text/plain"})
    text = body.decode()
    table = [l for l in text.split("LAST FINISHED JOBS\n", 1)[1].splitlines()
             if l.split()[:1] == [RUNNER]]
    assert len(table) == len(want), text
    for line, e in zip(table, reversed(want)):
        assert f" {e['result']} " in line, (line, e)


def test_a_restart_keeps_the_jobs_on_the_status_page(daemon, runners, workdir):
    events = os.path.join(workdir, "events.jsonl")
    d1 = daemon(f"--events.file={events}", cleanup=False)
    r = runners(RUNNER).start()
    for name, code in JOBS.items():
        r.submit(name, f"env GITHUB_REPOSITORY=octo/{name}", "step sleep 0.3", f"exit {code}")
    for name in JOBS:
        r.result(name)
    # a job running while runnerscope restarts, which ends after it
    held = os.path.join(workdir, "held")
    r.submit("e-across", "env GITHUB_REPOSITORY=octo/e-across", rs.held_step(held), "exit 100")
    across = r.worker_pid("e-across")

    def logged():
        lines = parse(read(events)) if os.path.exists(events) else []
        return len(ours(lines, "job_started")) == 5 and len(ours(lines, "job_finished")) == 4
    wait_for(logged, 20, what="4 jobs finished and one started in the event log")
    m1 = wait_for(lambda: (lambda m: m if m.value("runnerscope_jobs_running", runner=RUNNER) == 1
                           and sum(v for _, v in m.find("runnerscope_jobs_finished_total",
                                                         runner=RUNNER)) == 4 else None)(
        d1.scrape()), 15, what="the jobs in /metrics")
    want = sorted(ours(parse(read(events)), "job_finished"), key=lambda e: e["end_time"])
    assert [e["result"] for e in want] == [RESULTS[c] for c in JOBS.values()]
    check_page(d1, want)
    d1.stop()  # SIGTERM: the programs and the pinned counters stay

    # a line the event log never wrote: warned about, the rest still read
    with open(events, "a") as f:
        f.write("not a line of the event log\n")
    before = read(events)
    written = len([e for e in parse(before) if e["event"] == "job_finished"])
    d2 = daemon(f"--events.file={events}", pin_path=d1.pin_path, cleanup=False)
    said = [l for l in d2.read_log().splitlines() if "event log" in l]
    assert any(f"read back {written} finished jobs from the event log" in l for l in said), said
    warns = [l for l in said if "level=warn" in l]
    assert len(warns) == 1 and "1 line not read back" in warns[0] and "not JSON" in warns[0], \
        warns

    # the first page of the new daemon has the jobs from before, with their results
    check_page(d2, want)
    m2 = d2.scrape()
    assert counters(m2) == counters(m1)
    assert m2.value("runnerscope_jobs_running", runner=RUNNER) == 1

    # the job that ran across the restart ends under the new daemon: shown once
    rs.release(held)
    r.result("e-across")
    m3 = wait_for(lambda: (lambda m: m if m.value("runnerscope_jobs_finished_total",
                                                  runner=RUNNER, result="success") == 2
                           else None)(d2.scrape()), 15, what="the held job finished")
    after = wait_for(lambda: (lambda a: a if ours(parse(a[len(before):]), "job_finished")
                              else None)(read(events)), 10, what="the held job's line")
    # the log only grew, by no job it had already: the held job's line, and any other runner's
    # jobs that finished meanwhile
    assert after.startswith(before)
    old = {(e["runner"], e["pid"], e["start_time"]) for e in parse(before)
           if e["event"] == "job_finished"}
    new = [e for e in parse(after[len(before):]) if e["event"] == "job_finished"]
    assert not [e for e in new if (e["runner"], e["pid"], e["start_time"]) in old], new
    assert [e["pid"] for e in ours(new, "job_finished")] == [across]
    check_page(d2, want + ours(new, "job_finished"))
    assert m3.value("runnerscope_jobs_started_total", runner=RUNNER) == 5
