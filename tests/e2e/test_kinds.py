"""Every runner kind on the real kernel: fake Buildkite, Gitea, Forgejo and GitLab agents with the real
process names and argument shapes, jobs as child trees and as real Docker containers named
and labelled as the real runners name and label them. Counts are exact per runner."""
import json
import os
import secrets
import time

import pytest

import rs
from conftest import IMAGE
from rs import wait_for

RESULTS = ("success", "success_with_issues", "failure", "cancelled", "skipped", "abandoned")


def counts(m, kind, runner):
    return {
        "started": m.value("runnerscope_jobs_started_total", kind=kind, runner=runner),
        **{r: m.value("runnerscope_jobs_finished_total", kind=kind, runner=runner, result=r)
           for r in RESULTS},
    }


def want(started, **finished):
    return {"started": started, **{r: finished.get(r, 0) for r in RESULTS}}


def wait_counts(d, kind, runner, expected, timeout=30):
    last = {}

    def done():
        nonlocal last
        m = d.scrape()
        last = counts(m, kind, runner)
        return m if last == expected else None
    try:
        return wait_for(done, timeout, what=f"{kind}/{runner} counts")
    except AssertionError:
        raise AssertionError(f"{kind}/{runner}: {last} != {expected}\n"
                             f"{d.read_log()[-3000:]}") from None


def events(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def test_buildkite_bootstrap_children_are_jobs(daemon, agents, workdir, cgroups):
    out = os.path.join(workdir, "events.jsonl")
    d = daemon(f"--events.file={out}")
    a = agents("buildkite-agent", "start", env={"BUILDKITE_AGENT_NAME": "bk-1"},
               cgroup=cgroups("rs-test-bk"))
    job = ("env BUILDKITE_JOB_ID=0190-aa", "env BUILDKITE_PIPELINE_SLUG=web",
           "env BUILDKITE_LABEL=:test:", "env BUILDKITE_BUILD_NUMBER=17", "bootstrap")
    names = [a.submit(*job, "bstep sleep 0.2", "exit 0"),
             a.submit(*job, "bstep /bin/true", "exit 0"),
             a.submit(*job, "bstep /bin/true", "exit 1"),
             a.submit(*job, "bstep /bin/true", "signal 15"),
             # no step at all: the bootstrap is gone within a millisecond, and its context
             # comes only with its start event
             a.submit(*job, "exit 0")]
    for n in names:
        a.result(n)
    m = wait_counts(d, "buildkite", "bk-1", want(5, success=3, failure=1, cancelled=1))
    assert m.value("runnerscope_runner_up", kind="buildkite", runner="bk-1") == 1
    log = events(out)
    for what in ("job_started", "job_finished"):
        lines = [e for e in log if e["event"] == what]
        assert len(lines) == 5, (what, lines)
        assert [(e["repository"], e["job"]) for e in lines] == [("web", ":test:")] * 5, lines


def test_gitea_host_mode_steps_make_one_job(daemon, agents, cgroups):
    d = daemon("--jobs.end-after-idle=1s")
    runner_file = json.dumps({"WARNING": "generated", "id": 3, "uuid": secrets.token_hex(8),
                              "name": "gitea-host", "token": "x", "labels": ["linux:host"]})
    a = agents("gitea-runner", "daemon", args=("--config", "config.yaml"),
               files={".runner": runner_file, "config.yaml": "runner: {}\n"},
               cgroup=cgroups("rs-test-gitea-host"))

    def job(task, *steps):
        return a.submit("env GITEA_ACTIONS=true",
                        f"env JOB_CONTAINER_NAME=GITEA-ACTIONS-TASK-{task}_WORKFLOW-ci_JOB-build",
                        "env GITHUB_REPOSITORY=org/app", "env GITHUB_WORKFLOW=ci",
                        f"env GITHUB_RUN_ID={task}", "env GITHUB_JOB=build",
                        *(f"host {s}" for s in steps))
    # three steps in turn, each the agent's own child: one job
    t0 = time.monotonic()
    ok = job(11, "sleep 0.3", "/bin/true", "sleep 0.2")
    a.result(ok)
    took = time.monotonic() - t0
    wait_counts(d, "gitea", "gitea-host", want(1, success=1))
    bad = job(12, "/bin/true", "sleep 0.1; exit 3", "/bin/true")
    a.result(bad)
    # a process of the agent's that is no step (no Gitea marks): no job
    a.result(a.submit("cmd /bin/true"))
    m = wait_counts(d, "gitea", "gitea-host", want(2, success=1, failure=1))
    assert m.value("runnerscope_jobs_running", kind="gitea", runner="gitea-host") == 0
    dur = m.value("runnerscope_job_duration_seconds_sum", kind="gitea", runner="gitea-host",
                  result="success")
    # its end is the last step's exit, not the idle time (1 s) after it: within what the
    # test itself waited for the job
    assert 0.4 < dur <= took, (dur, took)


def test_forgejo_runner_and_gitea_runner_side_by_side(daemon, agents, cgroups):
    """Forgejo's runner (forgejo/runner): `forgejo-runner daemon`, its registration in the file
    its config's runner.file names, its steps carrying FORGEJO_ACTIONS=true beside
    GITEA_ACTIONS=true and no RUNNER_NAME. Beside it an act_runner whose steps carry only
    GITEA_ACTIONS: each runner gets its own jobs."""
    d = daemon("--jobs.end-after-idle=1s")
    reg = json.dumps({"WARNING": "generated", "id": 5, "uuid": secrets.token_hex(8),
                      "name": "forgejo-host", "token": "x", "address": "https://f.example",
                      "labels": ["docker:host"]})
    fj = agents("forgejo-runner", "daemon", args=("--config", "config.yml"),
                files={"runner.json": reg, "config.yml":
                       "runner:\n  file: runner.json\n  capacity: 3\n"},
                cgroup=cgroups("rs-test-forgejo-host"))
    gt = agents("act_runner", "daemon",
                files={".runner": json.dumps({"id": 6, "name": "gitea-beside", "token": "y"})},
                cgroup=cgroups("rs-test-gitea-beside"))

    def job(agent, task, marks, *steps):
        return agent.submit(*(f"env {m}" for m in marks), "env GITHUB_REPOSITORY=org/app",
                            f"env GITHUB_RUN_ID={task}", "env GITHUB_JOB=build",
                            *(f"host {s}" for s in steps))
    forgejo = ("GITEA_ACTIONS=true", "FORGEJO_ACTIONS=true",
               "JOB_CONTAINER_NAME=FORGEJO-ACTIONS-TASK-{t}_WORKFLOW-abc_JOB-build")
    a = job(fj, 31, [m.format(t=31) for m in forgejo], "sleep 0.2", "/bin/true")
    b = job(gt, 32, ["GITEA_ACTIONS=true"], "/bin/true", "sleep 0.1")
    c = job(fj, 33, [m.format(t=33) for m in forgejo], "/bin/true", "sleep 0.1; exit 4")
    for agent, name in ((fj, a), (gt, b), (fj, c)):
        agent.result(name)
    m = wait_counts(d, "forgejo", "forgejo-host", want(2, success=1, failure=1))
    wait_counts(d, "gitea", "gitea-beside", want(1, success=1))
    assert m.value("runnerscope_runner_info", kind="forgejo", runner="forgejo-host") == 1
    assert m.value("runnerscope_runner_capacity", kind="forgejo", runner="forgejo-host") == 3
    assert counts(m, "gitea", "forgejo-host")["started"] is None
    assert counts(m, "forgejo", "gitea-beside")["started"] is None


def test_gitlab_shell_stages_make_one_job(daemon, agents, cgroups):
    d = daemon("--jobs.end-after-idle=1s")
    config = ('concurrent = 1\n[[runners]]\n  name = "gl-shell"\n'
              '  url = "https://gitlab.example.com"\n  token = "glrt-t1_shellTokenXYZ"\n'
              '  executor = "shell"\n')
    a = agents("gitlab-runner", "run", args=("--working-directory", ".", "--config",
                                              "config.toml"),
               files={"config.toml": config}, cgroup=cgroups("rs-test-gl-shell"))

    def job(jid, *stages):
        return a.submit(f"env CI_JOB_ID={jid}", "env CI_PROJECT_PATH=grp/proj",
                        "env CI_JOB_NAME=test", "env CI_RUNNER_SHORT_TOKEN=shellToke",
                        *(f"stage {s}" for s in stages))
    # prepare, get_sources, step_script, after_script: the stages' shells have no CI_* of
    # their own, their commands do
    a.result(job(101, "/bin/true", "/bin/true", "sleep 0.3", "/bin/true"))
    a.result(job(102, "/bin/true", "sleep 0.1; exit 1", "/bin/true"))
    wait_counts(d, "gitlab", "gl-shell", want(2, success=1, failure=1))


# Gitea's act_runner, and Forgejo's runner, whose job containers are FORGEJO-ACTIONS-TASK-…
# (forgejo/runner internal/app/run/runner.go, from v6.0) and whose steps carry both marks
ACT_KINDS = {
    "gitea": ("act_runner", "-e GITEA_ACTIONS=true",
              ("GITEA-ACTIONS-TASK-21_WORKFLOW-ci_JOB-build",
               "GITEA-ACTIONS-TASK-22-WORKFLOW-ci-JOB-test-" + "0" * 64)),
    "forgejo": ("forgejo-runner", "-e GITEA_ACTIONS=true -e FORGEJO_ACTIONS=true",
                ("FORGEJO-ACTIONS-TASK-21_WORKFLOW-ci_JOB-build",
                 "FORGEJO-ACTIONS-TASK-22_WORKFLOW-" + "a" * 64 + "_JOB-test")),
}


@pytest.mark.parametrize("kind", sorted(ACT_KINDS))
def test_act_job_containers(engine, daemon, agents, cgroups, kind):
    """A fake act_runner (or Forgejo runner) drives the docker CLI as the real one drives the
    API: a job container that sleeps, steps `docker exec`'d into it with the runner's marks,
    then kill and remove."""
    binary, marks, names = ACT_KINDS[kind]
    runner = f"{kind}-docker"
    d = daemon("--jobs.end-after-idle=1s", f"--docker.data-root={engine.data_root}")
    docker = f"{engine.cli} -H {engine.host}"
    runner_file = json.dumps({"id": 1, "uuid": "u", "name": runner, "token": "t"})
    a = agents(binary, "daemon", files={".runner": runner_file},
               env=engine._env, cgroup=cgroups(f"rs-test-{runner}"))
    step_env = (f"{marks} -e GITHUB_REPOSITORY=org/web -e GITHUB_RUN_ID=9 "
                "-e GITHUB_JOB=build -e GITHUB_WORKFLOW=ci")

    def job(name, *steps):
        return a.submit(
            f"cmd {docker} run -d --pull never --network none --name {name} {IMAGE} "
            "/bin/sleep 300",
            *(f"cmd {docker} exec {step_env} {name} sh -e -c '{s}'" for s in steps),
            f"cmd {docker} kill {name}", f"cmd {docker} rm -f {name}")
    a.result(job(names[0], "sleep 0.3", "/bin/true"), timeout=120)
    a.result(job(names[1], "/bin/true", "sleep 0.1; exit 2"), timeout=120)
    # a container that is no job's
    a.result(a.submit(f"cmd {docker} run --rm --pull never --network none {IMAGE} /bin/true"),
             timeout=120)
    m = wait_counts(d, kind, runner, want(2, success=1, failure=1))
    assert m.value("runnerscope_job_cpu_seconds_total", kind=kind, runner=runner,
                   mode="user") is not None


def test_gitlab_docker_executor_containers(engine, daemon, agents, cgroups):
    """Two fake gitlab-runners; each job's predefined and build containers are created once
    and started once per stage with the script on stdin, as the docker executor does, with a
    service beside them. Each job is counted once, for the runner that ran it."""
    d = daemon("--jobs.end-after-idle=1s", f"--docker.data-root={engine.data_root}",
               "--containers=all")
    docker = f"{engine.cli} -H {engine.host}"
    made = {}
    for name, token in (("gl-a", "glrt-t1_aaaaToken1"), ("gl-b", "glrt-bbbbToken2")):
        config = (f'[[runners]]\n  name = "{name}"\n  token = "{token}"\n'
                  '  executor = "docker"\n  [runners.docker]\n    image = "busybox"\n')
        made[name] = agents("gitlab-runner", "run", args=("-c", "config.toml"),
                            files={"config.toml": config}, env=engine._env,
                            cgroup=cgroups(f"rs-test-{name}"))

    def job(agent, jid, short, stages, desc=None):
        base = f"runner-{short.lower()}-project-12-concurrent-0-{secrets.token_hex(8)}"
        env = f"-e CI_JOB_ID={jid} -e CI_PROJECT_PATH=grp/proj -e CI_JOB_NAME=build"
        env += f" -e CI_RUNNER_DESCRIPTION={desc}" if desc else ""
        labels = (f"--label com.gitlab.gitlab-runner.job.id={jid} "
                  f"--label com.gitlab.gitlab-runner.runner.id={short} "
                  "--label com.gitlab.gitlab-runner.managed=true")
        lines = [f"cmd {docker} run -d --pull never --network none --name {base}-postgres-0 "
                 f"{env} {labels} --label com.gitlab.gitlab-runner.type=service {IMAGE} "
                 "/bin/sleep 300"]
        for t in ("predefined", "build"):
            lines.append(f"cmd {docker} create --pull never --network none -i --name {base}-{t} "
                         f"{env} {labels} --label com.gitlab.gitlab-runner.type={t} {IMAGE} sh")
        for where, script in stages:
            lines.append(f"cmd printf '{script}\\n' | {docker} start -a -i {base}-{where}")
        lines.append(f"cmd {docker} rm -f {base}-predefined {base}-build {base}-postgres-0")
        return made[agent].submit(*lines)
    ok = [("predefined", "sleep 0.2"), ("build", "sleep 0.3"), ("build", "/bin/true"),
          ("predefined", "/bin/true")]
    bad = [("predefined", "/bin/true"), ("build", "sleep 0.1; exit 1"), ("build", "/bin/true"),
           ("predefined", "/bin/true")]
    # by short token (label), then by the runner's description (CI_RUNNER_DESCRIPTION)
    made["gl-a"].result(job("gl-a", 4711, "aaaaToken", ok), timeout=180)
    made["gl-a"].result(job("gl-a", 4712, "aaaaToken", bad), timeout=180)
    made["gl-b"].result(job("gl-b", 4713, "unknown99", ok, desc="gl-b"), timeout=180)
    wait_counts(d, "gitlab", "gl-a", want(2, success=1, failure=1))
    m = wait_counts(d, "gitlab", "gl-b", want(1, success=1))
    # the job containers were the runners' while they ran: gone now, never anyone else's
    assert not [l for l, _ in m.find("runnerscope_container_info")
                if l["kind"] == "gitlab" and l["runner"] not in ("gl-a", "gl-b")]


@pytest.mark.slow
def test_job_labels_are_opt_in_and_capped(daemon, agents, cgroups):
    """1,000 jobs of 1,000 repositories on four Buildkite agents: with --metrics.job-labels the
    job counters carry the repository, with 100 distinct values at most and the rest "other",
    and each runner's series still add up to its count; without the flag, no such label."""
    plain = daemon()
    d = daemon("--metrics.job-labels=repository,job", "--metrics.job-labels-limit=100")
    made = [agents("buildkite-agent", "start", env={"BUILDKITE_AGENT_NAME": f"bk-{i}"},
                   cgroup=cgroups(f"rs-test-bk-labels-{i}")) for i in range(4)]
    names = []
    for n in range(1000):
        a = made[n % 4]
        names.append((a, a.submit(f"env BUILDKITE_PIPELINE_SLUG=repo-{n:04d}",
                                  "env BUILDKITE_LABEL=build", "bootstrap", "bstep sleep 0.03",
                                  "exit 0")))
    for a, n in names:
        a.result(n, timeout=300)
    def total(m, name, **labels):
        return sum(v for _, v in m.find(name, **labels))
    m = wait_for(lambda: (lambda m: m if all(
        total(m, "runnerscope_jobs_finished_total", runner=f"bk-{i}", result="success") == 250
        for i in range(4)) else None)(d.scrape()), 60, what="1,000 jobs finished")
    repos = {l["repository"] for l, _ in m.find("runnerscope_jobs_finished_total")}
    assert len(repos - {"", "other"}) == 100, sorted(repos)[:5]
    assert "other" in repos
    assert {l["job"] for l, _ in m.find("runnerscope_jobs_started_total")} <= {"", "build"}
    for i in range(4):
        started = total(m, "runnerscope_jobs_started_total", runner=f"bk-{i}")
        done = total(m, "runnerscope_jobs_finished_total", runner=f"bk-{i}", result="success")
        assert started == 250 and done == 250, (i, started, done)
    # the same jobs, seen by a daemon without the flag
    p = plain.scrape()
    assert "repository=" not in p.text
    assert p.value("runnerscope_jobs_started_total", kind="buildkite", runner="bk-0") == 250


def test_kubelet_layout_and_nested_dind_job_container(engine, dock, daemon, tmp_path):
    """Containers under kubelet's cgroupfs layout (docker --cgroup-parent under
    kubepods/<qos>/pod<uid>), named through a /var/log/containers tree: an ARC-style runner
    pod with a dind sidecar, whose nested job container (…/<dind id>/docker/<id>) is the
    runner pod's; a guaranteed pod (directly under kubepods) beside it."""
    import uuid
    logs = tmp_path / "kubelet-logs"
    logs.mkdir()
    uid, uid2 = str(uuid.uuid4()), str(uuid.uuid4())
    parent = f"/kubepods/burstable/pod{uid}"
    spool = tmp_path / "spool"
    results = tmp_path / "results"
    spool.mkdir()
    results.mkdir()
    runner = dock(IMAGE, name="arc-runner", extra=[
        "--cgroup-parent", parent, "-v", f"{spool}:/actions-runner/_spool",
        "-v", f"{results}:/actions-runner/_results"])
    dind = dock(IMAGE, "/bin/sleep", "600", name="arc-dind", extra=["--cgroup-parent", parent])
    nested = dock(IMAGE, "/bin/sleep", "600", name="job-in-dind",
                  extra=["--cgroup-parent", f"{parent}/{dind}/docker"])
    other = dock(IMAGE, "/bin/sleep", "600", name="guaranteed",
                 extra=["--cgroup-parent", f"/kubepods/pod{uid2}"])
    for pod, ns, ctr, cid in (("arc-runner-set-q8xkz-runner-7tq2c", "arc-runners", "runner",
                               runner),
                              ("arc-runner-set-q8xkz-runner-7tq2c", "arc-runners", "dind", dind),
                              ("web-0", "apps", "web", other)):
        os.symlink("/dev/null", logs / f"{pod}_{ns}_{ctr}-{cid}.log")
    d = daemon(f"--docker.data-root={engine.data_root}", f"--kubelet.log-dir={logs}",
               "--containers=all")
    pod = "arc-runner-set-q8xkz-runner-7tq2c"
    sp = rs.Spool(str(spool), str(results))
    sp.submit("a", "step sleep 0.2", "exit 100")
    sp.result("a")
    m = wait_counts(d, "github", pod, want(1, success=1))
    info = m.find("runnerscope_runner_info", kind="github", runner=pod)
    assert len(info) == 1, m.find("runnerscope_runner_info")
    assert (info[0][0]["pod"], info[0][0]["namespace"], info[0][0]["container"],
            info[0][0]["container_id"]) == (pod, "arc-runners", "runner", runner)

    def ctr(cid):
        found = m.find("runnerscope_container_info", container_id=cid)
        assert len(found) == 1, (cid, m.find("runnerscope_container_info"))
        return found[0][0]
    m = wait_for(lambda: (lambda m: m if m.find("runnerscope_container_info",
                                                 container_id=nested, runner=pod) else None)(
        d.scrape()), 10, what="nested container attributed")
    assert (ctr(dind)["pod"], ctr(dind)["namespace"], ctr(dind)["runner"]) == \
        (pod, "arc-runners", pod)
    # the nested job container: docker's name for it, its runner pod's runner
    assert (ctr(nested)["container"], ctr(nested)["kind"], ctr(nested)["runner"]) == \
        ("job-in-dind", "github", pod)
    assert (ctr(other)["pod"], ctr(other)["namespace"], ctr(other)["runner"]) == \
        ("web-0", "apps", "")
    assert ctr(other)["runtime"] == "containerd"  # kubelet's layout, whoever made it
    assert m.value("runnerscope_container_cpu_seconds_total", container_id=nested,
                   mode="user") is not None


def test_gitlab_job_counted_once_across_a_daemon_restart(daemon, agents, cgroups, workdir):
    """The daemon is killed during a shell job's second stage and started again: the job it
    made before is taken up again (its id read back from the stage still running), so the
    stages after the restart are the same job, counted once."""
    d = daemon("--jobs.end-after-idle=1s", cleanup=False)
    config = '[[runners]]\n  name = "gl-restart"\n  token = "glrt-restartTok"\n'
    a = agents("gitlab-runner", "run", args=("--config", "config.toml"),
               files={"config.toml": config}, cgroup=cgroups("rs-test-gl-restart"))
    second = os.path.join(workdir, "second-stage")
    t0 = time.monotonic()
    name = a.submit("env CI_JOB_ID=301", "env CI_PROJECT_PATH=grp/proj", "stage sleep 0.3",
                    f"stage touch {second}; sleep 3", "stage sleep 0.3")
    wait_for(lambda: d.scrape().value("runnerscope_jobs_started_total", kind="gitlab",
                                      runner="gl-restart") == 1, 10, what="job started")
    # into the second stage, and the daemon has it in the job (however slow the machine)
    wait_for(lambda: os.path.exists(second), 20, what="the second stage")
    wait_for(lambda: d.scrape().value("runnerscope_job_processes", kind="gitlab",
                                      runner="gl-restart") >= 1, 10, what="the stage joined")
    d.kill()
    d2 = daemon("--jobs.end-after-idle=1s", pin_path=d.pin_path, port=d.port)
    assert "1 jobs of several processes carried over" in d2.read_log()
    a.result(name)
    took = time.monotonic() - t0
    m = wait_counts(d2, "gitlab", "gl-restart", want(1, success=1))
    dur = m.value("runnerscope_job_duration_seconds_sum", kind="gitlab", runner="gl-restart",
                  result="success")
    # its end is the last stage's exit, not the idle second after it: within what the test
    # itself waited for the job, however slow the machine
    assert 3.3 < dur <= took, (dur, took)


def test_names_from_containerd_crio_and_podman_files(daemon, runners, cgroups, tmp_path):
    """Runners in containerd's, CRI-O's and podman's cgroup layouts, with no .runner, no
    RUNNER_NAME and no kubelet link: their names come from the runtimes' own files under
    --runtime.root (the CRI annotations of a task bundle, CRI-O's config.json, podman's
    containers.json)."""
    import uuid
    root = tmp_path / "host"
    ids = {k: rs.fake_container_id() for k in ("containerd", "crio", "podman")}
    uid_a, uid_b = str(uuid.uuid4()), str(uuid.uuid4())
    bundle = root / "run/containerd/io.containerd.runtime.v2.task/k8s.io" / ids["containerd"]
    bundle.mkdir(parents=True)
    (bundle / "config.json").write_text(json.dumps({"annotations": {
        "io.kubernetes.cri.container-type": "container",
        "io.kubernetes.cri.container-name": "runner",
        "io.kubernetes.cri.sandbox-name": "arc-pod-a",
        "io.kubernetes.cri.sandbox-namespace": "ns-a"}}))
    crio = root / "run/containers/storage/overlay-containers" / ids["crio"] / "userdata"
    crio.mkdir(parents=True)
    (crio / "config.json").write_text(json.dumps({"annotations": {
        "io.kubernetes.container.name": "build", "io.kubernetes.pod.name": "crio-pod-b",
        "io.kubernetes.pod.namespace": "ns-b"}}))
    storage = root / "var/lib/containers/storage/overlay-containers"
    storage.mkdir(parents=True)
    (storage / "containers.json").write_text(json.dumps([
        {"id": rs.fake_container_id(), "names": ["someone-else"]},
        {"id": ids["podman"], "names": ["podman-runner"]}]))
    logs = tmp_path / "no-kubelet-links"
    logs.mkdir()
    d = daemon(f"--runtime.root={root}", f"--kubelet.log-dir={logs}")
    env = {k: v for k, v in os.environ.items() if k != "RUNNER_NAME"}
    for path in (f"kubepods/burstable/pod{uid_a}/{ids['containerd']}",
                 f"kubepods/burstable/pod{uid_b}/crio-{ids['crio']}",
                 f"machine.slice/libpod-{ids['podman']}.scope"):
        runners("", env=env, cgroup=cgroups(path)).start()
    want = {"arc-pod-a": (ids["containerd"], "arc-pod-a", "ns-a", "runner"),
            "crio-pod-b": (ids["crio"], "crio-pod-b", "ns-b", "build"),
            "podman-runner": (ids["podman"], "", "", "podman-runner")}
    m = wait_for(lambda: (lambda m: m if {l["runner"] for l, _ in
                                          m.find("runnerscope_runner_info")} >= set(want)
                          else None)(d.scrape()), 15, what="three runners named by their files")
    for name, (cid, pod, ns, ctr) in want.items():
        l = m.find("runnerscope_runner_info", kind="github", runner=name)[0][0]
        assert (l["container_id"], l["pod"], l["namespace"], l["container"]) == \
            (cid, pod, ns, ctr), l
