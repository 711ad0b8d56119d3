"""Container metrics against the kernel's cgroup files, on a real Docker engine."""
import json
import os
import subprocess
import time

import rs
from rs import wait_for
from conftest import IMAGE
from test_docker import runner_json

CG = rs.CGROOT


def cgfile(ctrl, cid, name):
    with open(os.path.join(CG, ctrl, "docker", cid, name)) as f:
        return f.read()


def stat_field(text, key):
    for line in text.splitlines():
        k, _, v = line.partition(" ")
        if k == key:
            return int(v)
    raise KeyError(key)


def start_runner(dock, tmp_path, name, *extra):
    host = tmp_path / name
    for sub in ("spool", "results"):
        (host / sub).mkdir(parents=True)
    (host / "runner.json").write_text(runner_json(name), encoding="utf-8")
    cid = dock(IMAGE, name=name, extra=[
        "-v", f"{host}/spool:/actions-runner/_spool",
        "-v", f"{host}/results:/actions-runner/_results",
        "-v", f"{host}/runner.json:/actions-runner/.runner:ro", *extra])
    return cid, rs.Spool(str(host / "spool"), str(host / "results"))


def test_runner_container_matches_its_cgroup(engine, dock, daemon, tmp_path):
    d = daemon(f"--docker.data-root={engine.data_root}")
    cid, sp = start_runner(dock, tmp_path, "rs-stats", "--memory", "64m", "--cpus", "0.5")
    sp.submit("burn", "step i=0; while [ $i -lt 600000 ]; do i=$((i+1)); done", "exit 100")
    sp.worker_pid("burn")
    time.sleep(1.0)
    # while the job burns: CPU against cpuacct.usage read either side of the scrape
    before = int(cgfile("cpuacct", cid, "cpuacct.usage")) / 1e9
    m = d.scrape(rs.FRESH)
    after = int(cgfile("cpuacct", cid, "cpuacct.usage")) / 1e9
    got = sum(m.value("runnerscope_container_cpu_seconds_total", container_id=cid, mode=x)
              for x in ("user", "system"))
    assert before > 0.2, before
    assert before * 0.98 <= got <= after * 1.02, (before, got, after)
    sp.result("burn", timeout=60)

    info = m.find("runnerscope_container_info", container_id=cid)
    assert len(info) == 1, m.find("runnerscope_container_info")
    assert info[0][0] == {"container_id": cid, "container": "rs-stats", "pod": "",
                          "namespace": "", "image": IMAGE, "runtime": "docker",
                          "kind": "github", "runner": "rs-stats"}
    rinfo = m.find("runnerscope_runner_info", runner="rs-stats")
    assert rinfo[0][0]["container"] == "rs-stats" and rinfo[0][0]["container_id"] == cid

    # idle now: memory against the memory controller's files
    time.sleep(0.5)
    usage0 = int(cgfile("memory", cid, "memory.usage_in_bytes"))
    m = d.scrape(rs.FRESH)
    usage1 = int(cgfile("memory", cid, "memory.usage_in_bytes"))
    mstat = cgfile("memory", cid, "memory.stat")
    usage = m.value("runnerscope_container_memory_usage_bytes", container_id=cid)
    assert min(usage0, usage1) * 0.95 <= usage <= max(usage0, usage1) * 1.05, (usage0, usage)
    ws = m.value("runnerscope_container_memory_working_set_bytes", container_id=cid)
    want_ws = usage1 - stat_field(mstat, "total_inactive_file")
    # the runner's Listener still polls: its memory moves between the reads, so the working
    # set must lie between what usage said either side of the scrape, less the inactive files
    slack = 0.05 * usage1 + 32 * 4096
    inactive = stat_field(mstat, "total_inactive_file")
    assert min(usage0, usage1) - inactive - slack <= ws <= \
        max(usage0, usage1) - inactive + slack, (usage0, usage1, inactive, ws, want_ws)
    rss = m.value("runnerscope_container_memory_rss_bytes", container_id=cid)
    assert abs(rss - stat_field(mstat, "total_rss")) <= slack
    assert m.value("runnerscope_container_memory_limit_bytes", container_id=cid) == 64 * 2**20
    assert m.value("runnerscope_container_oom_kills_total", container_id=cid) == 0
    # --cpus 0.5 held the burner back
    throttled = stat_field(cgfile("cpu", cid, "cpu.stat"), "throttled_time") / 1e9
    got = m.value("runnerscope_container_cpu_throttled_seconds_total", container_id=cid)
    assert throttled > 0.1 and abs(got - throttled) <= 0.02 * throttled + 0.01
    # PSI where this host has it for the container's cgroup, absent where not
    for res in ("cpu", "memory", "io"):
        path = os.path.join(rs.unified_root() or "/nonexistent", "docker", cid, f"{res}.pressure")
        got = m.value("runnerscope_container_pressure_waiting_seconds_total", container_id=cid,
                      resource=res)
        assert (got is not None) == os.path.exists(path), (res, path, got)


def test_oom_kill_in_a_docker_container(engine, dock, daemon, tmp_path, workdir):
    events = os.path.join(workdir, "events.jsonl")
    d = daemon(f"--docker.data-root={engine.data_root}", f"--events.file={events}")
    cid, sp = start_runner(dock, tmp_path, "rs-oom", "--memory", "64m")
    sp.submit("hog", "step x=a; while true; do x=$x$x; done", "exit 102")
    assert sp.result("hog", timeout=60)[0] == 102 << 8

    def counted():
        m = d.scrape()
        return m if (m.value("runnerscope_jobs_finished_total", runner="rs-oom",
                             result="failure") == 1 and
                     m.value("runnerscope_container_oom_kills_total", container_id=cid) == 1 and
                     m.value("runnerscope_job_oom_kills_total", runner="rs-oom") == 1) else None
    wait_for(counted, 15, what="the OOM kill counted for the job and the container")
    assert stat_field(cgfile("memory", cid, "memory.oom_control"), "oom_kill") == 1
    with open(events) as f:
        lines = [json.loads(l) for l in f]
    fin = [e for e in lines if e["event"] == "job_finished"]
    assert len(fin) == 1 and fin[0]["oom_kills"] == 1 and fin[0]["result"] == "failure"
    assert fin[0]["container_id"] == cid


def test_gone_container_keeps_its_final_values_for_the_grace_period(engine, dock, daemon,
                                                                     tmp_path):
    # long enough for the scrapes below on a slow machine too
    grace = int(10 * rs.TIMEOUT_SCALE)
    d = daemon(f"--docker.data-root={engine.data_root}", f"--containers.grace-period={grace}s")
    cid, sp = start_runner(dock, tmp_path, "rs-gone")
    sp.submit("j", "exit 100")
    sp.result("j")
    wait_for(lambda: d.scrape().find("runnerscope_container_info", container_id=cid),
             what="container tracked")
    engine.docker("rm", "-f", cid)
    wait_for(lambda: f"container gone id={cid}" in d.read_log(), what="the daemon saw it go")
    # every scraper sees the final values, however many there are, not only the first
    for _ in range(3):
        m = d.scrape()
        assert m.find("runnerscope_container_info", container_id=cid), "final values not shown"
        assert m.value("runnerscope_container_cpu_seconds_total", container_id=cid,
                       mode="user") > 0

    def series():
        return [n for n, samples in d.scrape().samples.items() for l, _ in samples
                if l.get("container_id") == cid and n.startswith("runnerscope_container_")]
    # dropped once the grace period is over (and a kept page is at most about two seconds old)
    wait_for(lambda: not series(), grace + 10, what="series dropped")


def remove(engine, names):
    """docker rm -f of a batch. On two cores containerd sometimes stalls on one of them (runc
    delete exits 255 and the CLI waits): the rest are then removed one by one, and none may
    be left."""
    try:
        engine.docker("rm", "-f", *names, timeout=120)
        return
    except RuntimeError as e:
        if "timed out" not in str(e):
            raise
        print(f"docker rm stalled on {names}; removing them one by one")
    for n in names:
        engine.docker("rm", "-f", n, check=False, timeout=180)
    left = engine.docker("ps", "-a", "--format", "{{.Names}}").stdout.split()
    assert not set(left) & set(names), sorted(set(left) & set(names))


def test_500_containers_come_and_go(own_engine, daemon):
    """500 containers in ten waves of 50 (500 live shims at once would stall dockerd on two
    cores): each wave is seen, removed and dropped after the grace period; memory comes back."""
    engine = own_engine
    d = daemon(f"--docker.data-root={engine.data_root}", "--containers=all",
               "--containers.grace-period=1s")
    for _ in range(3):
        d.scrape()
        time.sleep(0.3)
    base = d.scrape()
    rss0 = base.value("process_resident_memory_bytes")
    n0 = len(base.find("runnerscope_container_info"))
    docker = [engine.cli, "-H", engine.host]
    for wave in range(10):
        names = [f"churn-{wave}-{i}" for i in range(50)]
        subprocess.run(["xargs", "-P", "2", "-I", "{}", *docker, "run", "-d", "--pull", "never",
                        "--network", "none", "--name", "{}", IMAGE, "sleep", "3600"],
                       input="\n".join(names), text=True, check=True, capture_output=True,
                       env=engine._env, timeout=300)
        m = wait_for(lambda: (lambda m: m if len(m.find("runnerscope_container_info")) ==
                              n0 + 50 else None)(d.scrape()), 30, what=f"wave {wave} seen")
        assert {l["container"] for l, _ in m.find("runnerscope_container_info")} >= set(names)
        # ten at a time: fifty kills at once make containerd's shims race each other
        for i in range(0, len(names), 10):
            remove(engine, names[i:i + 10])
        # gone: their final values kept for the grace period, then dropped (a shim can take a
        # while to remove its cgroups after docker rm returns)
        deadline = time.monotonic() + 90
        while True:
            left = [l for l, _ in d.scrape().find("runnerscope_container_info")
                    if l["container"] in names]
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        # what is left, and whether its cgroup is still there
        assert not left, [(l["container"], os.path.exists(os.path.join(
            rs.CGROOT, "memory", "docker", l["container_id"]))) for l in left][:5]
    m = d.scrape()
    assert not [l for l, _ in m.find("runnerscope_container_cpu_seconds_total")
                if l["container_id"] not in {x["container_id"] for x, _ in
                                             base.find("runnerscope_container_info")}]
    rss1 = m.value("process_resident_memory_bytes")
    assert rss1 - rss0 <= 2**20, (rss0, rss1)


def test_runner_named_after_its_container_then_its_pod(engine, dock, daemon, tmp_path):
    """No .runner (the image's is a symlink to a host path: not followed) and no
    RUNNER_NAME: the pod name comes first, then the container name, before the hostname."""
    cid = dock(IMAGE, name="ctr-named", extra=["--hostname", "not-this"])
    logs = tmp_path / "kubelet-logs"
    logs.mkdir()
    pod_cid = dock(IMAGE, name="k8s-ish", extra=["--hostname", "nor-this"])
    # kubelet's link for the second one; made before the daemon starts, which finds both
    # agents already running
    os.symlink("/dev/null", logs / f"arc-runner-x7k2p_ci-runners_runner-{pod_cid}.log")
    time.sleep(0.5)
    d = daemon(f"--docker.data-root={engine.data_root}", f"--kubelet.log-dir={logs}")
    m = d.scrape()
    info = m.find("runnerscope_runner_info", kind="github", runner="ctr-named")
    assert len(info) == 1, m.find("runnerscope_runner_info")
    assert info[0][0]["container_id"] == cid and info[0][0]["container"] == "ctr-named"
    info = m.find("runnerscope_runner_info", kind="github", runner="arc-runner-x7k2p")
    assert len(info) == 1, m.find("runnerscope_runner_info")
    assert (info[0][0]["pod"], info[0][0]["namespace"], info[0][0]["container"]) == \
        ("arc-runner-x7k2p", "ci-runners", "runner")
    c = m.find("runnerscope_container_info", container_id=pod_cid)
    assert c[0][0]["pod"] == "arc-runner-x7k2p" and c[0][0]["runner"] == "arc-runner-x7k2p"
    assert not m.find("runnerscope_runner_info", runner="not-this")
    assert not m.find("runnerscope_runner_info", runner="nor-this")


def test_a_pod_name_that_arrives_late_shows_up(engine, dock, daemon, tmp_path):
    """kubelet links a container's log only once it runs: a link made after the daemon has seen
    the runner is found on a later look, and the runner's and container's series carry it."""
    logs = tmp_path / "kubelet-logs"
    logs.mkdir()
    cid = dock(IMAGE, name="late-pod", extra=["--hostname", "late-host"])
    d = daemon(f"--docker.data-root={engine.data_root}", f"--kubelet.log-dir={logs}")
    info = wait_for(lambda: d.scrape().find("runnerscope_runner_info", container_id=cid), 10,
                    what="the runner in its container")
    assert info[0][0]["container"] == "late-pod" and info[0][0]["pod"] == "", info
    time.sleep(2)
    os.symlink("/dev/null", logs / f"arc-runner-late1_ci-runners_runner-{cid}.log")

    def pod_shown():
        m = d.scrape()
        r = m.find("runnerscope_runner_info", container_id=cid)
        c = m.find("runnerscope_container_info", container_id=cid)
        return (r, c) if r and c and r[0][0]["pod"] and c[0][0]["pod"] else None
    r, c = wait_for(pod_shown, 60, what="the pod name found late")
    assert (r[0][0]["pod"], r[0][0]["namespace"], r[0][0]["container"]) == \
        ("arc-runner-late1", "ci-runners", "runner"), r
    assert (c[0][0]["pod"], c[0][0]["namespace"]) == ("arc-runner-late1", "ci-runners"), c
    # the image, from docker's files even where kubelet names the container
    assert c[0][0]["image"] == IMAGE, c
    # the runner keeps the name it was first counted under
    assert r[0][0]["runner"] == "late-pod", r
    assert "container names found" in d.read_log()
