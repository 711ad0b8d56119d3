"""Containers from the kernel's cgroup events: cgroups made as the runtimes make them
(`docker/<id>` in every hierarchy the host has), tasks attached to them, and removed the moment
their last task has exited, as `docker run --rm` and `runc delete` do. Every container is
counted once as created and once as removed, keeps what its cgroup's own counters said at the
removal, and a job's container counts for the job from the moment a task is attached to it."""
import hashlib
import json
import os
import resource
import secrets
import signal
import time

import pytest

import rs
from rs import wait_for

COUNTS = ("runnerscope_containers_created_total", "runnerscope_containers_removed_total")


def lifecycle(m, **labels):
    """(created, removed) of the label set (runtime docker, none of a runner by default)"""
    want = {"runtime": "docker", "kind": "", "runner": "", "role": "", **labels}
    return tuple(m.value(name, **want) or 0 for name in COUNTS)


def lifecycle_now(d):
    """For a timed-out wait: the lifecycle counters, the kernel's cgroup records, the cgroup
    events lost and the walks that repaired them, now."""
    m = d.scrape(rs.FRESH)
    lost = sum(v for l, v in m.find("runnerscope_bpf_events_lost_total")
               if l["event"].startswith("cgroup_"))
    return (lifecycle(m), m.value("runnerscope_bpf_map_entries", map="cgroups_map"), lost,
            m.value("runnerscope_container_walks_total", reason="lost_events"))


def cpu_of(m, cid):
    got = [m.value("runnerscope_container_cpu_seconds_total", container_id=cid, mode=x)
           for x in ("user", "system")]
    return None if None in got else sum(got)


def burner(cg, seconds, mem=0, before_exec=False, code=0):
    """A process attached to cg that uses `seconds` of CPU and touches `mem` bytes. before_exec:
    it burns in the forked child between its attach and its exec (runc's init is attached so),
    then execs a program that only exits. Returns (pid, the CPU seconds it had used when it was
    attached: its CPU clock just before)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid:
        os.close(w)
        with os.fdopen(r) as f:
            return pid, int(f.read() or 0) / 1e9
    try:
        os.close(r)
        # the CPU clock brings the task's runtime up to date, so what it ran so far is charged
        # to the cgroup it was in; what it runs from here on (the move itself included) is the
        # new cgroup's. /proc/self/schedstat would miss what it ran since the last tick, which
        # the new cgroup is then charged with (4 ms a tick at HZ=250, tens of ms under TCG)
        ran = time.clock_gettime_ns(time.CLOCK_THREAD_CPUTIME_ID)
        cg.enter()
        os.write(w, str(ran).encode())
        os.close(w)
        if before_exec:
            t = time.process_time()
            while time.process_time() - t < seconds:
                pass
            os.execv("/bin/sh", ["sh", "-c", f"exit {code}"])
        os.execv("/usr/bin/python3", [
            "python3", "-c",
            "import sys, time\n"
            f"b = bytearray({mem})\n"
            "for i in range(0, len(b), 4096): b[i] = 1\n"
            "t = time.process_time()\n"
            f"while time.process_time() - t < {seconds}: pass\n"
            f"sys.exit({code})"])
    finally:
        os._exit(127)


def reap(pid):
    """Its exit status and CPU seconds (its getrusage, which adds up to its runtime)."""
    _, status, ru = os.wait4(pid, 0)
    return status, ru.ru_utime + ru.ru_stime


def attached_cpu(started):
    """What a burner used from its attach to its exit: its status and CPU seconds."""
    pid, at_attach = started
    status, total = reap(pid)
    return status, total - at_attach


def own_counters(cg):
    """What the cgroup's own files say now: CPU seconds (cpuacct.usage or cpu.stat's
    usage_usec) and its memory peak (memory.max_usage_in_bytes or memory.peak)."""
    if cg.dir_of("cpuacct"):
        cpu = int(cg.read("cpuacct", "cpuacct.usage")) / 1e9
    else:
        stat = dict(line.split() for line in cg.read("cpu", "cpu.stat").splitlines()) \
            if cg.dir_of("cpu") else \
            dict(line.split() for line in open(os.path.join(cg.unified(), "cpu.stat")))
        cpu = int(stat["usage_usec"]) / 1e6
    peak = None
    if cg.dir_of("memory"):
        name = "memory.peak" if cg.v2("memory") else "memory.max_usage_in_bytes"
        if os.path.exists(os.path.join(cg.dir_of("memory"), name)):
            peak = int(cg.read("memory", name))
    return cpu, peak


def within(got, want, rel=0.02, abs_s=0.002):
    return got is not None and abs(got - want) <= rel * want + abs_s


def test_twenty_short_containers_keep_their_final_values(daemon, cgroups):
    """Twenty containers of 100-300 ms each, removed the instant their task has exited: every
    one is created and removed once, and keeps its final CPU (within 2 % of its cgroup's own
    counter read just before the removal, or, where the counter was not read, of what its task
    used from its attach: its getrusage less its runtime then) and its memory peak."""
    d = daemon("--containers=all")
    m0 = d.scrape(rs.FRESH)
    before = lifecycle(m0)
    entries0 = m0.value("runnerscope_bpf_map_entries", map="cgroups_map")
    made = []
    for i in range(20):
        cid = rs.fake_container_id()
        cg = cgroups(f"docker/{cid}")
        status, ru = attached_cpu(burner(cg, 0.1 + 0.01 * i, mem=(8 + i) << 20))
        assert status == 0, status
        # every other container's counters are read first: on cgroup2 that folds the per-CPU
        # statistics in, and the others leave them to the kernel program to fold at rmdir
        own = own_counters(cg) if i % 2 == 0 else (None, None)
        cg.remove()
        made.append((cid, ru, *own))
    # each is counted removed at its first rmdir (one a hierarchy on v1), the values of each
    # coming with it: the scrape to compare is one made once the daemon has taken every rmdir
    # (it deletes the kernel's record of a cgroup once it has its final values)
    m = wait_for(lambda: (lambda m: m if lifecycle(m) == (before[0] + 20, before[1] + 20) and
                          m.value("runnerscope_bpf_map_entries", map="cgroups_map") == entries0
                          else None)(d.scrape(rs.FRESH)), 30,
                 what="20 containers created and removed, their rmdirs taken",
                 show=lambda: (before, entries0, lifecycle_now(d)))
    bad = []
    for cid, ru, cpu, peak in made:
        got = cpu_of(m, cid)
        want = cpu if cpu is not None else ru
        print(f"container {cid[:12]}: CPU {got} s, cgroup's {cpu} s, task's {ru:.4f} s; "
              f"peak {m.value('runnerscope_container_memory_peak_bytes', container_id=cid)}"
              f", cgroup's {peak}")
        if not within(got, want):
            bad.append(("cpu", cid, got, want))
        if peak is not None and \
                m.value("runnerscope_container_memory_peak_bytes", container_id=cid) != peak:
            bad.append(("peak", cid, m.value("runnerscope_container_memory_peak_bytes",
                                             container_id=cid), peak))
    assert not bad, bad
    # nothing for the cgroups that are no container's own
    assert m.value("runnerscope_container_walks_total", reason="lost_events") == 0


def test_bad_names_make_no_state(daemon, cgroups):
    """Cgroups that are not containers' own (an id in a slice's name, under a user session, as
    a container's child, 200-byte and odd-byte names, deep paths) make no container and leave
    no record in the kernel's map; a container made beside them is counted."""
    d = daemon("--containers=all")
    m0 = d.scrape(rs.FRESH)
    before = lifecycle(m0)
    entries0 = m0.value("runnerscope_bpf_map_entries", map="cgroups_map")
    hexid = rs.fake_container_id()
    bad = [f"user.slice/{hexid}", f"rs-test-{hexid}.slice", f"docker/{hexid}x",
           f"rs-test/{'a' * 200}", "rs-test/odd\x01\u00e9\"name", "rs-test/" + "/".join(["d"] * 40),
           f"rs-test/{hexid}", f"rs-test/{hexid}/{'b' * 64}"]  # the parent removed after
    for rel in bad:
        cgroups(rel)
    good = rs.fake_container_id()
    cgroups(f"docker/{good}")
    m = wait_for(lambda: (lambda m: m if lifecycle(m)[0] == before[0] + 1 else None)(
        d.scrape()), 30, what="the one container")
    ids = {l["container_id"] for l, _ in m.find("runnerscope_container_info")}
    assert good in ids and not any(hexid in i for i in ids), ids
    # the kernel's records of the candidates are gone once the daemon looked at them: only the
    # container's are left, one in each hierarchy followed (v1 cpuacct's and memory's, or
    # cgroup2)
    followed = 2 if "v1" in rs.hierarchies() else 1
    wait_for(lambda: d.scrape(rs.FRESH).value("runnerscope_bpf_map_entries",
                                              map="cgroups_map") == entries0 + followed,
             10, what="no record of the bad names")


def runner_label(root):
    """What the runner puts on its containers: sha256 of .runner's lower-cased text, no BOM."""
    with open(os.path.join(root, ".runner"), "rb") as f:
        text = f.read().decode("utf-8-sig")
    return hashlib.sha256(text.lower().encode()).hexdigest()[:6]


def docker_config(data_root, cid, name, labels=None, env=(), cmd=("sh",)):
    """docker's config.v2.json for container cid, with what the daemon reads of it"""
    d = os.path.join(data_root, "containers", cid)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "config.v2.json"), "w") as f:
        json.dump({"ID": cid, "Name": "/" + name, "Path": cmd[0], "Args": list(cmd[1:]),
                   "Config": {"Image": "runnerscope-test:cgroups", "Env": list(env),
                              "Labels": labels or {}}}, f)
    return d


def finished(events, runner):
    def lines():
        if not os.path.exists(events):
            return None
        with open(events) as f:
            got = [e for e in map(json.loads, f.read().splitlines())
                   if e["event"] == "job_finished" and e["runner"] == runner]
        return got or None
    return wait_for(lines, 30, what=f"job_finished of {runner}")[0]


def test_attached_task_counts_for_the_job_and_the_job_lists_final_values(
        daemon, runners, cgroups, workdir):
    """A GitHub job's container action, placed in the job from its runtime's files when its
    cgroup is made: a task attached to it that burns CPU before it execs (runc's init does) is
    the job's; the container, removed the instant it ends, is in job_finished with its final
    CPU (within 2 % of its cgroup's cpuacct.usage or cpu.stat read just before the removal)."""
    data_root = os.path.join(workdir, "docker")
    events = os.path.join(workdir, "events.jsonl")
    d = daemon("--containers=all", f"--docker.data-root={data_root}", f"--events.file={events}")
    r = runners("cg-attach").start()
    go = os.path.join(workdir, "go")
    r.submit("j1", rs.held_step(go), "exit 100")
    rs.jobs_running(d, "cg-attach", kind="github", timeout=30)
    cid = rs.fake_container_id()
    name = f"runnerscopetestaction_{secrets.token_hex(3)}"
    docker_config(data_root, cid, name, labels={runner_label(r.root): ""},
                  cmd=("sh", "-c", "burn"))
    cg = cgroups(f"docker/{cid}")
    # placed before any task of it runs: its runtime's files said so
    wait_for(lambda: d.scrape().find("runnerscope_container_info", container_id=cid,
                                     runner="cg-attach", kind="github"),
             30, what="the container placed in the job")
    status, burned = attached_cpu(burner(cg, 0.3, before_exec=True))
    assert status == 0
    cpu, _ = own_counters(cg)
    cg.remove()
    rs.release(go)
    assert r.result("j1", timeout=60)[0] == 100 << 8
    ru = r.rusage("j1")
    line = finished(events, "cg-attach")
    ctrs = {c["id"]: c for c in line["containers"]}
    assert set(ctrs) == {cid} and ctrs[cid]["role"] == "action", line["containers"]
    c = ctrs[cid]
    got = c["cpu_user_seconds"] + c["cpu_system_seconds"]
    print(f"agreement: container {got:.4f} s against its cgroup's {cpu:.4f} s; job "
          f"{line['cpu_user_seconds'] + line['cpu_system_seconds']:.4f} s against the "
          f"Listener's getrusage {ru['utime'] + ru['stime']:.4f} s + the attached task's "
          f"{burned:.4f} s")
    assert within(got, cpu), (got, cpu)
    # the burn before the exec is the job's: the task joined it when it was attached
    job = line["cpu_user_seconds"] + line["cpu_system_seconds"]
    truth = ru["utime"] + ru["stime"] + burned
    assert job >= 0.98 * truth - 0.005 and job <= 1.05 * truth + 0.05, (job, truth, ru, burned)
    assert line["processes"] >= 3, line


def test_a_jobs_short_containers_keep_their_final_values(daemon, runners, cgroups, workdir):
    """Eight containers of 100-250 ms a GitHub job starts one after another (the event log
    lists a job's first eight), each removed the instant its task exits: job_finished has each
    with its final CPU within 2 % of its cgroup's own counter read just before the removal (or,
    unread, of what its task used from its attach), and its memory peak."""
    data_root = os.path.join(workdir, "docker")
    events = os.path.join(workdir, "events.jsonl")
    d = daemon(f"--docker.data-root={data_root}", f"--events.file={events}")
    r = runners("cg-short").start()
    go = os.path.join(workdir, "go")
    r.submit("j1", rs.held_step(go), "exit 100")
    rs.jobs_running(d, "cg-short", kind="github", timeout=30)
    label = {runner_label(r.root): ""}
    made = {}
    for i in range(8):
        cid = rs.fake_container_id()
        docker_config(data_root, cid, f"runnerscopetestaction_{i}", labels=label)
        cg = cgroups(f"docker/{cid}")
        wait_for(lambda: d.scrape().find("runnerscope_container_info", container_id=cid,
                                         runner="cg-short"), 30, what=f"container {i} placed")
        status, used = attached_cpu(burner(cg, 0.1 + 0.02 * i, mem=(16 + i) << 20))
        assert status == 0, status
        own = own_counters(cg) if i % 2 == 0 else (None, None)
        cg.remove()
        made[cid] = (used, *own)
    rs.release(go)
    assert r.result("j1", timeout=60)[0] == 100 << 8
    line = finished(events, "cg-short")
    ctrs = {c["id"]: c for c in line["containers"]}
    assert set(ctrs) == set(made), (sorted(ctrs), sorted(made))
    bad = []
    for cid, (used, cpu, peak) in made.items():
        c = ctrs[cid]
        got = c["cpu_user_seconds"] + c["cpu_system_seconds"]
        want = cpu if cpu is not None else used
        print(f"job's container {cid[:12]}: {got:.4f} s, cgroup's {cpu}, task's {used:.4f} s; "
              f"peak {c['memory_peak_bytes']}, cgroup's {peak}")
        if not within(got, want) or (peak is not None and c["memory_peak_bytes"] != peak) or \
                not c["memory_peak_bytes"]:
            bad.append((cid, c, used, cpu, peak))
    assert not bad, bad


def gitea_job_container(d, agents, cgroups, data_root, runner, quota_us=None):
    """A Gitea runner and a job container of it (its name as act_runner makes it), its init
    (act_runner's sleep) attached once the job has started: (cid, cgroup, config dir, init pid).
    quota_us: the container's CPU quota per 100 ms, set before any task is in it."""
    runner_file = json.dumps({"WARNING": "generated", "id": 5, "uuid": secrets.token_hex(8),
                              "name": runner, "token": "x", "labels": ["linux:docker"]})
    agents("act_runner", "daemon", files={".runner": runner_file})
    wait_for(lambda: d.scrape().value("runnerscope_runner_up", kind="gitea",
                                      runner=runner) == 1, 30, what="the act_runner")
    task = secrets.randbelow(10**6)
    cid = rs.fake_container_id()
    cfg = docker_config(data_root, cid, f"GITEA-ACTIONS-TASK-{task}_WORKFLOW-ci_JOB-build",
                        cmd=("/bin/sleep", "10800"))
    cg = cgroups(f"docker/{cid}")
    if quota_us:
        cg.limit_cpu(quota_us)
    rs.jobs_running(d, runner, kind="gitea", timeout=30)
    init = os.fork()
    if not init:
        try:
            cg.enter()
            os.execv("/bin/sleep", ["sleep", "1000"])
        finally:
            os._exit(127)
    wait_for(lambda: str(init) in open(os.path.join(cg.dirs[0], "cgroup.procs")).read(), 10,
             what="the init in its cgroup")
    return cid, cg, cfg, init


@pytest.mark.parametrize("code,result", [(1, "failure"), (0, "success")])
def test_gitea_job_ends_when_its_container_is_removed(daemon, agents, cgroups, workdir, code,
                                                       result):
    """A Gitea job container (its name as act_runner makes it), its init attached first and a
    step attached after it: when its runtime removes it right after the step, the job is over
    within a second (not after --jobs.end-after-idle), with the step's result, at its last
    exit."""
    data_root = os.path.join(workdir, "docker")
    d = daemon(f"--docker.data-root={data_root}", "--jobs.end-after-idle=60s")
    made = time.monotonic()
    cid, cg, cfg, init = gitea_job_container(d, agents, cgroups, data_root, "gitea-ctr")
    status, _ = attached_cpu(burner(cg, 0.05, code=code))
    assert os.WEXITSTATUS(status) == code
    # removed as docker does: the init killed, the cgroup gone, then the container's files;
    # slowly, so that its last exit and its removal are told apart
    os.kill(init, signal.SIGKILL)
    reap(init)
    last_exit = time.monotonic()
    time.sleep(0.5)
    cg.remove()
    os.unlink(os.path.join(cfg, "config.v2.json"))
    removed = time.monotonic()
    m = wait_for(lambda: (lambda m: m if m.value("runnerscope_jobs_finished_total",
                                                 kind="gitea", runner="gitea-ctr",
                                                 result=result) == 1 else None)(d.scrape()),
                 10, interval=0.02, what=f"the job finished, {result}")
    took = time.monotonic() - removed
    print(f"the job finished {took:.3f} s after its container was removed")
    assert took <= 1.0 * rs.TIMEOUT_SCALE, took
    assert m.value("runnerscope_jobs_running", kind="gitea", runner="gitea-ctr") == 0
    dur = m.value("runnerscope_job_duration_seconds_sum", kind="gitea", runner="gitea-ctr",
                  result=result)
    # it ended at its last exit (the init's kill), not when it was removed half a second on
    assert dur is not None and 0 < dur <= last_exit - made + 0.05, (dur, last_exit - made)


def cpu_stat(cg):
    """the container's cpu.stat: v1's cpu hierarchy, or cgroup2's"""
    text = cg.read("cpu", "cpu.stat") if cg.dir_of("cpu") else \
        open(os.path.join(cg.unified(), "cpu.stat")).read()
    return {k: int(v) for k, v in (line.split() for line in text.splitlines())}


def memory_some_total(cg):
    """memory.pressure's some total (seconds), where the host has it for the cgroup; None"""
    for d in [cg.dir_of("memory"), cg.unified()]:
        path = d and os.path.join(d, "memory.pressure")
        if path and os.path.exists(path):
            with open(path) as f:
                return int(f.read().split("total=")[1].split()[0]) / 1e6
    return None


def test_a_job_containers_throttling_is_the_jobs(daemon, agents, cgroups, workdir):
    """A Gitea job container limited to a fifth of a CPU, a step in it burning 0.4 s of CPU:
    the job's throttled time is what the container's cpu.stat said when its last task left
    (some, however busy the host: on a loaded one the step waits for a CPU more than for its
    quota); its memory stall is memory.pressure's, where the host has it."""
    data_root = os.path.join(workdir, "docker")
    events = os.path.join(workdir, "events.jsonl")
    d = daemon(f"--docker.data-root={data_root}", "--jobs.end-after-idle=60s",
               f"--events.file={events}")
    cid, cg, cfg, init = gitea_job_container(d, agents, cgroups, data_root, "gitea-quota",
                                             quota_us=20000)
    step = os.fork()
    if not step:
        try:
            cg.enter()
            # 0.4 s of CPU: two seconds or more at a fifth of a CPU, most of it held back
            os.execv("/usr/bin/python3", ["python3", "-c", "import time\n"
                                          "t = time.process_time()\n"
                                          "while time.process_time() - t < 0.4: pass"])
        finally:
            os._exit(127)
    reap(step)
    os.kill(init, signal.SIGKILL)
    reap(init)
    st = cpu_stat(cg)
    want = st["throttled_usec"] / 1e6 if "throttled_usec" in st else st["throttled_time"] / 1e9
    stall = memory_some_total(cg)
    assert st["nr_throttled"] > 0 and want > 0, st
    # the daemon reads an emptied container's files: once it has, it may go
    wait_for(lambda: within(d.scrape().value("runnerscope_container_cpu_throttled_seconds_total",
                                             container_id=cid), want, 0, 1e-6), 15,
             what="the container's throttling read once it emptied")
    cg.remove()
    os.unlink(os.path.join(cfg, "config.v2.json"))
    fin = finished(events, "gitea-quota")
    print(f"throttled {fin['cpu_throttled_seconds']} s, cpu.stat {want} s; memory stall "
          f"{fin['memory_stall_seconds']}, memory.pressure {stall}")
    assert fin["cpu_throttled_seconds"] == pytest.approx(want, abs=1e-6), (fin, st)
    if stall is None:
        assert fin["memory_stall_seconds"] is None, fin
    else:
        assert fin["memory_stall_seconds"] == pytest.approx(stall, abs=1e-6), (fin, stall)
    m = d.scrape()
    assert m.value("runnerscope_job_cpu_throttled_seconds_total", kind="gitea",
                   runner="gitea-quota") == pytest.approx(want, abs=1e-6)
    assert m.value("runnerscope_job_memory_stall_seconds_total", kind="gitea",
                   runner="gitea-quota") == (None if stall is None else
                                             pytest.approx(stall, abs=1e-6))


@pytest.mark.slow
def test_10000_cgroups_in_a_burst(daemon):
    """10,000 container cgroups made and removed as fast as the host can: every one created
    and removed exactly once (a ring buffer too small for the burst loses events, and the walk
    repairs what they told), the daemon's memory back where it was, no descriptor left."""
    d = daemon("--containers=all", "--containers.grace-period=1s")
    m0 = d.scrape(rs.FRESH)
    before = lifecycle(m0)
    fds0 = m0.value("process_open_fds")
    made = []
    try:
        for _ in range(10000):
            made.append(rs.Cgroup(f"docker/{rs.fake_container_id()}"))
        while made:
            made.pop().remove()
    finally:
        for cg in made:
            cg.remove()
    m = wait_for(lambda: (lambda m: m if lifecycle(m) == (before[0] + 10000, before[1] + 10000)
                          else None)(d.scrape()), 120, interval=0.5,
                 what="10,000 created and removed", show=lambda: (before, lifecycle_now(d)))
    lost = sum(v for l, v in m.find("runnerscope_bpf_events_lost_total")
               if l["event"].startswith("cgroup_"))
    walks = m.value("runnerscope_container_walks_total", reason="lost_events")
    print(f"10,000 cgroups: {lost:.0f} cgroup events lost, {walks:.0f} repair walks")
    assert (lost == 0) == (walks == 0), (lost, walks)
    # gone, after their grace period: no series, no kernel records, memory and fds back
    entries0 = m0.value("runnerscope_bpf_map_entries", map="cgroups_map")
    m = wait_for(lambda: (lambda m: m if m.value("runnerscope_bpf_map_entries",
                                                 map="cgroups_map") == entries0 and
                          len(m.find("runnerscope_container_info")) ==
                          len(m0.find("runnerscope_container_info")) else None)(
        d.scrape(rs.FRESH)), 60, interval=0.5, what="the burst's containers dropped")
    fds = min(d.scrape(rs.FRESH).value("process_open_fds") for _ in range(5))
    assert fds <= fds0, (fds0, fds)
    # the pages kept from the scrapes during the burst go as passes replace them
    rss0 = m0.value("process_resident_memory_bytes")
    rss = wait_for(lambda: (lambda v: v if v <= rss0 + 2 * 2**20 else None)(
        d.scrape(rs.FRESH).value("process_resident_memory_bytes")), 30, interval=0.5,
        what=f"resident memory back to {rss0 / 2**20:.1f} MiB")
    print(f"resident memory {rss0 / 2**20:.1f} MiB before, {rss / 2**20:.1f} MiB after")
