"""Runner containers of Debian's real containerd (1.6), started as kubelet's CRI calls leave
them (the CRI plugin's annotations in the bundle's config.json, kubelet's cgroup paths), in the
state directories k3s/RKE2, kubeadm and others use, and one no fixed path covers: the daemon,
with its default flags, names them, counts their CPU and their jobs, and never follows what a
container plants to a host file."""
import json
import os
import secrets
import shutil
import uuid

import pytest

import containerdenv
import dockerenv
import rs
from rs import wait_for

# a container engine: the kernel matrix's guests run none
pytestmark = pytest.mark.docker

LISTENER = ["/actions-runner/bin/Runner.Listener", "run"]
IMAGE = "ghcr.io/actions/actions-runner:2.321.0"
K8S_NS = "arc-runners"
# a busy loop in the step's shell itself (ash's arithmetic and test are builtins): about a
# second of CPU here
BURN = "i=0; while [ $i -lt {n} ]; do i=$((i+1)); done"


def unusual_state():
    """A state directory none of the daemon's fixed paths covers: only the shim's own process
    (its -address, its working directory, the bundle) leads to it"""
    return f"/run/rs-test-containerd-{secrets.token_hex(4)}/state"


# state directory and namespace: k3s and RKE2 (k3s's agent config: --state
# /run/k3s/containerd, its socket in it), kubeadm's and most distributions' default, a
# namespace other than the CRI plugin's k8s.io (nerdctl's and ctr's "default"), and a state
# directory of nobody's convention
LAYOUTS = {
    "k3s": (lambda: "/run/k3s/containerd", "k8s.io"),
    "default": (lambda: "/run/containerd", "k8s.io"),
    "default-namespace": (lambda: "/run/containerd", "default"),
    "unusual-state": (unusual_state, "k8s.io"),
}


def kubepods_cgroupfs(uid, cid, qos="burstable"):
    """kubelet's --cgroup-driver=cgroupfs: the pod's cgroup /kubepods/<qos>/pod<uid>, and
    containerd's CRI puts the container in <parent>/<id> (getCgroupsPath in
    pkg/cri/server/helpers_linux.go: filepath.Join(cgroupsParent, id))"""
    return f"/kubepods/{qos}/pod{uid}/{cid}"


def kubepods_systemd(uid, cid, qos="burstable"):
    """kubelet's --cgroup-driver=systemd: the pod's slice kubepods-<qos>-pod<uid>.slice with
    the uid's dashes made underscores (pkg/kubelet/cm/cgroup_manager_linux.go,
    ConvertCgroupNameToSystemd: systemd reads '-' as a step in the hierarchy), expanded to
    /kubepods.slice/kubepods-<qos>.slice/…; containerd's CRI asks runc for
    "<pod slice>:cri-containerd:<id>" (getCgroupsPath), which runc's systemd driver makes the
    scope cri-containerd-<id>.scope in that slice. This machine has no systemd as PID 1, so
    runc's systemd driver cannot run here: the same names are made by its cgroupfs driver."""
    u = uid.replace("-", "_")
    return (f"/kubepods.slice/kubepods-{qos}.slice/kubepods-{qos}-pod{u}.slice/"
            f"cri-containerd-{cid}.scope")


@pytest.fixture
def containerd(workdir):
    """A factory: containerd(state_dir, namespace) starts a private containerd; each is stopped
    at the end, and whatever it leaves (processes, mounts, cgroups, /run state) fails the
    test."""
    made = []

    def start(state, ns):
        eng = containerdenv.ContainerdEngine(os.path.join(workdir, f"containerd{len(made)}"),
                                             state, ns)
        made.append(eng)
        return eng.start()
    yield start
    left = {}
    for eng in made:
        eng.stop()
        if eng.leftovers():
            left[eng.state] = eng.leftovers()
    assert not left, f"containerd left behind: {left}"


class PodContainer:
    """One container of a pod, run by containerd as its CRI plugin runs it: a 64-hex id, the
    pod's uid in the cgroup path, the CRI annotations; its own copy of the busybox root with
    the fake runner at /actions-runner (unless rootfs is given), so that the host reaches its
    spool."""

    def __init__(self, eng, workdir, pod, container, cmd, cgroup_of=kubepods_cgroupfs,
                 rootfs=None, env=None, cwd=None, ns=K8S_NS):
        self.id = secrets.token_hex(32)
        self.uid = str(uuid.uuid4())
        self.pod, self.container, self.ns = pod, container, ns
        self.root = rootfs or dockerenv.runner_rootfs(os.path.join(workdir, self.id[:12]),
                                                      rs.FAKE_BIN)
        self.cgroup = cgroup_of(self.uid, self.id)
        self.annotations = containerdenv.cri_annotations(
            container, pod, ns, secrets.token_hex(32), IMAGE, self.uid)
        self.eng = eng
        # an image's config gives PATH; a bare root gives none
        env = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
               **(env or {})}
        self.pid = eng.run(self.id, self.root, cmd, self.cgroup, annotations=self.annotations,
                           env=env, cwd=cwd)
        self.spool = rs.Spool(os.path.join(self.root, "actions-runner", "_spool"),
                              os.path.join(self.root, "actions-runner", "_results"))


def wait_labels(d, metric, want, timeout=20, **match):
    """The labels of the one sample of metric matching match, once they hold want; on timeout
    what there was"""
    last = []

    def got():
        last[:] = d.scrape().find(metric, **match)
        return last[0][0] if len(last) == 1 and \
            all(last[0][0].get(k) == v for k, v in want.items()) else None
    try:
        return wait_for(got, timeout, what=f"{metric}{match}")
    except AssertionError:
        raise AssertionError(f"{metric}{match}: want {want}, found {last}") from None


def container_cpu(m, cid):
    return sum(m.value("runnerscope_container_cpu_seconds_total", container_id=cid, mode=x) or 0
               for x in ("user", "system"))


def settled_cpu(cgroup, timeout=20):
    """The cgroup's own CPU figure once it has no task left and two reads agree"""
    last = [None]

    def same():
        if containerdenv.cgroup_procs(cgroup):
            return None
        v = containerdenv.cgroup_cpu_seconds(cgroup)
        was, last[0] = last[0], v
        return (v,) if v is not None and v == was else None
    return wait_for(same, timeout, interval=0.1, what=f"{cgroup}'s CPU settled")[0]


def cpu_agreement(d, cid, truth, timeout=15):
    """The daemon's CPU of the container once within 2 % of truth; the last figure either way"""
    got = [None]

    def close():
        got[0] = container_cpu(d.scrape(rs.FRESH), cid)
        return abs(got[0] - truth) <= 0.02 * truth
    try:
        wait_for(close, timeout, what="CPU within 2 %")
    except AssertionError:
        pass
    return got[0]


def names_missing(m, runtime="containerd"):
    v = m.value("runnerscope_container_names_missing_total", runtime=runtime)
    assert v is not None, \
        f"runnerscope_container_names_missing_total{{runtime=\"{runtime}\"}} is absent"
    return v


def check_runner_container(eng, d, workdir, what, cgroup_of=kubepods_cgroupfs):
    """A runner pod's container: its names and runtime from the bundle's annotations, the
    runner named after its pod, a job of about a second of CPU counted, and the container's
    CPU within 2 % of its cgroup's own figure once it has stopped changing."""
    pod = f"arc-runner-set-{what}-{secrets.token_hex(3)}"
    c = PodContainer(eng, workdir, pod, "runner", LISTENER, cgroup_of=cgroup_of)
    cinfo = wait_labels(d, "runnerscope_container_info", {
        "container": "runner", "pod": pod, "namespace": K8S_NS, "image": IMAGE,
        "runtime": "containerd", "kind": "github", "runner": pod}, container_id=c.id)
    rinfo = wait_labels(d, "runnerscope_runner_info", {
        "container_id": c.id, "container": "runner", "pod": pod, "namespace": K8S_NS},
        kind="github", runner=pod)
    c.spool.submit("burn", "step " + BURN.format(n=1000000), "exit 100")
    assert c.spool.result("burn", timeout=60)[0] == 100 << 8
    m = rs.jobs_settled(d, pod, started=1, timeout=30)
    assert m.value("runnerscope_jobs_finished_total", kind="github", runner=pod,
                   result="success") == 1
    # the Listener polls its spool every 10 ms: the container's CPU stops changing only once
    # it has ended (a `stop` file), its task stopped and its cgroup not yet removed
    open(os.path.join(c.spool.spool, "stop"), "w").close()
    eng.wait_stopped(c.id)
    truth = settled_cpu(c.cgroup)
    assert truth > 0.5, f"the job burnt {truth:.3f} s of CPU, not about a second"
    got = cpu_agreement(d, c.id, truth)
    m = d.scrape(rs.FRESH)
    print(f"\n{what}: state {eng.state} namespace {eng.ns} cgroup {c.cgroup}\n"
          f"  runnerscope_container_info {cinfo}\n  runnerscope_runner_info {rinfo}\n"
          f"  CPU {got:.4f} s, the cgroup's own {truth:.4f} s "
          f"({(got / truth - 1) * 100:+.2f} %)")
    assert abs(got - truth) <= 0.02 * truth, (got, truth)
    assert names_missing(m) == 0
    return c


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_runner_container_in_each_state_layout(layout, containerd, daemon, workdir):
    """k3s/RKE2's, kubeadm's, a non-k8s.io namespace's and an unusual state directory, with
    kubelet's cgroupfs-driver paths."""
    state, ns = LAYOUTS[layout]
    eng = containerd(state(), ns)
    d = daemon()
    check_runner_container(eng, d, workdir, layout)


def test_runner_container_with_systemd_driver_names(containerd, daemon, workdir):
    """k3s's layout with kubelet's systemd-driver cgroup names (kubepods.slice/…/
    cri-containerd-<id>.scope)."""
    eng = containerd("/run/k3s/containerd", "k8s.io")
    d = daemon()
    check_runner_container(eng, d, workdir, "systemd-names", cgroup_of=kubepods_systemd)


def test_arc_kubernetes_mode_job_pod_counts_for_the_job(containerd, daemon, workdir):
    """ARC's Kubernetes mode, all of it run by k3s's containerd: the runner pod's container and
    the hook's job pod, named after the runner pod cut to 54 plus -workflow. The job pod's CPU
    (its cgroup's own final figure) is the running job's, beside the Worker's tree, and it is
    listed among the job's containers."""
    eng = containerd("/run/k3s/containerd", "k8s.io")
    events = os.path.join(workdir, "events.jsonl")
    d = daemon(f"--events.file={events}")
    pod = "arc-runner-set-q8xkz-runner-7tq2c-a-name-longer-than-54-bytes"
    runner = PodContainer(eng, workdir, pod, "runner", LISTENER)
    hold = os.path.join(runner.root, "hold")
    os.mkfifo(hold)
    wait_labels(d, "runnerscope_runner_info", {"container_id": runner.id, "pod": pod},
                kind="github", runner=pod)
    runner.spool.submit("j1", "step read x < /hold", "exit 100")
    rs.jobs_running(d, pod, kind="github", timeout=30)
    job_root = dockerenv.busybox_rootfs(os.path.join(workdir, "job-pod", "rootfs"))
    job = PodContainer(eng, workdir, pod[:54] + "-workflow", "job",
                       ["sh", "-c", BURN.format(n=300000)], rootfs=job_root)
    eng.wait_stopped(job.id)
    burned = settled_cpu(job.cgroup)
    eng.delete(job.id)
    rs.release(hold)
    status, _ = runner.spool.result("j1", timeout=60)
    assert status == 100 << 8
    ru = runner.spool.rusage("j1")
    truth = ru["utime"] + ru["stime"] + burned
    m = rs.jobs_settled(d, pod, started=1, timeout=30)
    got = sum(m.value("runnerscope_job_cpu_seconds_total", kind="github", runner=pod,
                      mode=x) or 0 for x in ("user", "system"))
    print(f"\nARC Kubernetes mode (containerd): job CPU {got:.3f} s, expected {truth:.3f} s "
          f"(the job pod's cgroup {burned:.3f} s)")
    assert abs(got - truth) <= 0.05 * truth + 0.05, (got, ru, burned)
    fin = wait_for(lambda: [e for e in map(json.loads, open(events).read().splitlines())
                            if e["event"] == "job_finished" and e["runner"] == pod],
                   10, what="the job_finished line")
    assert job.id in [x["id"] for x in fin[0]["containers"]], fin[0]["containers"]


SECRET = "/tmp/runnerscope-host-secret"
# what the host's files say; only these files hold the values starting HOST-SECRET-
SECRET_ANNOTATIONS = {
    "io.kubernetes.cri.container-type": "container",
    "io.kubernetes.cri.container-name": "HOST-SECRET-CONTAINER",
    "io.kubernetes.cri.sandbox-name": "HOST-SECRET-POD",
    "io.kubernetes.cri.sandbox-namespace": "HOST-SECRET-NS",
    "io.kubernetes.cri.image-name": "HOST-SECRET-IMAGE",
    "io.kubernetes.container.name": "HOST-SECRET-CONTAINER",
    "io.kubernetes.pod.name": "HOST-SECRET-POD",
    "io.kubernetes.pod.namespace": "HOST-SECRET-NS",
    "io.kubernetes.cri-o.ImageName": "HOST-SECRET-IMAGE",
}


def fake_monitors(ids):
    """name: (the fake's path, its arguments as the real one gets them, the container's cgroup,
    where its paths lead on the host): containerd's shim (-namespace/-id/-address, and its
    working directory), CRI-O's conmon (-c/-b) and podman's (-c/-b/-n)"""
    uid = lambda: str(uuid.uuid4())
    shim, crio, podman = ids["fake-shim"], ids["fake-crio-conmon"], ids["fake-podman-conmon"]
    return {
        "fake-shim": (
            "/usr/bin/containerd-shim-runc-v2",
            ["-namespace", "k8s.io", "-id", shim, "-address", "/evil/containerd.sock"],
            kubepods_cgroupfs(uid(), shim),
            {"/proc/PID/cwd/config.json": "HOST-SECRET-POD",
             f"/proc/PID/root/evil/io.containerd.runtime.v2.task/k8s.io/{shim}/config.json":
                 "HOST-SECRET-POD"}),
        "fake-crio-conmon": (
            "/usr/bin/conmon",
            ["--api-version", "1", "-c", crio, "-u", crio, "-r", "/usr/sbin/runc", "-b",
             "/cbundle", "-p", "/cbundle/pidfile", "-n", "HOST-SECRET", "-l",
             "k8s-file:/cbundle/ctr.log"],
            f"/kubepods/burstable/pod{uid()}/crio-{crio}",
            {"/proc/PID/root/cbundle/config.json": "HOST-SECRET-POD"}),
        "fake-podman-conmon": (
            "/usr/bin/conmon",
            ["--api-version", "1", "-c", podman, "-u", podman, "-r", "/usr/sbin/runc", "-b",
             f"/pstore/overlay-containers/{podman}/userdata", "-n", "HOST-SECRET",
             "--exit-dir", "/tmp"],
            f"/machine.slice/libpod-{podman}.scope",
            {"/proc/PID/root/pstore/overlay-containers/containers.json":
                 "HOST-SECRET-PODMAN"}),
    }


def planted_root(workdir, cid, fake):
    """A busybox root with the fake agent (its argv free, it runs the jobs dropped into
    $FAKE_SPOOL as its children) installed as `fake`, a runner root at /inner/rootfs, and
    plants, all symlinks to the host's secret: /bundle/<id>/config.json (the fake's working
    directory, named like a bundle), /evil (its -address's directory), /cbundle and /pstore (the
    fake conmons' -b)"""
    root = dockerenv.busybox_rootfs(os.path.join(workdir, cid[:12], "rootfs"))
    os.makedirs(os.path.join(root, "usr", "bin"), exist_ok=True)
    shutil.copy2(os.path.join(rs.FAKE_BIN, "fake-agent"), os.path.join(root, fake.lstrip("/")))
    for d in ("spool", "results", f"bundle/{cid}"):
        os.makedirs(os.path.join(root, d))
    os.symlink(f"{SECRET}/config.json", os.path.join(root, "bundle", cid, "config.json"))
    os.symlink(f"{SECRET}/config.json", os.path.join(root, "bundle", "config.json"))
    os.symlink(f"{SECRET}/state", os.path.join(root, "evil"))
    os.symlink(SECRET, os.path.join(root, "cbundle"))
    os.symlink(f"{SECRET}/storage", os.path.join(root, "pstore"))
    dockerenv.runner_rootfs(os.path.join(root, "inner"), rs.FAKE_BIN)
    return root


def start_chrooted_runner(root, name):
    """The fake agent's job: a Listener chrooted into /inner/rootfs, its child, so that the first
    monitor-named ancestor whose root differs from the runner's is the fake one"""
    tmp = os.path.join(root, "spool", ".0001.tmp")
    with open(tmp, "w") as f:
        f.write(f"cmd RUNNER_NAME={name} exec chroot /inner/rootfs "
                "/actions-runner/bin/Runner.Listener run\n")
    os.rename(tmp, os.path.join(root, "spool", "0001.job"))


def listener_in(cgroup):
    def find():
        for pid in containerdenv.cgroup_procs(cgroup):
            try:
                with open(f"/proc/{pid}/comm") as f:
                    if f.read().strip() == "Runner.Listener":
                        return pid
            except OSError:
                pass
        return None
    return wait_for(find, 20, what=f"a Listener in {cgroup}")


def next_pid(n):
    """The host's next pid (CRIU's ns_last_pid), for what happens when pids wrap (pid_max is
    32768 here): a container started at high pids whose later processes get low ones lists
    them before its init in a v1 cgroup.procs (sorted by pid), where the daemon takes the
    process it walks up from"""
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(n))


def test_fake_shim_and_conmon_never_lead_to_a_host_file(containerd, daemon, workdir):
    """Containers whose init is a fake containerd-shim-runc-v2 (-namespace/-id/-address and a
    working directory leading to symlinks planted inside to the host's files) or a fake conmon
    (-c <id> -b <planted dir> -n HOST-SECRET; CRI-O's and podman's cgroups), each with a runner
    chrooted below it that the daemon walks up from. Their real bundles have no CRI
    annotations and sit in a state directory no fixed path covers. The fakes' paths, read from
    the host as a naive reader would, reach the host's files; the daemon's reads never do: no
    label holds the secret's values and its log never names the secret's path."""
    made = [] if os.path.isdir(SECRET) else [SECRET]
    os.makedirs(SECRET, exist_ok=True)
    eng = containerd(unusual_state(), "k8s.io")
    ids = {n: secrets.token_hex(32) for n in ("fake-shim", "fake-crio-conmon",
                                              "fake-podman-conmon")}
    fakes = fake_monitors(ids)
    try:
        for d in ("state", "storage"):
            shutil.rmtree(f"{SECRET}/{d}", ignore_errors=True)  # a killed run's
            made.append(f"{SECRET}/{d}")
        made.append(f"{SECRET}/config.json")
        files = {
            f"{SECRET}/config.json": {"annotations": SECRET_ANNOTATIONS},
            f"{SECRET}/state/io.containerd.runtime.v2.task/k8s.io/{ids['fake-shim']}/"
            "config.json": {"annotations": SECRET_ANNOTATIONS},
            f"{SECRET}/storage/overlay-containers/containers.json": [
                {"id": ids["fake-podman-conmon"], "names": ["HOST-SECRET-PODMAN"],
                 "metadata": json.dumps({"image-name": "HOST-SECRET-IMAGE"})}],
        }
        for path, doc in files.items():
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                json.dump(doc, f)
        env = {"FAKE_SPOOL": "/spool", "FAKE_RESULTS": "/results"}
        inits, roots = {}, {}
        with open("/proc/sys/kernel/pid_max") as f:
            next_pid(int(f.read()) - 2000)
        for name, (fake, args, cgroup, _) in fakes.items():
            cid = ids[name]
            roots[name] = planted_root(workdir, cid, fake)
            inits[name] = eng.run(cid, roots[name], [fake, *args], cgroup, env=env,
                                  cwd=f"/bundle/{cid}")
        next_pid(300)  # where the kernel starts again once pids wrap
        for name in fakes:
            start_chrooted_runner(roots[name], name)
        for name, (fake, args, cgroup, naive) in fakes.items():
            # the trap is armed: the fake is the init, named like the real one; the runner
            # below it comes first in the cgroup's list; the paths it gives, read from the host
            # without resolving them inside the container, lead to the host's files
            pid = inits[name]
            with open(f"/proc/{pid}/comm") as f:
                assert f.read().strip() == os.path.basename(fake)[:15]
            runner = listener_in(cgroup)
            assert runner < pid, (name, runner, pid)
            for path, secret in naive.items():
                with open(path.replace("PID", str(pid))) as f:
                    assert secret in f.read(), path
        # the daemon starts with all of it running
        d = daemon()
        for name in fakes:
            wait_labels(d, "runnerscope_runner_info", {"container_id": ids[name]},
                        kind="github", runner=name)
            wait_labels(d, "runnerscope_container_info", {"kind": "github", "runner": name},
                        container_id=ids[name])
        m = d.scrape(rs.FRESH)
        found = {name: m.find("runnerscope_container_info", container_id=ids[name])[0][0]
                 for name in fakes}
        print("\nfake monitors: " + "; ".join(f"{n}: {l}" for n, l in found.items()))
        leaked = [(n, l) for n, samples in m.samples.items() for l, _ in samples
                  if any("HOST-SECRET" in v for v in l.values())]
        read = [line for line in d.read_log().splitlines()
                if SECRET in line or "HOST-SECRET-" in line]
        assert not leaked and not read and SECRET not in m.text, \
            {"labels": leaked, "log": read}
    finally:
        for path in reversed(made):
            if path == SECRET:
                os.rmdir(SECRET)  # made here, and only its files were put in it
            elif os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
            elif os.path.exists(path):
                os.unlink(path)


def test_container_without_names_is_counted_missing(containerd, daemon, workdir):
    """A runner container in an unusual state directory whose bundle's config.json is gone
    before the daemon starts, with no kubelet link: once the daemon has given up on its names,
    it is counted once in runnerscope_container_names_missing_total{runtime="containerd"}."""
    eng = containerd(unusual_state(), "k8s.io")
    c = PodContainer(eng, workdir, "never-named", "runner", LISTENER,
                     env={"RUNNER_NAME": "names-missing"})
    os.unlink(os.path.join(eng.bundle(c.id), "config.json"))
    logs = os.path.join(workdir, "kubelet-logs")
    os.mkdir(logs)
    d = daemon(f"--kubelet.log-dir={logs}")
    wait_labels(d, "runnerscope_runner_info", {"container_id": c.id}, kind="github",
                runner="names-missing")
    m = wait_for(lambda: (lambda m: m if m.value(
        "runnerscope_container_names_missing_total", runtime="containerd") else None)(
        d.scrape()), 90, interval=0.5, what="the container counted without names")
    assert names_missing(m) == 1
    info = m.find("runnerscope_container_info", container_id=c.id)
    assert len(info) == 1 and (info[0][0]["container"], info[0][0]["pod"],
                               info[0][0]["namespace"]) == ("", "", ""), info
    print(f"\nnames missing: {m.find('runnerscope_container_names_missing_total')}")
