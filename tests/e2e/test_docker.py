"""Real containers: runner containers on a private Docker engine, observed from the host."""
import json
import os
import shutil

import rs
from rs import wait_for

from conftest import IMAGE


def runner_json(name):
    """What the runner writes: UTF-8 BOM and indented JSON."""
    return "\ufeff" + json.dumps({"agentId": 3, "agentName": name, "poolId": 1,
                                   "poolName": "Default", "workFolder": "_work"}, indent=2)


def test_three_runner_containers(dock, daemon, tmp_path):
    secret = "/tmp/runnerscope-host-secret"
    os.makedirs(secret, exist_ok=True)
    with open(os.path.join(secret, ".runner"), "w", encoding="utf-8") as f:
        f.write(runner_json("leaked-host-file"))
    d = daemon()
    try:
        plan = {
            # name source: .runner bind-mounted over the image's symlink
            "standard": {"file": True, "extra": (), "exits": [100, 102, 100]},
            # RUNNER_NAME in the container's environment
            "chrome": {"file": False, "extra": ("-e", "RUNNER_NAME=chrome"),
                       "exits": [101, 103]},
            # only the container's hostname; its .runner is the image's hostile symlink
            "chrome-go": {"file": False, "extra": ("--hostname", "chrome-go"),
                          "exits": [104, 105, 100, 100]},
        }
        ids, spools = {}, {}
        for name, p in plan.items():
            host = tmp_path / name
            for sub in ("spool", "results"):
                (host / sub).mkdir(parents=True)
            extra = ["-v", f"{host}/spool:/actions-runner/_spool",
                     "-v", f"{host}/results:/actions-runner/_results", *p["extra"]]
            if p["file"]:
                (host / "runner.json").write_text(runner_json(name), encoding="utf-8")
                extra += ["-v", f"{host}/runner.json:/actions-runner/.runner:ro"]
            ids[name] = dock(IMAGE, name=f"rs-{name}", extra=extra)
            spools[name] = rs.Spool(str(host / "spool"), str(host / "results"))
        for name, p in plan.items():
            for i, code in enumerate(p["exits"]):
                spools[name].submit(f"j{i}", "step true", f"exit {code}")
        for name, p in plan.items():
            for i, code in enumerate(p["exits"]):
                assert spools[name].result(f"j{i}")[0] == code << 8

        def all_done():
            m = d.scrape()
            for name, p in plan.items():
                n = sum(v for _, v in m.find("runnerscope_jobs_finished_total", runner=name))
                if n != len(p["exits"]):
                    return None
            return m
        m = wait_for(all_done, 20, what="every container's jobs finished")
        results = ["success", "success_with_issues", "failure", "cancelled", "skipped",
                   "abandoned"]
        for name, p in plan.items():
            info = m.find("runnerscope_runner_info", kind="github", runner=name)
            assert len(info) == 1, (name, m.find("runnerscope_runner_info"))
            assert info[0][0]["container_id"] == ids[name]
            assert m.value("runnerscope_runner_up", kind="github", runner=name) == 1
            assert m.value("runnerscope_jobs_started_total", kind="github",
                           runner=name) == len(p["exits"])
            for r in results:
                want = sum(1 for c in p["exits"] if c == 100 + results.index(r))
                assert m.value("runnerscope_jobs_finished_total", kind="github", runner=name,
                               result=r) == want, (name, r)
        assert not m.find("runnerscope_runner_info", runner="leaked-host-file")
        assert sorted(l["runner"] for l, _ in m.find("runnerscope_runner_up")) == sorted(plan)
    finally:
        shutil.rmtree(secret, ignore_errors=True)
