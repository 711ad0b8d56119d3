"""An exec storm on a one-page ring buffer while fifty jobs run, each job storming too, and the
daemon falls behind (stopped for the storm's first seconds, as a starved daemon would be): the
ring buffer overflows, every loss is counted, and the job counters, kept in the kernel's maps
and re-read every pass, are exact. (This machine forks and execs a few thousand processes a
second across its cores, not 20,000: the storm is as fast as it can go here.)"""
import json
import os
import signal
import subprocess
import time

import rs
from rs import wait_for

STORM = os.path.join(rs.BUILD, "bench", "execstorm")


def test_exec_storm_with_fifty_jobs_on_a_one_page_ring_buffer(daemon, runners, workdir):
    subprocess.run(["make", "-s", "-C", rs.REPO, f"OUTPUT={rs.BUILD}", "bench-tools"],
                   check=True)
    d = daemon("--bpf.ringbuf-size=4096")
    r = runners("storm").start()
    # fifty Workers at once, each storming 300 execs as its step: their execs want the jobs'
    # context (up to 64 hints each), more than a page of ring buffer holds
    os.kill(d.proc.pid, signal.SIGSTOP)
    try:
        r.submit("jobs", f"step {STORM} -n 300 -p 1 /bin/true", "exit 101", burst=50)
        # and the host storms beside them, untracked
        host = subprocess.Popen([STORM, "-n", "6000", "-p", "2", "/bin/true"],
                                stdout=subprocess.PIPE, text=True)
        time.sleep(3)
    finally:
        os.kill(d.proc.pid, signal.SIGCONT)
    rate = json.loads(host.communicate(timeout=120)[0])
    status, _ = r.result("jobs", timeout=120)
    assert status == 101 << 8
    m = wait_for(lambda: (lambda m: m if m.value(
        "runnerscope_jobs_finished_total", kind="github", runner="storm",
        result="success_with_issues") == 50 else None)(d.scrape()), 30, what="fifty jobs")
    assert m.value("runnerscope_jobs_started_total", kind="github", runner="storm") == 50
    assert sum(v for l, v in m.find("runnerscope_jobs_finished_total", runner="storm")) == 50
    assert m.value("runnerscope_jobs_running", kind="github", runner="storm") == 0
    lost = sum(v for _, v in m.find("runnerscope_bpf_events_lost_total"))
    sent = sum(v for _, v in m.find("runnerscope_bpf_events_total"))
    assert lost > 0, f"a one-page ring buffer took all {sent} events: the test proves nothing"
    print(f"host storm {rate}, events sent {sent}, lost {lost}")
