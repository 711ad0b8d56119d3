"""The containers a job starts are the job's: a fake GitHub Worker runs the real docker CLI as
the runner does (its instance label on every container), and what runs in those containers
counts for the job, as if it ran in the job's own tree."""
import errno
import hashlib
import json
import os
import secrets
import shlex
import subprocess
import threading
import time

import pytest

import rs
from rs import wait_for

import dockerenv
from conftest import IMAGE, runner_engine

# a busy loop in the container's shell itself (ash's arithmetic and test are builtins), then
# the shell's own utime and stime in clock ticks; "; true" keeps ash from exec'ing cat
BURN = ("i=0; while [ $i -lt {n} ]; do i=$((i+1)); done; "
        "cat /proc/$$/stat > /out/{out}; true")
TICK = 1 / os.sysconf("SC_CLK_TCK")


def runner_label(root):
    """What the runner puts on its containers: sha256 of .runner's lower-cased text, no BOM."""
    with open(os.path.join(root, ".runner"), "rb") as f:
        text = f.read().decode("utf-8-sig")
    return hashlib.sha256(text.lower().encode()).hexdigest()[:6]


def ticks(path):
    """utime + stime of a /proc/<pid>/stat line, in seconds."""
    with open(path) as f:
        text = f.read()
    fields = text[text.rindex(")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) * TICK


def job_cpu(m, runner):
    return sum(m.value("runnerscope_job_cpu_seconds_total", kind="github", runner=runner,
                       mode=mode) or 0 for mode in ("user", "system"))


def finished_lines(events, runner, n=1):
    """The job_finished lines of runner in the event log, once there are n."""
    def lines():
        got = [e for e in map(json.loads, events.read_text().splitlines())
               if e["event"] == "job_finished" and e["runner"] == runner]
        return got if len(got) >= n else None
    return wait_for(lines, 10, what=f"{n} job_finished lines of {runner}")


def github_job_setup(engine, daemon, runners, tmp_path, runner, data_root=None):
    """A daemon with an event log, a fake GitHub runner started, the label it puts on its
    containers, the engine's docker CLI and a directory the containers write to (/out)."""
    out = tmp_path / "out"
    out.mkdir()
    events = tmp_path / "events.jsonl"
    d = daemon(f"--docker.data-root={data_root or engine.data_root}", f"--events.file={events}")
    r = runners(runner).start()
    return d, r, runner_label(r.root), f"{engine.cli} -H {engine.host}", out, events


def wait_finished(d, runner, n):
    return wait_for(lambda: (lambda m: m if sum(
        v for _, v in m.find("runnerscope_jobs_finished_total", runner=runner)) >= n
        else None)(d.scrape()), 30, what=f"{n} jobs of {runner} finished")


def test_container_action_and_job_container_count_for_the_job(engine, daemon, runners, tmp_path):
    """A container action (docker run --rm) burning CPU as its init, and a job container whose
    step is docker exec'd into it: each container's CPU goes to the job, beside the CLI's."""
    d, r, label, docker, out, events = github_job_setup(engine, daemon, runners, tmp_path,
                                                        "ctr-jobs")
    mount = f"-v {out}:/out"
    alias = secrets.token_hex(16)
    job_ctr = f"{alias}_runnerscopefakerunnertest_{secrets.token_hex(3)}"
    action = f"runnerscopefakerunnertest_{secrets.token_hex(3)}"
    r.submit(
        "j1",
        # a container action: its entrypoint burns, as the container's init
        f"step {docker} run --rm --pull never --network none --label {label} {mount} "
        f"--name {action} {IMAGE} "
        f"sh -c '{BURN.format(n=300000, out='action.stat')}'",
        # the job container, made and started as the runner does, its step docker exec'd
        f"step {docker} create --pull never --network none --label {label} {mount} "
        f"--name {job_ctr} --entrypoint tail {IMAGE} -f /dev/null && {docker} start {job_ctr}",
        f"step {docker} exec {job_ctr} sh -c '{BURN.format(n=300000, out='exec.stat')}'",
        # held until the test has seen a pass read the job container after its step
        f"step while [ ! -e {out}/go ]; do sleep 0.05; done",
        f"step {docker} rm --force {job_ctr}",
        "exit 100")
    # the shell's redirection makes the file before cat has written the line
    wait_for(lambda: (out / "exec.stat").exists() and
             (out / "exec.stat").read_text().endswith("\n"), 120, what="the exec'd step")
    burned = ticks(out / "exec.stat")

    def read_after_step():
        m = d.scrape()
        info = m.find("runnerscope_container_info", container=job_ctr)
        if not info:
            return None
        cid = info[0][0]["container_id"]
        used = sum(m.value("runnerscope_container_cpu_seconds_total", container_id=cid,
                           mode=x) or 0 for x in ("user", "system"))
        return used if used >= 0.8 * burned else None
    wait_for(read_after_step, 30, what="the job container's cgroup read after its step")
    # the job container's init (runc's init, then tail) is the job's too: idle from here, its
    # CPU is final now (runc init's start-up grows when the CPUs are busy)
    init = ticks(f"/proc/{engine.host_pid(job_ctr)}/stat")
    (out / "go").touch()
    status, _ = r.result("j1", timeout=120)
    assert status == 100 << 8
    ru = r.rusage("j1")
    ctr = ticks(out / "action.stat") + ticks(out / "exec.stat") + init
    assert ctr > 0.3, ctr
    truth = ru["utime"] + ru["stime"] + ctr
    m = wait_finished(d, "ctr-jobs", 1)
    got = job_cpu(m, "ctr-jobs")
    print(f"agreement: job CPU {got:.3f} s; Listener's getrusage {ru['utime'] + ru['stime']:.3f}"
          f" s + containers' processes {ctr:.3f} s (the job container's init {init:.3f} s)"
          f" = {truth:.3f} s")
    # the CLI's own CPU is in getrusage; the containers' only in their processes' stat
    assert abs(got - truth) <= 0.05 * truth + 0.05, (got, ru, ctr)
    assert got > ru["utime"] + ru["stime"] + 0.8 * ctr, (got, ru, ctr)
    # job_finished lists them, each with its role; the job container, read at every pass
    # while its step burned, with its cgroup's CPU and memory
    fin = finished_lines(events, "ctr-jobs")
    ctrs = {c["name"]: c for c in fin[0]["containers"]}
    assert {n: c["role"] for n, c in ctrs.items()} == {action: "action", job_ctr: "job"}, ctrs
    assert all(c["image"] == IMAGE and len(c["id"]) == 64 for c in ctrs.values()), ctrs
    j = ctrs[job_ctr]
    assert j["cpu_user_seconds"] + j["cpu_system_seconds"] >= 0.8 * burned, j
    assert j["memory_peak_bytes"] > 0, j


def test_oom_kill_in_a_service_container_is_the_jobs(engine, daemon, runners, tmp_path):
    """A service container with a 64 MiB limit; a step docker exec'd into it goes over it: the
    OOM kill is the job's, and the job's container is reported as its runner's."""
    if not os.path.exists(os.path.join(rs.CGROOT, "memory")) and not os.path.exists(
            os.path.join(rs.CGROOT, "cgroup.controllers")):
        raise AssertionError("no memory controller to limit a container with")
    d, r, label, docker, _, events = github_job_setup(engine, daemon, runners, tmp_path,
                                                      "svc-oom")
    svc = f"{secrets.token_hex(16)}_postgres_{secrets.token_hex(3)}"
    r.submit(
        "j1",
        f"step {docker} create --pull never --network none --label {label} --memory 64m "
        f"--memory-swap 64m --name {svc} {IMAGE} sleep 3600 && {docker} start {svc}",
        # 256 MiB in one buffer: the OOM killer takes dd
        f"step {docker} exec {svc} dd if=/dev/zero of=/dev/null bs=256M count=1; true",
        f"step {docker} rm --force {svc}",
        "exit 100")
    status, _ = r.result("j1", timeout=120)
    assert status == 100 << 8
    m = wait_finished(d, "svc-oom", 1)
    assert m.value("runnerscope_job_oom_kills_total", kind="github", runner="svc-oom") == 1, \
        m.find("runnerscope_job_oom_kills_total")
    assert m.value("runnerscope_jobs_finished_total", kind="github", runner="svc-oom",
                   result="success") == 1
    fin = finished_lines(events, "svc-oom")
    assert fin[0]["oom_kills"] == 1, fin
    assert [(c["name"], c["role"]) for c in fin[0]["containers"]] == [(svc, "service")], fin


def test_a_container_of_another_runner_or_after_the_job_counts_for_nobody(engine, daemon,
                                                                          runners, tmp_path):
    """Another runner's label, or this runner's between jobs: nothing is added to any job."""
    d, r, label, _, out, _ = github_job_setup(engine, daemon, runners, tmp_path,
                                              "idle-between")
    r.submit("j1", "exit 100")
    r.result("j1")
    m = wait_finished(d, "idle-between", 1)
    before = job_cpu(m, "idle-between")
    for lbl in (label, "0a1b2c"):
        engine.docker("run", "--rm", "--pull", "never", "--network", "none", "--label", lbl,
                      "-v", f"{out}:/out", IMAGE, "sh", "-c",
                      BURN.format(n=200000, out="idle.stat"), timeout=120)
    assert ticks(out / "idle.stat") > 0.1
    # the pass after the containers ended has run: a second job's end is seen after them
    r.submit("j2", "exit 100")
    r.result("j2")
    m = wait_finished(d, "idle-between", 2)
    assert job_cpu(m, "idle-between") - before < 0.1, (before, job_cpu(m, "idle-between"))


def test_buildkite_docker_plugin_container_counts_for_its_job(engine, daemon, agents, tmp_path):
    """The docker plugin labels its container com.buildkite.job-id=$BUILDKITE_JOB_ID: the
    container's CPU goes to the bootstrap's job, and job_finished lists it as a step."""
    out = tmp_path / "out"
    out.mkdir()
    events = tmp_path / "events.jsonl"
    d = daemon(f"--docker.data-root={engine.data_root}", f"--events.file={events}")
    a = agents("buildkite-agent", "start", env={"BUILDKITE_AGENT_NAME": "bk-ctr"})
    job_id = "0190a3b2-7c4d-4e8f-9a1b-2c3d4e5f6a7b"
    docker = f"{engine.cli} -H {engine.host}"
    name = a.submit(
        f"env BUILDKITE_JOB_ID={job_id}", "env BUILDKITE_PIPELINE_SLUG=web", "bootstrap",
        f"bstep {docker} run --rm --pull never --network none "
        f"--label com.buildkite.job-id=$BUILDKITE_JOB_ID -v {out}:/out {IMAGE} "
        f"sh -c '{BURN.format(n=300000, out='bk.stat')}'",
        "exit 0")
    a.result(name, timeout=120)
    burned = ticks(out / "bk.stat")
    assert burned > 0.15, burned
    m = wait_for(lambda: (lambda m: m if m.value(
        "runnerscope_jobs_finished_total", kind="buildkite", runner="bk-ctr",
        result="success") == 1 else None)(d.scrape()), 30, what="the Buildkite job finished")
    got = sum(m.value("runnerscope_job_cpu_seconds_total", kind="buildkite", runner="bk-ctr",
                      mode=x) for x in ("user", "system"))
    print(f"agreement (Buildkite): job CPU {got:.3f} s, the container's shell {burned:.3f} s")
    # the bootstrap and the docker CLI add a little; the container's shell is most of it
    assert got >= 0.9 * burned, (got, burned)
    fin = finished_lines(events, "bk-ctr")
    assert [(c["role"], c["image"]) for c in fin[0]["containers"]] == [("step", IMAGE)], fin


def test_two_jobs_back_to_back_each_get_their_own_container(engine, daemon, runners, tmp_path):
    """One runner, two jobs one after the other, each running a labelled container that burns a
    different amount: each job's job_finished has its own container and its own CPU."""
    d, r, label, docker, out, events = github_job_setup(engine, daemon, runners, tmp_path,
                                                        "back-to-back")
    names, truth = {}, {}
    for job, n in (("j1", 400000), ("j2", 100000)):
        names[job] = f"act_{job}_{secrets.token_hex(3)}"
        r.submit(job, f"step {docker} run --rm --pull never --network none --label {label} "
                 f"-v {out}:/out --name {names[job]} {IMAGE} "
                 f"sh -c '{BURN.format(n=n, out=job + '.stat')}'", "exit 100")
        r.result(job, timeout=120)
        ru = r.rusage(job)
        truth[job] = ru["utime"] + ru["stime"] + ticks(out / f"{job}.stat")
    wait_finished(d, "back-to-back", 2)
    fin = finished_lines(events, "back-to-back", 2)
    for job, e in zip(("j1", "j2"), fin):
        assert [c["name"] for c in e["containers"]] == [names[job]], e
        got = e["cpu_user_seconds"] + e["cpu_system_seconds"]
        print(f"agreement (back to back, {job}): job CPU {got:.3f} s, expected {truth[job]:.3f} s")
        assert abs(got - truth[job]) <= 0.05 * truth[job] + 0.05, (job, got, truth)


class InnerEngine(dockerenv.DockerEngine):
    """An engine as a dind sidecar runs one: in a mount namespace of its own, its data root at
    /var/lib/docker there (the host sees it elsewhere), its containers at the host's
    /docker/<id> as a sidecar without a cgroup namespace puts them."""

    def _daemon_cmd(self):
        cmd = super()._daemon_cmd()
        cmd[cmd.index("--data-root") + 1] = "/var/lib/docker"
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                "mkdir -p /var/lib/docker && "
                f"mount --bind {shlex.quote(self.data_root)} /var/lib/docker && exec "
                + " ".join(shlex.quote(c) for c in cmd)]


@pytest.fixture
def inner_engine(tmp_path_factory):
    eng = runner_engine(tmp_path_factory.mktemp("inner-docker"), cls=InnerEngine)
    try:
        yield eng
    finally:
        eng.stop()


def test_dind_engine_containers_count_for_the_job(inner_engine, daemon, runners, tmp_path):
    """The job's containers run under an engine whose files the host does not see where
    --docker.data-root says: they are read in the engine's own filesystem, through the
    containers' shim, and count for the job."""
    # the daemon's docker data root is not this engine's
    d, r, label, docker, out, events = github_job_setup(
        inner_engine, daemon, runners, tmp_path, "dind-jobs", tmp_path / "no-engine-here")
    name = f"dind_{secrets.token_hex(3)}"
    r.submit("j1", f"step {docker} run --rm --pull never --network none --label {label} "
             f"-v {out}:/out --name {name} {IMAGE} "
             f"sh -c '{BURN.format(n=300000, out='dind.stat')}'", "exit 100")
    status, _ = r.result("j1", timeout=120)
    assert status == 100 << 8
    ru = r.rusage("j1")
    burned = ticks(out / "dind.stat")
    truth = ru["utime"] + ru["stime"] + burned
    m = wait_finished(d, "dind-jobs", 1)
    got = job_cpu(m, "dind-jobs")
    print(f"agreement (dind): job CPU {got:.3f} s, expected {truth:.3f} s")
    assert abs(got - truth) <= 0.05 * truth + 0.05, (got, ru, burned)
    fin = finished_lines(events, "dind-jobs")
    assert [c["role"] for c in fin[0]["containers"]] == ["action"], fin


@pytest.mark.parametrize("names_from", ["bundle", "kubelet-link"])
def test_arc_kubernetes_mode_job_pod_counts_for_the_job(engine, dock, daemon, tmp_path,
                                                        names_from):
    """ARC's Kubernetes mode: the hook runs the job in a pod named after the runner pod (cut to
    54) plus -workflow. Emulated with kubelet's cgroup layout (--cgroup-parent) and the CRI
    bundle containerd writes before the container starts, or, where no bundle is found, only
    kubelet's log link: the job pod's work is the job's."""
    import uuid
    logs, root, out = tmp_path / "kubelet-logs", tmp_path / "runtime-root", tmp_path / "out"
    spool, results = tmp_path / "spool", tmp_path / "results"
    for p in (logs, root, out, spool, results):
        p.mkdir()
    pod = "arc-runner-set-q8xkz-runner-7tq2c-a-name-longer-than-54-bytes"
    runner = dock(IMAGE, name="arc-k8s-runner", extra=[
        "--cgroup-parent", f"/kubepods/burstable/pod{uuid.uuid4()}",
        "-v", f"{spool}:/actions-runner/_spool", "-v", f"{results}:/actions-runner/_results",
        "-v", f"{out}:/out"])
    os.symlink("/dev/null", logs / f"{pod}_arc-runners_runner-{runner}.log")
    d = daemon(f"--docker.data-root={engine.data_root}", f"--kubelet.log-dir={logs}",
               f"--runtime.root={root}")
    sp = rs.Spool(str(spool), str(results))
    sp.submit("j1", "step while [ ! -e /out/go ]; do sleep 0.05; done", "exit 100")
    rs.jobs_running(d, pod, kind="github", timeout=30)
    # the hook's job pod: made, its CRI bundle written, then started
    job_pod = engine.docker(
        "create", "--pull", "never", "--network", "none",
        "--cgroup-parent", f"/kubepods/burstable/pod{uuid.uuid4()}", "-v", f"{out}:/out",
        IMAGE, "sh", "-c", BURN.format(n=300000, out="pod.stat")).stdout.strip()
    if names_from == "bundle":
        bundle = root / "run/containerd/io.containerd.runtime.v2.task/k8s.io" / job_pod
        bundle.mkdir(parents=True)
        (bundle / "config.json").write_text(json.dumps({"annotations": {
            "io.kubernetes.cri.container-type": "container",
            "io.kubernetes.cri.container-name": "job",
            "io.kubernetes.cri.sandbox-name": pod[:54] + "-workflow",
            "io.kubernetes.cri.sandbox-namespace": "arc-runners",
            "io.kubernetes.cri.image-name": "ghcr.io/actions/actions-runner:latest"}}))
    else:
        os.symlink("/dev/null", logs / f"{pod[:54]}-workflow_arc-runners_job-{job_pod}.log")
    engine.docker("start", job_pod)
    assert engine.wait(job_pod) == 0
    engine.docker("rm", job_pod)
    burned = ticks(out / "pod.stat")
    (out / "go").touch()
    status, _ = sp.result("j1", timeout=60)
    assert status == 100 << 8
    ru = sp.rusage("j1")
    truth = ru["utime"] + ru["stime"] + burned
    m = wait_finished(d, pod, 1)
    got = job_cpu(m, pod)
    print(f"agreement (ARC Kubernetes mode): job CPU {got:.3f} s, expected {truth:.3f} s")
    assert abs(got - truth) <= 0.05 * truth + 0.05, (got, ru, burned)


def cgroup_cpu(cid):
    """The container's cgroup's CPU seconds now (cpuacct.usage, or cgroup2's cpu.stat); None
    once it is gone"""
    try:
        if os.path.isdir(os.path.join(rs.CGROOT, "cpuacct")):
            with open(os.path.join(rs.CGROOT, "cpuacct", "docker", cid, "cpuacct.usage")) as f:
                return int(f.read()) / 1e9
        with open(os.path.join(rs.unified_root(), "docker", cid, "cpu.stat")) as f:
            return int(dict(line.split() for line in f)["usage_usec"]) / 1e6
    except (FileNotFoundError, ValueError, KeyError):
        return None
    except OSError as e:
        # a cgroup being removed answers a read of a file opened just before with ENODEV
        if e.errno == errno.ENODEV:
            return None
        raise


class LastRead:
    """Reads a container's cgroup CPU every millisecond until its runtime removes it. The
    container's command ends idle: the last value read twice in a row, once the counter had
    stopped changing, is what the cgroup's own counter said before its last exit and removal
    (its tasks' exits add microseconds). A reader starved through the whole idle end has none,
    rather than a value from before the command's end."""

    def __init__(self, cid):
        self.cid, self.last, self.idle, self.reads = cid, None, None, 0
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        seen = False
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            v = cgroup_cpu(self.cid)
            if v is None and seen:
                return
            if v is not None:
                if v == self.last:
                    self.idle = v
                seen, self.last = True, v
                self.reads += 1
            time.sleep(0.001)

    def value(self, timeout=60):
        self.thread.join(timeout * rs.TIMEOUT_SCALE)
        assert not self.thread.is_alive(), f"container {self.cid} was not removed"
        assert self.idle is not None, \
            f"container {self.cid}: no two equal reads in its idle end ({self.reads} reads)"
        return self.idle


# a busy loop in the container's shell, then idle for its last moments, as a step that ends
IDLE_END = "i=0; while [ $i -lt {n} ]; do i=$((i+1)); done; sleep 0.3"


def test_docker_run_rm_containers_keep_their_final_cpu(engine, daemon, tmp_path):
    """Twenty `docker run --rm` containers of 100-300 ms of CPU, which docker removes the moment
    they end: each is counted created and removed, and keeps its final CPU, within 2 % of its
    cgroup's counter read just before the removal."""
    docker = [*engine.cli.split(), "-H", engine.host]
    d = daemon(f"--docker.data-root={engine.data_root}", "--containers=all")
    m0 = d.scrape(rs.FRESH)
    entries0 = m0.value("runnerscope_bpf_map_entries", map="cgroups_map")
    key = {"runtime": "docker", "kind": "", "runner": "", "role": ""}
    before = [m0.value(n, **key) or 0 for n in ("runnerscope_containers_created_total",
                                                 "runnerscope_containers_removed_total")]
    made = []
    for i in range(20):
        cid = subprocess.run(
            [*docker, "create", "--rm", "--pull", "never", "--network", "none", IMAGE, "sh",
             "-c", IDLE_END.format(n=60000 + 8000 * i)],
            check=True, capture_output=True, text=True, timeout=60).stdout.strip()
        watch = LastRead(cid)
        subprocess.run([*docker, "start", "-a", cid], check=True, capture_output=True,
                       timeout=120)
        made.append((cid, watch.value()))
    # counted removed at its first rmdir (one a hierarchy on v1): compared once the daemon has
    # taken every rmdir, each with its hierarchy's final values
    m = wait_for(lambda: (lambda m: m if [m.value(n, **key) or 0 for n in (
        "runnerscope_containers_created_total", "runnerscope_containers_removed_total")] ==
        [before[0] + 20, before[1] + 20] and
        m.value("runnerscope_bpf_map_entries", map="cgroups_map") == entries0 else None)(
        d.scrape(rs.FRESH)), 60, what="20 containers created and removed, their rmdirs taken",
        show=lambda: (lambda m: (before, entries0, [m.value(n, **key) for n in (
            "runnerscope_containers_created_total", "runnerscope_containers_removed_total")],
            m.value("runnerscope_bpf_map_entries", map="cgroups_map")))(d.scrape(rs.FRESH)))
    bad = []
    for cid, last in made:
        got = sum(m.value("runnerscope_container_cpu_seconds_total", container_id=cid,
                          mode=x) or 0 for x in ("user", "system"))
        print(f"container {cid[:12]}: {got:.4f} s, its cgroup's last read {last:.4f} s")
        if not abs(got - last) <= 0.02 * last + 0.002:
            bad.append((cid, got, last))
    assert not bad, bad


def test_container_action_job_finished_has_its_final_cpu(engine, daemon, runners, tmp_path):
    """A GitHub container action of about half a second, removed by docker as it ends: its
    job_finished entry has its final CPU, within 2 % of its cgroup's counter read just before
    the removal."""
    d, r, label, docker, out, events = github_job_setup(engine, daemon, runners, tmp_path,
                                                        "action-final")
    cidfile = out / "cid"
    go = str(tmp_path / "go")
    name = f"runnerscopefakerunnertest_{secrets.token_hex(3)}"
    r.submit(
        "j1",
        f"step {docker} create --rm --pull never --network none --label {label} "
        f"--cidfile {cidfile} --name {name} {IMAGE} sh -c '{IDLE_END.format(n=400000)}'",
        rs.held_step(go),
        f"step {docker} start -a {name}",
        "exit 100")
    wait_for(lambda: cidfile.exists() and len(cidfile.read_text().strip()) == 64, 60,
             what="the action's container made")
    cid = cidfile.read_text().strip()
    watch = LastRead(cid)
    rs.release(go)
    assert r.result("j1", timeout=120)[0] == 100 << 8
    last = watch.value()
    fin = finished_lines(events, "action-final")[0]
    ctrs = {c["id"]: c for c in fin["containers"]}
    assert cid in ctrs and ctrs[cid]["role"] == "action", fin["containers"]
    got = ctrs[cid]["cpu_user_seconds"] + ctrs[cid]["cpu_system_seconds"]
    print(f"agreement: the action's {got:.4f} s against its cgroup's last read {last:.4f} s")
    assert last > 0.3, last
    assert abs(got - last) <= 0.02 * last + 0.002, (got, last)
