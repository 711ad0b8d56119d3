"""The daemon under valgrind's memcheck through a kernel scenario: GitHub and Buildkite jobs of
several results, scrapes in both formats and gzipped, the status page, then SIGTERM. No invalid
access, no use of uninitialised memory and no leak (definite or indirect) may be reported."""
import os
import re
import signal

import rs
from rs import wait_for

SUPP = os.path.join(rs.REPO, "tests", "valgrind.supp")


def under_valgrind(workdir, *args, env=None):
    """a daemon started under memcheck; its report goes to valgrind.log"""
    d = rs.Daemon(workdir, args=["--web.timeout=30s", *args], env=env)
    d.args = ["valgrind", "--error-exitcode=99", "--leak-check=full",
              "--errors-for-leak-kinds=definite,indirect", "--show-leak-kinds=definite,indirect",
              f"--suppressions={SUPP}", f"--log-file={os.path.join(workdir, 'valgrind.log')}",
              *d.args]
    return d.start(timeout=180)  # loading and verifying under valgrind takes a while


def clean_report(d, workdir):
    """stops the daemon; its memcheck report must be clean"""
    d.proc.send_signal(signal.SIGTERM)
    rc = d.proc.wait(120)
    d.unpin()
    with open(os.path.join(workdir, "valgrind.log"), encoding="utf-8", errors="replace") as f:
        report = f.read()
    summary = re.search(r"ERROR SUMMARY: (\d+) errors", report)
    assert summary and summary.group(1) == "0" and rc == 0, report[-6000:]
    for kind in ("definitely", "indirectly"):
        lost = re.search(kind + r" lost: ([\d,]+) bytes", report)
        assert lost is None or lost.group(1) == "0", report[-6000:]


def test_fallback_under_valgrind(workdir):
    """tp_btf rejected: the verifier's log is read and printed, all of it initialised memory"""
    d = under_valgrind(workdir, "--bpf.attach=auto",
                       env={**os.environ, "RUNNERSCOPE_TEST_REJECT": "tp_btf"})
    try:
        assert "falling back to raw_tp" in d.read_log()
        assert d.scrape().find("runnerscope_bpf_attach_info")[0][0]["attach"] == "raw_tp"
    finally:
        clean_report(d, workdir)


def test_daemon_under_valgrind(runners, agents, cgroups, workdir):
    d = under_valgrind(workdir, f"--events.file={workdir}/ev.jsonl")
    try:
        # valgrind 3.19 has no openat2, so the .runner cannot be read under it: the name
        # comes from the next source
        r = runners("vg", env={**os.environ, "RUNNER_NAME": "vg"}).start()
        for name, code in (("a", 100), ("b", 102), ("c", 101)):
            r.submit(name, "step sleep 0.2", f"exit {code}")
        bk = agents("buildkite-agent", "start", env={"BUILDKITE_AGENT_NAME": "vg-bk"},
                    cgroup=cgroups("rs-test-vg-bk"))
        bk.result(bk.submit("env BUILDKITE_PIPELINE_SLUG=web", "bootstrap", "bstep sleep 0.2",
                            "exit 1"), timeout=60)
        for name in ("a", "b", "c"):
            r.result(name, timeout=60)
        last = None

        def counted():
            nonlocal last
            last = d.scrape()
            return last if last.value("runnerscope_jobs_finished_total", kind="github",
                                      runner="vg", result="failure") == 1 and last.value(
                "runnerscope_jobs_finished_total", kind="buildkite", runner="vg-bk",
                result="failure") == 1 else None
        try:
            m = wait_for(counted, 60, what="jobs counted")
        except AssertionError:
            raise AssertionError([(l, v) for l, v in last.find("runnerscope_jobs_finished_total")
                                  if v] + [d.read_log()[-3000:]]) from None
        assert m.value("runnerscope_jobs_started_total", kind="github", runner="vg") == 3
        for headers in ({"Accept": "application/openmetrics-text;version=1.0.0"},
                        {"Accept-Encoding": "gzip"}, {}):
            assert d.get("/metrics", headers=headers)[0] == 200
        assert d.get("/", headers={"Accept": "text/html"})[0] == 200
        assert d.get("/")[0] == 200
        assert d.get("/healthz")[0] == 200
        r.stop()
    finally:
        clean_report(d, workdir)
