"""Real consumers: promtool lints a live scrape, a Prometheus server scrapes and queries us."""
import json
import os
import subprocess
import urllib.parse
import urllib.request

import rs
from rs import wait_for


def run_jobs(runners, name, exits):
    r = runners(name).start()
    for i, code in enumerate(exits):
        r.submit(f"p{i}", "step true", f"exit {code}")
    for i, _ in enumerate(exits):
        r.result(f"p{i}")
    return r


def test_promtool_check_metrics_live(daemon, runners):
    d = daemon()
    run_jobs(runners, "lint-me", [100, 102, 137])
    r = runners("lint-busy").start()
    r.submit("long", "sleep_ms 5000", "exit 100")
    r.worker_pid("long")
    m = wait_for(lambda: (lambda m: m if sum(v for _, v in m.find(
        "runnerscope_jobs_finished_total", runner="lint-me")) == 3 and m.value(
        "runnerscope_jobs_running", runner="lint-busy") == 1 else None)(d.scrape()),
        what="jobs done and one running")
    # every family the design names for this stage is present
    for name in ("runnerscope_runner_info", "runnerscope_runner_up",
                 "runnerscope_runner_start_time_seconds", "runnerscope_jobs_running",
                 "runnerscope_job_start_time_seconds", "runnerscope_jobs_started_total",
                 "runnerscope_jobs_finished_total", "runnerscope_job_duration_seconds_bucket",
                 "runnerscope_build_info", "runnerscope_bpf_events_total",
                 "runnerscope_bpf_events_lost_total", "process_cpu_seconds_total",
                 "process_resident_memory_bytes", "process_open_fds"):
        assert m.find(name), name
    out = subprocess.run(["promtool", "check", "metrics"], input=m.text, capture_output=True,
                         text=True)
    assert out.returncode == 0 and not out.stdout.strip() and not out.stderr.strip(), \
        out.stdout + out.stderr


def query(port, q):
    url = f"http://127.0.0.1:{port}/api/v1/query?" + urllib.parse.urlencode({"query": q})
    with urllib.request.urlopen(url, timeout=5) as resp:
        body = json.load(resp)
    assert body["status"] == "success", body
    return {tuple(sorted(s["metric"].items())): float(s["value"][1])
            for s in body["data"]["result"]}


def test_prometheus_scrapes_and_queries(daemon, runners, workdir):
    d = daemon()
    run_jobs(runners, "prom-a", [100, 100, 102])
    run_jobs(runners, "prom-b", [103])
    wait_for(lambda: sum(v for _, v in d.scrape().find("runnerscope_jobs_finished_total"))
             == 4, what="jobs counted")
    port = rs.free_port()
    cfg = os.path.join(workdir, "prometheus.yml")
    with open(cfg, "w") as f:
        f.write(f"""global:
  scrape_interval: 1s
scrape_configs:
  - job_name: runnerscope
    static_configs:
      - targets: ["127.0.0.1:{d.port}"]
""")
    log = open(os.path.join(workdir, "prometheus.log"), "wb")
    prom = subprocess.Popen(["prometheus", f"--config.file={cfg}",
                             f"--storage.tsdb.path={os.path.join(workdir, 'tsdb')}",
                             f"--web.listen-address=127.0.0.1:{port}"],
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        def got():
            try:
                return query(port, "runnerscope_jobs_finished_total > 0") or None
            except OSError:
                return None
        res = wait_for(got, 60, interval=0.5, what="Prometheus to scrape runnerscope")
        flat = {(dict(k)["runner"], dict(k)["result"]): v for k, v in res.items()}
        assert flat == {("prom-a", "success"): 2, ("prom-a", "failure"): 1,
                        ("prom-b", "cancelled"): 1}, flat
        up = query(port, 'up{job="runnerscope"}')
        assert list(up.values()) == [1.0]
        assert query(port, 'runnerscope_runner_up{runner="prom-a"}')
    finally:
        prom.terminate()
        prom.wait(20)
        log.close()
