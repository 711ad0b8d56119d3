"""Hostile names everywhere they come out: a runner name from .runner, a pod name from a
kubelet link and a job's repository from its environment, each with quotes, backslashes,
newlines, control characters, a terminal escape, invalid UTF-8 and 10 KB of length. They come
out escaped and cut to 255 bytes in /metrics (both formats, promtool and the OpenMetrics
parser clean), in the event log (valid JSON) and on the status page (HTML and text)."""
import json
import os
import subprocess

from prometheus_client.openmetrics import parser as om_parser

from conftest import IMAGE
from rs import wait_for

EVIL = b'q"b\\n\nc\x01\x1b[31mr\x7f \xff\xfe\xc3( <i>&amp;</i> '


def check_text(text, workdir, name):
    path = os.path.join(workdir, name)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    out = subprocess.run(["promtool", "check", "metrics"], stdin=open(path), capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def labels_ok(samples):
    for l, _ in samples:
        for k, v in l.items():
            assert len(v.encode()) <= 255, (k, len(v.encode()))
            assert "\x1b" not in v or k in ("runner", "pod", "repository")


def test_hostile_names_in_metrics_event_log_and_status_page(engine, dock, daemon, runners,
                                                            workdir, tmp_path):
    events = os.path.join(workdir, "events.jsonl")
    logs = tmp_path / "kubelet-logs"
    logs.mkdir()
    d = daemon(f"--events.file={events}", "--metrics.job-labels=repository",
               f"--docker.data-root={engine.data_root}", f"--kubelet.log-dir={logs}")
    # a runner named by its .runner: 10 KB of hostile bytes, JSON-escaped as the runner would
    r = runners("placeholder")
    name = (EVIL * 400)[:10240]
    with open(os.path.join(r.root, ".runner"), "wb") as f:
        f.write(b'{"agentName": "' + name.replace(b"\\", b"\\\\").replace(b'"', b'\\"')
                .replace(b"\n", b"\\n").replace(b"\x01", b"\\u0001").replace(b"\x1b", b"\\u001b")
                .replace(b"\x7f", b"\\u007f") + b'"}')
    r.start()
    spool = os.path.join(r.spool, "evil.job")
    with open(spool + ".tmp", "wb") as f:
        f.write(b"name evil\nenv GITHUB_REPOSITORY=" + (EVIL * 400)[:10240].replace(b"\n", b" ")
                + b"\nstep sleep 0.3\nexit 100\n")
    os.rename(spool + ".tmp", spool)
    r.result("evil")
    # a runner container named by its pod: the link's name is the pod's, bytes and all
    cid = dock(IMAGE, name="evil-pod")
    os.symlink("/dev/null", os.fsencode(logs) + b"/" + (b"p" + EVIL.replace(b"/", b"")
                                                          .replace(b"_", b""))[:200]
               + b"_ns_runner-" + cid.encode() + b".log")

    def both_runners(m):
        return m if len(m.find("runnerscope_runner_info")) == 2 and sum(
            v for _, v in m.find("runnerscope_jobs_finished_total", result="success")) == 1 \
            else None
    m = wait_for(lambda: both_runners(d.scrape()), 20, what="both runners, the job finished")
    labels_ok(m.find("runnerscope_runner_info"))
    labels_ok(m.find("runnerscope_jobs_finished_total"))
    repos = {l["repository"] for l, _ in m.find("runnerscope_jobs_finished_total")} - {""}
    assert len(repos) == 1 and len(next(iter(repos)).encode()) > 200
    check_text(m.text, workdir, "evil.prom")
    status, om, _ = d.get("/metrics", headers={
        "Accept": "application/openmetrics-text;version=1.0.0"})
    assert status == 200
    fams = {f.name: f for f in om_parser.text_string_to_metric_families(om.decode())}
    assert len(fams["runnerscope_runner_info"].samples) == 2

    # the event log: JSON, the repository cut to 255 bytes
    with open(events, encoding="utf-8") as f:
        lines = [json.loads(x) for x in f if x.strip()]
    assert {l["event"] for l in lines} == {"job_started", "job_finished"}
    for l in lines:
        assert len(l["runner"].encode()) <= 255 and len(l["repository"].encode()) <= 255
        assert "\ufffd" in l["repository"]

    # the status page: no markup and no terminal escape gets through
    status, html, _ = d.get("/", headers={"Accept": "text/html"})
    assert status == 200 and b"<i>" not in html and b"\x1b" not in html
    status, text, _ = d.get("/", headers={"Accept": "*/*"})
    assert status == 200 and b"\x1b" not in text and b"\x01" not in text
