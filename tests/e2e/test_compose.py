"""Buildkite's docker-compose plugin, played with Debian's docker-compose (1.29) against a private
dockerd: the containers of the job's compose project are the job's, whatever docker-compose
calls them."""
import os
import uuid

import rs
from conftest import IMAGE
from rs import wait_for
from test_job_containers import BURN, finished_lines

COMPOSE = "/usr/bin/docker-compose"
TICK = 1 / os.sysconf("SC_CLK_TCK")

# The plugin (buildkite-plugins/docker-compose-buildkite-plugin) runs every docker-compose
# command with `-f <config> -p "$(docker_compose_project_name)"`, the project being
# "buildkite${BUILDKITE_JOB_ID//-}" (lib/shared.bash); commands/run.sh starts the run service's
# dependencies with `up -d --scale <service>=0 <service>`, then the step's command with
# `run --name <project>_<service>_build_<BUILDKITE_BUILD_NUMBER> … <service>`; the cleanup
# (lib/run.bash, kill_or_wait_for_stop) is `rm --force -v`, then `down --volumes`.
# Compose interpolates $ in its file: $$ is a $ for the container's shell.
COMPOSE_FILE = """\
services:
  db:
    image: {image}
    pull_policy: never
    network_mode: none
    volumes: ["{out}:/out"]
    command: ["sh", "-c", "{db}"]
  app:
    image: {image}
    pull_policy: never
    network_mode: none
    depends_on: [db]
    volumes: ["{out}:/out"]
    command: ["sh", "-c", "{app}"]
"""


def shell_cpu(path):
    """utime + stime of a /proc/<pid>/stat line, and of the children it waited for, in
    seconds"""
    with open(path) as f:
        text = f.read()
    fields = text[text.rindex(")") + 2:].split()
    return sum(int(x) for x in fields[11:15]) * TICK


def times_cpu(path):
    """What a shell's `times` printed: its own user and system time, then its children's"""
    with open(path) as f:
        text = f.read()
    total = 0.0
    for t in text.split():
        m, s = t.rstrip("s").split("m")
        total += int(m) * 60 + float(s)
    return total


def test_buildkite_compose_plugin_containers_count_for_their_job(engine, daemon, agents,
                                                                 tmp_path):
    """A Buildkite job runs its step as the docker-compose plugin does: a dependency service
    started with `up`, the step's service with `run`, each burning CPU, then the project taken
    down. Both containers are the job's steps, named in container_info, and their CPU is in the
    job's, beside docker-compose's own."""
    if not os.access(COMPOSE, os.X_OK):
        raise AssertionError(f"{COMPOSE} not found: apt-get install docker-compose")
    out = tmp_path / "out"
    out.mkdir()
    hold = out / "hold"
    os.mkfifo(hold)
    events = tmp_path / "events.jsonl"
    job_id = str(uuid.uuid4())
    project = "buildkite" + job_id.replace("-", "")
    build = 4711
    db_name, app_name = f"{project}_db_1", f"{project}_app_build_{build}"
    compose_file = tmp_path / "docker-compose.yml"
    # the app holds, once it has burnt, until the test has seen both containers' names
    compose_file.write_text(COMPOSE_FILE.format(
        image=IMAGE, out=out,
        db=(BURN.format(n=300000, out="db.stat") + "; sleep 3600").replace("$", "$$"),
        app=(BURN.format(n=300000, out="app.stat") + "; read x < /out/hold").replace("$", "$$")))
    d = daemon(f"--docker.data-root={engine.data_root}", f"--events.file={events}")
    a = agents("buildkite-agent", "start", env={"BUILDKITE_AGENT_NAME": "bk-compose"})
    # each step as the plugin runs it, the project named from the job's own variable; its exit
    # status and its shell's and children's CPU (docker-compose's) written beside
    compose = (f'P="buildkite$(echo "$BUILDKITE_JOB_ID" | tr -d -)"; DOCKER_HOST={engine.host} '
               f'DOCKER_CONFIG={engine.cli_config} {COMPOSE} -f {compose_file} -p "$P"')
    steps = {"up": "up -d --scale app=0 app",
             "run": 'run --name "${P}_app_build_${BUILDKITE_BUILD_NUMBER}" --rm app',
             "rm": "rm --force -v",
             "down": "down --volumes --timeout 0"}
    name = a.submit(
        f"env BUILDKITE_JOB_ID={job_id}", "env BUILDKITE_PIPELINE_SLUG=web",
        f"env BUILDKITE_BUILD_NUMBER={build}", "bootstrap",
        *(f"bstep {compose} {args} > {out}/{step}.log 2>&1; echo $? > {out}/{step}.rc; "
          f"times > {out}/{step}.times" for step, args in steps.items()),
        "exit 0")

    def step_failed():
        for s in steps:
            rc = out / f"{s}.rc"
            if rc.exists() and rc.read_text().strip() not in ("", "0"):
                raise AssertionError(f"docker-compose {steps[s]}: exit {rc.read_text().strip()}"
                                     f"\n{(out / f'{s}.log').read_text()[-2000:]}")

    def burnt():
        step_failed()
        return all((out / f).exists() and (out / f).read_text().endswith("\n")
                   for f in ("db.stat", "app.stat"))
    # both containers up and burnt: named in container_info as the job's runner's
    wait_for(burnt, 120, what="both services' burns")

    def named():
        m = d.scrape()
        got = {l["container"]: l for l, _ in m.find("runnerscope_container_info")
               if l["container"] in (db_name, app_name)}
        return got if len(got) == 2 else None
    info = wait_for(named, 30, what="the compose containers' names")
    for l in info.values():
        assert len(l["container_id"]) == 64 and l["image"] == IMAGE, l
        assert (l["runtime"], l["kind"], l["runner"]) == ("docker", "buildkite", "bk-compose"), l
    rs.release(str(hold))
    assert a.result(name, timeout=120) == 0
    step_failed()
    assert all((out / f"{s}.rc").read_text() == "0\n" for s in steps)

    m = wait_for(lambda: (lambda m: m if m.value(
        "runnerscope_jobs_finished_total", kind="buildkite", runner="bk-compose",
        result="success") == 1 else None)(d.scrape()), 30, what="the Buildkite job finished")
    got = sum(m.value("runnerscope_job_cpu_seconds_total", kind="buildkite", runner="bk-compose",
                      mode=x) for x in ("user", "system"))
    clis = sum(times_cpu(out / f"{s}.times") for s in steps)
    ctrs = {n: shell_cpu(out / f"{s}.stat") for n, s in ((db_name, "db"), (app_name, "app"))}
    truth = clis + sum(ctrs.values())
    print(f"agreement (Buildkite compose): job CPU {got:.3f} s; the steps' shells and "
          f"docker-compose {clis:.3f} s + the services' shells {sum(ctrs.values()):.3f} s = "
          f"{truth:.3f} s")
    assert min(ctrs.values()) > 0.15, ctrs
    assert abs(got - truth) <= 0.05 * truth + 0.05, (got, clis, ctrs)
    assert got > clis + 0.8 * sum(ctrs.values()), (got, clis, ctrs)
    # job_finished lists both as the job's steps, each with its cgroup's CPU
    fin = finished_lines(events, "bk-compose")
    listed = {c["name"]: c for c in fin[0]["containers"]}
    assert {n: (c["role"], c["image"]) for n, c in listed.items()} == \
        {db_name: ("step", IMAGE), app_name: ("step", IMAGE)}, fin[0]["containers"]
    for n, shell in ctrs.items():
        c = listed[n]
        cpu = c["cpu_user_seconds"] + c["cpu_system_seconds"]
        print(f"  {n}: its cgroup's {cpu:.3f} s, its shell's {shell:.3f} s")
        assert c["id"] == info[n]["container_id"], (c, info[n])
        assert abs(cpu - shell) <= 0.05 * shell + 0.05, (n, cpu, shell)
    # the project is gone: nothing of it left on the engine
    assert engine.docker("ps", "-aq", "--filter", f"label=com.docker.compose.project={project}"
                         ).stdout.split() == []
