"""Runner containers on Debian's rootful podman (cgroupfs manager, hybrid cgroups), under runc
and under crun, observed from the host: names and image from podman's containers.json or, where
the daemon does not know podman's store, from conmon; runtime "podman", CPU and memory against
the container's cgroup files, and a job run inside the runner container."""
import os

import pytest

import dockerenv
import rs
from conftest import IMAGE
from podmanenv import PodmanEngine
from rs import wait_for
from test_docker import runner_json

PARENT = "libpod_parent"  # the cgroupfs manager's parent of every container

# a container engine, which the kernel matrix's guests do not run
pytestmark = pytest.mark.docker


@pytest.fixture(scope="module", params=["runc", "crun"])
def pod(request, tmp_path_factory):
    """A podman store of the module's own with the fake runner's image, as the Docker tests
    have theirs, one for each OCI runtime"""
    work = tmp_path_factory.mktemp(f"podman-{request.param}")
    eng = PodmanEngine(work / "engine", runtime=request.param)
    try:
        eng.start()
        root = dockerenv.runner_rootfs(work, rs.FAKE_BIN)
        eng.import_image(root, IMAGE, changes=('CMD ["/actions-runner/bin/Runner.Listener", "run"]',))
        yield eng
    finally:
        eng.stop()


@pytest.fixture
def ctr(pod):
    """pod.run for one test: its containers are removed when the test ends, so that the next
    test's container may take the same name and its daemon does not find them"""
    started = []

    def run(*args, **kw):
        cid = pod.run(*args, **kw)
        started.append(cid)
        return cid
    yield run
    if started:
        pod.podman("rm", "-f", "-t", "0", *started, check=False, timeout=300)


def cgfile(ctrl, cid, name):
    with open(os.path.join(rs.CGROOT, ctrl, PARENT, f"libpod-{cid}", name)) as f:
        return f.read()


# store: the daemon finds podman's containers.json under --runtime.root; conmon: it is told of
# no store (podman's may be anywhere: a graphroot of storage.conf, a rootless user's home), and
# the container's names come from its conmon's arguments
@pytest.mark.parametrize("names", ["store", "conmon"])
def test_a_runner_container_and_its_job_on_podman(pod, ctr, names, daemon, tmp_path):
    assert pod.cgroup_manager == "cgroupfs", pod.cgroup_manager
    d = daemon(*([f"--runtime.root={pod.runtime_root}"] if names == "store" else []))
    host = tmp_path / "rsctr-pod-runner"
    for sub in ("spool", "results"):
        (host / sub).mkdir(parents=True)
    (host / "runner.json").write_text(runner_json("rsctr-pod-runner"), encoding="utf-8")
    cid = ctr(IMAGE, name="rsctr-pod-runner", extra=[
        "--memory", "64m",
        "-v", f"{host}/spool:/actions-runner/_spool",
        "-v", f"{host}/results:/actions-runner/_results",
        "-v", f"{host}/runner.json:/actions-runner/.runner:ro"])
    # the runtime asked for is the one that ran it
    used = pod.podman("inspect", "-f", "{{.OCIRuntime}}", cid).stdout.strip()
    assert os.path.basename(used) == pod.runtime, (used, pod.runtime)
    sp = rs.Spool(str(host / "spool"), str(host / "results"))
    # a job that burns CPU inside the runner container, held at its end until the test looks
    sp.submit("burn", "step i=0; while [ $i -lt 400000 ]; do i=$((i+1)); done",
              rs.held_step(str(host / "spool" / "hold")), "exit 100")
    sp.worker_pid("burn")

    def busy():
        m = d.scrape(rs.FRESH)
        return m if m.value("runnerscope_jobs_running", kind="github",
                            runner="rsctr-pod-runner") == 1 else None
    wait_for(busy, 20, what="the job running in the podman container")

    # names found at the container's first sight, or at one of the retries after it
    def named():
        m = d.scrape(rs.FRESH)
        return m if any(l["container"] for l, _ in m.find("runnerscope_container_info",
                                                         container_id=cid)) else None
    try:
        m = wait_for(named, 20, what="the podman container's names")
    except AssertionError as e:
        raise AssertionError(f"{e}: {d.scrape().find('runnerscope_container_info')}") from None
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
    print(f"podman ({pod.runtime}, names from {names}) container {cid[:12]}: CPU {got:.4f} s, "
          f"its cpuacct.usage {before:.4f} s before the scrape, {after:.4f} s after")
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
    print(f"podman ({pod.runtime}) runner container {cid[:12]}: job CPU {job_cpu:.3f} s, "
          f"container CPU {ctr_cpu:.3f} s")
    assert 0.1 < job_cpu <= ctr_cpu * 1.02, (job_cpu, ctr_cpu)
