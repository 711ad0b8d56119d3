"""Real consumers: promtool lints a live scrape, a Prometheus server scrapes and queries us."""
import subprocess

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


def test_prometheus_scrapes_and_queries(daemon, runners, workdir):
    d = daemon()
    run_jobs(runners, "prom-a", [100, 100, 102])
    run_jobs(runners, "prom-b", [103])
    wait_for(lambda: sum(v for _, v in d.scrape().find("runnerscope_jobs_finished_total"))
             == 4, what="jobs counted")
    with rs.Prometheus(workdir, f"""  - job_name: runnerscope
    static_configs:
      - targets: ["127.0.0.1:{d.port}"]
""") as prom:
        res = prom.wait("runnerscope_jobs_finished_total > 0")
        flat = {(dict(k)["runner"], dict(k)["result"]): v for k, v in res.items()}
        assert flat == {("prom-a", "success"): 2, ("prom-a", "failure"): 1,
                        ("prom-b", "cancelled"): 1}, flat
        up = prom.query('up{job="runnerscope"}')
        assert list(up.values()) == [1.0]
        # Prometheus asked for OpenMetrics and parsed what it got (up is 1)
        assert "/metrics as openmetrics 1.0.0" in d.read_log()
        assert prom.query('runnerscope_runner_up{runner="prom-a"}')
