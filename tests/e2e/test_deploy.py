"""What deploy/ ships, exercised: the systemd unit (systemd-analyze verify), the Prometheus
rules (promtool, and a real Prometheus evaluating them), the Kubernetes manifests (decoded
into the API types offline, every capability and mount accounted for), the Grafana dashboard
(every query against a real Prometheus scraping a real runnerscope) and the container image
(built offline by make image, run under the test's dockerd beside runner containers)."""
import json
import os
import re
import shutil
import subprocess
import time
import urllib.parse

import pytest

import rs
from conftest import IMAGE
from rs import wait_for

DEPLOY = os.path.join(rs.REPO, "deploy")
K8S = os.path.join(DEPLOY, "kubernetes")


def run(*args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=kw.pop("timeout", 120),
                          **kw)


def test_systemd_unit_verifies(workdir):
    unit = os.path.join(workdir, "runnerscope.service")
    with open(os.path.join(DEPLOY, "systemd", "runnerscope.service")) as f:
        text = f.read()
    # verify checks that ExecStart names an executable: the one just built
    with open(unit, "w") as f:
        f.write(text.replace("/usr/local/sbin/runnerscope", rs.DAEMON))
    out = run("systemd-analyze", "verify", unit)
    assert out.returncode == 0 and not out.stdout.strip() and not out.stderr.strip(), \
        out.stdout + out.stderr
    caps = re.search(r"^CapabilityBoundingSet=(.*)$", text, re.M).group(1).split()
    # each capability has its reason written beside it
    for c in caps:
        assert re.search(rf"^#.*\b{c}\b", text, re.M), c


def test_prometheus_rules_check_and_unit_tests():
    rules = os.path.join(DEPLOY, "prometheus", "runnerscope-rules.yml")
    out = run("promtool", "check", "rules", rules)
    assert out.returncode == 0 and "SUCCESS: 18 rules found" in out.stdout, out.stdout + out.stderr
    out = run("promtool", "test", "rules", "rules-test.yml",
              cwd=os.path.join(DEPLOY, "prometheus", "tests"))
    assert out.returncode == 0 and "SUCCESS" in out.stdout, out.stdout + out.stderr


def kubectl_json(*args):
    out = run("kubectl", *args, "-o", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def dropped(src, typed, path=""):
    """fields of src that a decode into the API types did not keep"""
    if isinstance(src, dict):
        return [p for k, v in src.items()
                for p in ([f"{path}/{k}"] if k not in typed else dropped(v, typed[k],
                                                                         f"{path}/{k}"))]
    if isinstance(src, list):
        return [p for i, (a, b) in enumerate(zip(src, typed)) for p in dropped(a, b, f"{path}[{i}]")]
    return []


def test_kubernetes_manifests_decode_and_every_capability_and_mount_is_used():
    # the kustomization builds, offline, to the five objects
    out = run("kubectl", "kustomize", K8S)
    assert out.returncode == 0, out.stderr
    kinds = re.findall(r"^kind: (\w+)$", out.stdout, re.M)
    assert sorted(kinds) == ["DaemonSet", "Namespace", "Service", "ServiceAccount",
                             "ServiceMonitor"], kinds
    # as written (the label is the change that makes kubectl print it) and after a round trip
    # through the real apps/v1 and core/v1 types: no field may be lost on the way
    ds_file = os.path.join(K8S, "daemonset.yaml")
    ds = kubectl_json("label", "--local", "-f", ds_file, "rs-check=1")
    typed = kubectl_json("set", "resources", "--local", "-f", ds_file, "-c", "runnerscope",
                         "--limits=cpu=501m")
    assert dropped(ds, typed) == ["/metadata/labels/rs-check"], dropped(ds, typed)
    svc_file = os.path.join(K8S, "service.yaml")
    svc = kubectl_json("label", "--local", "-f", svc_file, "rs-check=1")
    typed = kubectl_json("set", "selector", "--local", "-f", svc_file,
                         "app.kubernetes.io/name=runnerscope")
    assert dropped(svc, typed) == ["/metadata/labels/rs-check"], dropped(svc, typed)

    spec = ds["spec"]["template"]["spec"]
    assert spec["hostPID"] is True
    c = spec["containers"][0]
    args = c["args"]
    # what runnerscope reads, by flag: every mount is one of these, and each of these mounted
    flags = dict(a[2:].split("=", 1) for a in args)
    root = flags["runtime.root"].rstrip("/")
    read = {flags["proc.root"], flags["cgroup.root"], flags["docker.data-root"],
            flags["kubelet.log-dir"], os.path.dirname(flags["bpf.pin-path"]),
            # containerd's task bundles, CRI-O's and podman's container storage
            f"{root}/run/containerd", f"{root}/run/containers", f"{root}/var/lib/containers"}
    mounts = {m["mountPath"] for m in c["volumeMounts"]}
    assert mounts == read, (mounts ^ read)
    assert all(m.get("readOnly") for m in c["volumeMounts"] if m["mountPath"] != "/sys/fs/bpf")
    assert {v["name"] for v in spec["volumes"]} == {m["name"] for m in c["volumeMounts"]}
    # every capability has its reason written above it, and none is beyond these
    sc = c["securityContext"]
    assert sc["capabilities"]["drop"] == ["ALL"] and sc["readOnlyRootFilesystem"] is True
    caps = sc["capabilities"]["add"]
    with open(ds_file) as f:
        text = f.read()
    for cap in caps:
        assert re.search(rf"#[^\n]*\n\s*- {cap}\n", text), cap
    # the least: CAP_SYS_ADMIN (BPF statistics, mounting bpffs) is left out, see docs/install.md
    assert sorted(caps) == ["BPF", "DAC_READ_SEARCH", "PERFMON", "SYS_PTRACE"], caps
    probes = [c["livenessProbe"]["httpGet"]["path"], c["readinessProbe"]["httpGet"]["path"]]
    assert probes == ["/healthz", "/healthz"]
    assert [t["operator"] for t in spec["tolerations"]] == ["Exists"]


def start_prometheus(workdir, port, rules):
    rules_copy = os.path.join(workdir, "rules.yml")
    shutil.copy(rules, rules_copy)
    p = rs.Prometheus(workdir, f"  - job_name: runnerscope\n    static_configs:\n"
                               f"      - targets: ['127.0.0.1:{port}']\n")
    with open(p.config) as f:
        text = f.read()
    with open(p.config, "w") as f:
        f.write(text.replace("  scrape_interval: 1s\n",
                             "  scrape_interval: 1s\n  evaluation_interval: 1s\n", 1)
                + f"rule_files:\n  - {rules_copy}\n")
    return p


def io_cgroup(cg, relpath, fs):
    """the container's block I/O on the test's own device: on v1 a blkio cgroup beside the
    others, with throttling set up for that device (a rate never reached), without which v1
    counts nothing; cgroup2 counts it in io.stat where the io controller is on"""
    blkio = os.path.join(rs.CGROOT, "blkio")
    if os.path.isfile(os.path.join(blkio, "blkio.reset_stats")):
        d = os.path.join(blkio, relpath)
        os.makedirs(d, exist_ok=True)
        cg.dirs.append(d)
        with open(os.path.join(d, "blkio.throttle.write_bps_device"), "w") as f:
            f.write(f"{fs.majmin} {2**40}")


def test_dashboard_queries_and_rules_against_a_real_prometheus(daemon, runners, workdir):
    d = daemon("--containers=all")
    relpath = f"docker/{rs.fake_container_id()}"
    cg = rs.Cgroup(relpath)
    fs = rs.LoopFs(workdir).__enter__()
    try:
        io_cgroup(cg, relpath, fs)
        cg.write("pids", "pids.max", 1000)
        # the Listener, first in its cgroup, in a network namespace of its own: the
        # container's network panel has its (zero) counters
        r = runners("dash", cgroup=cg, wrap=("unshare", "-n")).start()
        with start_prometheus(workdir, d.port,
                              os.path.join(DEPLOY, "prometheus", "runnerscope-rules.yml")) as p:
            p.wait('up{job="runnerscope"} == 1')
            r.submit("io", f"step dd if=/dev/zero of={fs.mnt}/f bs=64k count=64 oflag=direct",
                     "exit 100")
            for i, code in enumerate((100, 102, 100, 101)):
                r.submit(f"j{i}", "step sleep 1.2", f"exit {code}")
            r.submit("long", "step sleep 60", "exit 100")
            for i in range(4):
                r.result(f"j{i}", timeout=60)
            r.result("io", timeout=60)
            p.wait('sum(runnerscope_jobs_finished_total{runner="dash"}) == 5')
            p.wait('runnerscope_jobs_running{runner="dash"} == 1')
            time.sleep(3)  # a few scrapes of the final state, for rate()
            with open(os.path.join(DEPLOY, "grafana", "runnerscope.json")) as f:
                dash = json.load(f)
            names = [v["name"] for v in dash["templating"]["list"]]
            assert names == ["datasource", "kind", "runner"]
            assert "github" in p.api("label/kind/values?" + urllib.parse.urlencode(
                {"match[]": "runnerscope_runner_info"}))
            empty = []
            for panel in dash["panels"]:
                for t in panel.get("targets", []):
                    q = (t["expr"].replace("$__rate_interval", "1m").replace("$kind", ".*")
                         .replace("$runner", ".*"))
                    res = p.api("query?" + urllib.parse.urlencode({"query": q}))
                    if not res["result"]:
                        empty.append((panel["title"], t["refId"]))
            # every target of every panel has data here (the OOM kills as zeros: the series
            # exist from the first scrape)
            assert empty == [], empty
            # every rule as the real Prometheus evaluated it: healthy, no error
            wait_for(lambda: all(r["health"] == "ok" for g in p.api("rules")["groups"]
                                 for r in g["rules"]), 30, interval=1,
                     what="every rule evaluated")
            rules = [r for g in p.api("rules")["groups"] for r in g["rules"]]
            assert len(rules) == 18 and not [r for r in rules if r.get("lastError")]
    finally:
        cg.remove()
        fs.__exit__()


def docker_run_rs(engine, name, port, caps):
    """the image with the documented flags, the host network for the test to scrape it"""
    out = engine.docker(
        "run", "-d", "--pull", "never", "--name", name, "--network", "host", "--pid=host",
        "--cap-drop=ALL", *[f"--cap-add={c}" for c in caps],
        "-v", "/sys/fs/bpf:/sys/fs/bpf", "-v", "/sys/fs/cgroup:/host/sys/fs/cgroup:ro",
        "-v", "/proc:/host/proc:ro", "-v", f"{engine.data_root}:/host/var/lib/docker:ro",
        "runnerscope:latest", "--proc.root=/host/proc", "--cgroup.root=/host/sys/fs/cgroup",
        "--docker.data-root=/host/var/lib/docker", f"--web.listen-address=127.0.0.1:{port}",
        f"--bpf.pin-path=/sys/fs/bpf/rs-test-img-{port}", "--bpf.cleanup-on-exit")
    return out.stdout.strip().splitlines()[-1]


def stop_rs(engine, cid, port):
    """SIGTERM, so that --bpf.cleanup-on-exit detaches its programs; and whatever a killed one
    left pinned goes too"""
    engine.docker("stop", "-t", "20", cid, check=False, timeout=60)
    engine.docker("rm", "-f", cid, check=False)
    subprocess.run([rs.DAEMON, "cleanup", f"--bpf.pin-path=/sys/fs/bpf/rs-test-img-{port}"],
                   capture_output=True, timeout=30)


def test_image_builds_offline_and_sees_the_runner_containers(engine, dock, tmp_path):
    env = dict(os.environ, DOCKER_HOST=engine.host, DOCKER=engine.cli,
               DOCKER_CONFIG=engine._env.get("DOCKER_CONFIG", ""))
    out = run("make", "-C", rs.REPO, "image", env=env, timeout=1800)
    assert out.returncode == 0, (out.stdout + out.stderr)[-4000:]
    assert "Successfully tagged runnerscope:latest" in out.stdout
    # a runner whose .runner is its own user's alone (0600, uid 1000), and one named by env
    private = tmp_path / "runner.json"
    private.write_text('{"agentName": "private-standard"}', encoding="utf-8")
    os.chown(private, 1000, 1000)
    os.chmod(private, 0o600)
    spool = tmp_path / "spool"
    results = tmp_path / "results"
    spool.mkdir()
    results.mkdir()
    a = dock(IMAGE, name="img-standard", extra=[
        "-v", f"{private}:/actions-runner/.runner:ro", "-v", f"{spool}:/actions-runner/_spool",
        "-v", f"{results}:/actions-runner/_results"])
    b = dock(IMAGE, name="img-chrome", extra=["-e", "RUNNER_NAME=chrome"])
    # docker 20.10 knows neither CAP_BPF nor CAP_PERFMON: CAP_SYS_ADMIN stands for both here
    full = ["SYS_ADMIN", "SYS_PTRACE", "DAC_READ_SEARCH"]
    seen = {}
    for name, caps in (("all", full), ("no-ptrace", ["SYS_ADMIN", "DAC_READ_SEARCH"]),
                       ("no-dac", ["SYS_ADMIN", "SYS_PTRACE"])):
        port = rs.free_port()
        cid = docker_run_rs(engine, f"rs-{name}", port, caps)
        try:
            d = rs.Daemon(str(tmp_path), port=port)

            def both():
                try:
                    m = d.scrape()
                except OSError:
                    return None  # not listening yet
                return m if len(m.find("runnerscope_runner_info")) >= 2 else None
            try:
                m = wait_for(both, 30, what=f"{name}: both runners")
            except AssertionError:
                raise AssertionError(engine.docker("logs", cid, check=False).stderr[-3000:])
            seen[name] = {l["container_id"]: l["runner"]
                          for l, _ in m.find("runnerscope_runner_info")}
            if name == "all":
                rs.Spool(str(spool), str(results)).submit("img", "step true", "exit 100")
                m = wait_for(lambda: (lambda m: m if m.value(
                    "runnerscope_jobs_finished_total", kind="github", runner="private-standard",
                    result="success") == 1 else None)(d.scrape()), 30, what="the job counted")
                assert m.find("runnerscope_container_info", container_id=a)
        finally:
            stop_rs(engine, cid, port)
    assert seen["all"] == {a: "private-standard", b: "chrome"}, seen
    # without CAP_SYS_PTRACE another container's root cannot be entered; without
    # CAP_DAC_READ_SEARCH a 0600 file of another user cannot be read: the container's name
    assert seen["no-ptrace"][a] == "img-standard" and seen["no-dac"][a] == "img-standard", seen
    # without CAP_SYS_ADMIN (or CAP_BPF and CAP_PERFMON) nothing loads: one clear line
    port = rs.free_port()
    cid = docker_run_rs(engine, "rs-none", port, ["SYS_PTRACE", "DAC_READ_SEARCH"])
    try:
        wait_for(lambda: engine.docker("inspect", "-f", "{{.State.Running}}", cid)
                 .stdout.strip() == "false", 30, what="it exits")
        logs = engine.docker("logs", cid).stderr
        assert "missing privilege" in logs, logs
    finally:
        stop_rs(engine, cid, port)
