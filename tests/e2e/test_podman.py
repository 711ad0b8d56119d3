"""Runner containers on Debian's rootful podman (cgroupfs manager, hybrid cgroups), observed
from the host: names and image from podman's containers.json, runtime "podman", CPU and memory
against the container's cgroup files, and a job run inside the runner container."""
import os

import pytest

import dockerenv
import rs
from conftest import IMAGE
from podmanenv import PodmanEngine
from rs import wait_for
from test_docker import runner_json

PARENT = "libpod_parent"  # the cgroupfs manager's parent of every container


@pytest.fixture(scope="module")
def pod(tmp_path_factory):
    """A podman store of the module's own with the fake runner's image, as the Docker tests
    have theirs"""
    work = tmp_path_factory.mktemp("podman")
    eng = PodmanEngine(work / "engine").start()
    try:
        root = dockerenv.runner_rootfs(work, rs.FAKE_BIN)
        eng.import_image(root, IMAGE, changes=('CMD ["/actions-runner/bin/Runner.Listener", "run"]',))
        yield eng
    finally:
        eng.stop()


def cgfile(ctrl, cid, name):
    with open(os.path.join(rs.CGROOT, ctrl, PARENT, f"libpod-{cid}", name)) as f:
        return f.read()


def test_a_runner_container_and_its_job_on_podman(pod, daemon, tmp_path):
    assert pod.cgroup_manager == "cgroupfs", pod.cgroup_manager
    d = daemon(f"--runtime.root={pod.runtime_root}")
    host = tmp_path / "rsctr-pod-runner"
    for sub in ("spool", "results"):
        (host / sub).mkdir(parents=True)
    (host / "runner.json").write_text(runner_json("rsctr-pod-runner"), encoding="utf-8")
    cid = pod.run(IMAGE, name="rsctr-pod-runner", extra=[
        "--memory", "64m",
        "-v", f"{host}/spool:/actions-runner/_spool",
        "-v", f"{host}/results:/actions-runner/_results",
        "-v", f"{host}/runner.json:/actions-runner/.runner:ro"])
    sp = rs.Spool(str(host / "spool"), str(host / "results"))
    # a job that burns CPU inside the runner container, held at its end until the test looks
    sp.submit("burn", "step i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done",
              rs.held_step(str(host / "spool" / "hold")), "exit 100")
    sp.worker_pid("burn")

    def busy():
        m = d.scrape(rs.FRESH)
        return m if m.value("runnerscope_jobs_running", kind="github",
                            runner="rsctr-pod-runner") == 1 else None
    m = wait_for(busy, 20, what="the job running in the podman container")
    info = m.find("runnerscope_container_info", container_id=cid)
    assert len(info) == 1, m.find("runnerscope_container_info")
    assert info[0][0] == {"container_id": cid, "container": "rsctr-pod-runner", "pod": "",
                          "namespace": "", "image": f"localhost/{IMAGE}",
                          "runtime": "podman", "kind": "github",
                          "runner": "rsctr-pod-runner"}
    rinfo = m.find("runnerscope_runner_info", runner="rsctr-pod-runner")
    assert rinfo and rinfo[0][0]["container_id"] == cid
    assert rinfo[0][0]["container"] == "rsctr-pod-runner"

    # the burn over: CPU against cpuacct.usage read either side of the scrape
    wait_for(lambda: int(cgfile("cpuacct", cid, "cpuacct.usage")) > 0.1e9, 60,
             what="the job's CPU")
    before = int(cgfile("cpuacct", cid, "cpuacct.usage")) / 1e9
    m = d.scrape(rs.FRESH)
    after = int(cgfile("cpuacct", cid, "cpuacct.usage")) / 1e9
    got = sum(m.value("runnerscope_container_cpu_seconds_total", container_id=cid, mode=x)
              for x in ("user", "system"))
    assert before * 0.98 <= got <= after * 1.02, (before, got, after)
    # memory against the memory controller's files
    u0 = int(cgfile("memory", cid, "memory.usage_in_bytes"))
    m = d.scrape(rs.FRESH)
    u1 = int(cgfile("memory", cid, "memory.usage_in_bytes"))
    usage = m.value("runnerscope_container_memory_usage_bytes", container_id=cid)
    assert min(u0, u1) * 0.95 <= usage <= max(u0, u1) * 1.05, (u0, usage, u1)
    assert m.value("runnerscope_container_memory_limit_bytes", container_id=cid) == 64 * 2**20
    # podman's own network namespace (--network none): present, and 0 without lo
    assert {l["direction"]: v for l, v in m.find("runnerscope_container_network_bytes_total",
                                                 container_id=cid)} == \
        {"receive": 0, "transmit": 0}
    assert m.value("runnerscope_container_pids", container_id=cid) >= 3

    # the job ends: counted once, with its result, and its CPU is the runner's
    rs.release(str(host / "spool" / "hold"))
    assert sp.result("burn", timeout=60)[0] == 100 << 8

    def finished():
        m = d.scrape()
        return m if m.value("runnerscope_jobs_finished_total", runner="rsctr-pod-runner",
                            result="success") == 1 else None
    m = wait_for(finished, 20, what="the job finished")
    assert m.value("runnerscope_jobs_started_total", runner="rsctr-pod-runner") == 1
    job_cpu = sum(m.value("runnerscope_job_cpu_seconds_total", runner="rsctr-pod-runner",
                          mode=x) for x in ("user", "system"))
    ctr_cpu = sum(m.value("runnerscope_container_cpu_seconds_total", container_id=cid, mode=x)
                  for x in ("user", "system"))
    print(f"podman runner container {cid[:12]}: job CPU {job_cpu:.3f} s, "
          f"container CPU {ctr_cpu:.3f} s")
    assert 0.1 < job_cpu <= ctr_cpu * 1.02, (job_cpu, ctr_cpu)
