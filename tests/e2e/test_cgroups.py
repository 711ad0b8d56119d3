"""A runner container's resources against the kernel's own cgroup files, in whatever layout the
host has: on pure cgroup v2 (the kernels of the matrix) cpu.stat, memory.current, memory.stat,
memory.max, memory.events and the pressure files; on v1 and hybrid hosts their v1 peers, and
the pressure files of cgroup2 where it has the container's cgroup."""
import os
import re
import signal

import rs
from rs import wait_for

BURN = "step i=0; while [ $i -lt {n} ]; do i=$((i+1)); done"


def field(text, key):
    """a "key value" line's value (memory.stat, cpu.stat, memory.events)"""
    m = re.search(rf"^{re.escape(key)} (\d+)$", text, re.M)
    assert m, f"no {key} in {text!r}"
    return int(m.group(1))


def cpu_seconds(cg):
    """What the kernel has charged the cgroup: cpuacct.usage (v1) or cpu.stat usage_usec."""
    if cg.dir_of("cpuacct"):
        return int(cg.read("cpuacct", "cpuacct.usage")) / 1e9
    with open(os.path.join(cg.unified(), "cpu.stat")) as f:
        return field(f.read(), "usage_usec") / 1e6


def memory_files(cg):
    """usage, inactive file pages, anonymous (RSS) bytes, limit, OOM kills, as the memory
    controller of this layout says them"""
    st = cg.read("memory", "memory.stat")
    if cg.v2("memory"):
        return (int(cg.read("memory", "memory.current")), field(st, "inactive_file"),
                field(st, "anon"), int(cg.read("memory", "memory.max")),
                field(cg.read("memory", "memory.events"), "oom_kill"))
    return (int(cg.read("memory", "memory.usage_in_bytes")), field(st, "total_inactive_file"),
            field(st, "total_rss"), int(cg.read("memory", "memory.limit_in_bytes")),
            field(cg.read("memory", "memory.oom_control"), "oom_kill"))


def throttled_seconds(cg):
    st = cg.read("cpu", "cpu.stat")
    if cg.v2("cpu"):
        return field(st, "throttled_usec") / 1e6
    return field(st, "throttled_time") / 1e9


def psi_total(path):
    """the "some … total=" microseconds of a pressure file"""
    with open(path) as f:
        return int(re.search(r"^some .* total=(\d+)$", f.read(), re.M).group(1))


def runner_container(cgroups, runners, name, memory, cpu_quota_us=None):
    cid = rs.fake_container_id()
    cg = cgroups(f"system.slice/docker-{cid}.scope")
    cg.limit_memory(memory)
    if cpu_quota_us:
        cg.limit_cpu(cpu_quota_us)
    # no swap to spill into, where the layout has a knob for it
    for knob in ("memory.swap.max", "memory.memsw.limit_in_bytes"):
        path = os.path.join(cg.dir_of("memory"), knob)
        if os.path.exists(path):
            with open(path, "w") as f:
                f.write(str(memory) if knob.startswith("memory.memsw") else "0")
    return cid, cg, runners(name, cgroup=cg).start()


def test_container_cpu_memory_throttling_and_pressure(daemon, runners, cgroups):
    d = daemon()
    cid, cg, r = runner_container(cgroups, runners, "rs-cg", 256 * 2**20, cpu_quota_us=50000)
    # longer than the test: the Worker is killed once CPU and pressure are read
    r.submit("burn", BURN.format(n=100000000), "exit 100")
    wpid = r.worker_pid("burn")
    wait_for(lambda: cpu_seconds(cg) > 0.3 and throttled_seconds(cg) > 0.1, 60,
             what="the job burning CPU under its quota")
    # while the job burns: CPU against the kernel's usage read either side of the scrape
    before = cpu_seconds(cg)
    m = d.scrape(rs.FRESH)
    after = cpu_seconds(cg)
    got = sum(m.value("runnerscope_container_cpu_seconds_total", container_id=cid, mode=x)
              for x in ("user", "system"))
    assert before * 0.98 <= got <= after * 1.02, (before, got, after)
    info = m.find("runnerscope_container_info", container_id=cid)
    assert len(info) == 1 and info[0][0]["runner"] == "rs-cg", info
    # the quota held the burner back, and the kernel counted it
    thr = throttled_seconds(cg)
    got = m.value("runnerscope_container_cpu_throttled_seconds_total", container_id=cid)
    assert got is not None and got <= thr * 1.02 + 0.01 and got >= 0.1, (got, thr)
    # pressure where this host keeps it for the container's cgroup (cgroup2), absent where not
    for res in ("cpu", "memory", "io"):
        path = os.path.join(cg.unified() or "/nonexistent", f"{res}.pressure")
        before = psi_total(path) if os.path.exists(path) else None
        got = d.scrape(rs.FRESH).value("runnerscope_container_pressure_waiting_seconds_total",
                                       container_id=cid, resource=res)
        assert (got is not None) == (before is not None), (res, path, got)
        if got is not None:
            assert before / 1e6 <= got <= psi_total(path) / 1e6, (res, before, got)
    os.kill(wpid, signal.SIGKILL)
    r.result("burn")

    # memory against the controller's files, read either side of a scrape
    usage0, inactive, anon, limit, ooms = memory_files(cg)
    m = d.scrape(rs.FRESH)
    usage1, inactive1, anon1, _, _ = memory_files(cg)
    # the Listener still polls: its memory moves between the reads
    slack = 0.05 * max(usage0, usage1) + 32 * 4096
    usage = m.value("runnerscope_container_memory_usage_bytes", container_id=cid)
    assert min(usage0, usage1) - slack <= usage <= max(usage0, usage1) + slack, (usage0, usage)
    ws = m.value("runnerscope_container_memory_working_set_bytes", container_id=cid)
    assert min(usage0 - inactive, usage1 - inactive1) - slack <= ws <= \
        max(usage0 - inactive, usage1 - inactive1) + slack, (usage0, inactive, ws)
    rss = m.value("runnerscope_container_memory_rss_bytes", container_id=cid)
    assert min(anon, anon1) - slack <= rss <= max(anon, anon1) + slack, (anon, rss)
    assert m.value("runnerscope_container_memory_limit_bytes", container_id=cid) == limit
    assert limit == 256 * 2**20
    assert m.value("runnerscope_container_oom_kills_total", container_id=cid) == ooms == 0


def test_oom_kill_counts_for_the_job_and_the_container(daemon, runners, cgroups):
    d = daemon()
    before = d.scrape().value("runnerscope_bpf_events_total", event="oom")
    cid, cg, r = runner_container(cgroups, runners, "rs-oom", 64 * 2**20)
    # the step is killed; the Worker goes on and reports failure itself
    r.submit("hog", "step x=a; while true; do x=$x$x; done", "exit 102")
    status, _ = r.result("hog", timeout=120)
    assert status == 102 << 8

    def counted():
        m = d.scrape()
        return m if (m.value("runnerscope_jobs_finished_total", kind="github", runner="rs-oom",
                             result="failure") == 1 and
                     m.value("runnerscope_container_oom_kills_total", container_id=cid) == 1 and
                     m.value("runnerscope_job_oom_kills_total", kind="github",
                             runner="rs-oom") == 1) else None
    m = wait_for(counted, 15, what="the OOM kill counted for the job and its container")
    # what the kernel's own file says
    assert memory_files(cg)[4] == 1
    assert m.value("runnerscope_bpf_events_total", event="oom") - before == 1
