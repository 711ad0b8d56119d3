"""Per-job CPU and peak memory, against the kernel's own accounting (OOM kills: test_cgroups)."""
import os
import time

import rs
from rs import wait_for

BURN = "step i=0; while [ $i -lt {n} ]; do i=$((i+1)); done"
SYSCALLS = "step dd if=/dev/zero of=/dev/null bs=1 count={n} 2>/dev/null"


def settled(d, runner):
    return rs.jobs_settled(d, runner)


def cpu(m, runner, mode=None):
    modes = [mode] if mode else ["user", "system"]
    return sum(m.value("runnerscope_job_cpu_seconds_total", kind="github", runner=runner,
                       mode=x) for x in modes)


def finished_job_cpu(daemon, runners, runner, *directives, least):
    """One job run to its end: the scrape once it settled, its Listener's getrusage view, and
    the job's CPU in both, which must agree within 2 % (and be at least least seconds, or 2 %
    would mean nothing)."""
    d = daemon()
    r = runners(runner).start()
    r.submit("job", *directives, "exit 100")
    ru = r.rusage("job")
    m = settled(d, runner)
    truth = ru["utime"] + ru["stime"]
    got = cpu(m, runner)
    assert truth > least, ru
    assert abs(got - truth) <= 0.02 * truth, (got, ru)
    return m, ru, truth


def test_finished_job_cpu_matches_getrusage(daemon, runners):
    m, ru, truth = finished_job_cpu(daemon, runners, "cpu-burner", BURN.format(n=1000000),
                                    SYSCALLS.format(n=600000), least=0.5)
    # the split comes from the kernel's sampled times, as getrusage's does
    assert abs(cpu(m, "cpu-burner", "user") - ru["utime"]) <= 0.02 * truth + 0.02, (m.text, ru)
    assert abs(cpu(m, "cpu-burner", "system") - ru["stime"]) <= 0.02 * truth + 0.02, ru


# a process whose threads all end together: exit_group() while four of them spin
# four threads each burn 0.3 s of their own CPU and go on burning; once all four have, the
# process exits with every thread still running (CPU, not wall time: a busy host gives less)
THREADED = ("step /usr/bin/python3 -c \"exec('import os, threading, time\\n"
            "n = [0]\\nlock = threading.Lock()\\n"
            "def burn():\\n t = time.thread_time()\\n"
            " while time.thread_time() - t < 0.3: pass\\n"
            " with lock: n[0] += 1\\n while 1: pass\\n"
            "for _ in range(4): threading.Thread(target=burn, daemon=True).start()\\n"
            "while n[0] < 4: time.sleep(0.01)\\nos._exit(0)')\"")


def test_threads_ending_together_all_count(daemon, runners):
    """Every thread's CPU counts for the job, whichever of a process's threads the kernel lets
    go last: several may find the thread group's live count at zero by the time they exit."""
    finished_job_cpu(daemon, runners, "threaded", THREADED, least=1.0)


def tree_cpu(root_pid):
    """utime + stime (seconds) of a process and its descendants, from /proc."""
    tck = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in rs.proc_tree(root_pid):
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tck
    return total


def test_running_job_cpu_grows_and_matches_proc(daemon, runners):
    d = daemon()
    r = runners("long-burner").start()
    r.submit("long", BURN.format(n=4000000), "exit 100")
    wpid = r.worker_pid("long")
    samples = []
    for _ in range(3):
        time.sleep(0.7)
        before = tree_cpu(wpid)
        m = d.scrape(rs.FRESH)
        after = tree_cpu(wpid)
        assert m.value("runnerscope_jobs_running", kind="github", runner="long-burner") == 1
        got = cpu(m, "long-burner")
        # /proc has clock-tick resolution: allow two ticks on top of 2 %
        assert before * 0.98 - 0.02 <= got <= after * 1.02 + 0.02, (before, got, after)
        samples.append(got)
    assert samples[0] > 0.3 and samples[0] < samples[1] < samples[2], samples
    os.kill(wpid, 9)
    r.result("long")


def test_peak_rss_matches_getrusage(daemon, runners):
    d = daemon()
    r = runners("rss-eater").start()
    # the shell holds ~80 MB in a variable; its peak is the job's
    r.submit("eat", "step x=$(head -c 80000000 /dev/zero | tr '\\0' a); sleep 0.1", "exit 100")
    ru = r.rusage("eat")
    m = settled(d, "rss-eater")
    assert m.value("runnerscope_job_max_rss_bytes_count", kind="github", runner="rss-eater") == 1
    got = m.value("runnerscope_job_max_rss_bytes_sum", kind="github", runner="rss-eater")
    assert got == ru["maxrss_kb"] * 1024, (got, ru)
    assert got > 80e6
    assert m.value("runnerscope_job_max_rss_bytes_bucket", kind="github", runner="rss-eater",
                   le=str(64 * 2**20)) == 0
    assert m.value("runnerscope_job_max_rss_bytes_bucket", kind="github", runner="rss-eater",
                   le=str(256 * 2**20)) == 1


def proc_rss(root_pid):
    """VmRSS (bytes) of a process and its descendants, from /proc"""
    kids, rss = {}, {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/status") as f:
                st = dict(line.split(":", 1) for line in f.read().splitlines() if ":" in line)
        except OSError:
            continue
        kids.setdefault(int(st["PPid"]), []).append(int(pid))
        rss[int(pid)] = int(st.get("VmRSS", "0 kB").split()[0]) * 1024
    total, todo = 0, [root_pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo += kids.get(p, [])
    return total


def test_running_job_resident_memory_matches_proc(daemon, runners, workdir):
    """The memory a running job holds now, from the task iterator (6.1 keeps the counts in
    mm_rss_stat, later kernels in per-CPU counters), against /proc's VmRSS of its tree."""
    d = daemon()
    r = runners("rss-holder").start()
    held = os.path.join(workdir, "held")
    os.mkfifo(held)
    built = os.path.join(workdir, "built")
    r.submit("hold", f"step x=$(head -c 60000000 /dev/zero | tr '\\0' a); : > {built}; "
             f"read y < {held}", "exit 100")
    wpid = r.worker_pid("hold")
    # compared once the shell has its string: while it builds it, its heap grows and moves
    wait_for(lambda: os.path.exists(built), 60, what="the step's 60 MB string built")

    def holding():
        # and once /proc reads the same on both sides of the scrape (a fresh pass, which
        # reads the kernel's counters in between): nothing in the job allocates any more
        before = proc_rss(wpid)
        m = d.scrape(rs.FRESH)
        after = proc_rss(wpid)
        got = m.value("runnerscope_job_resident_memory_bytes", kind="github",
                      runner="rss-holder")
        return (got, after, m) if got and got > 60e6 and before == after else None
    got, truth, m = wait_for(holding, 30, what="the job's 60 MB resident, and still")
    assert abs(got - truth) <= 0.05 * truth + 4 * 2**20, (got, truth)
    assert m.value("runnerscope_jobs_running", kind="github", runner="rss-holder") == 1
    rs.release(held)
    r.result("hold")
    m = settled(d, "rss-holder")
    assert m.value("runnerscope_job_resident_memory_bytes", kind="github",
                   runner="rss-holder") == 0
