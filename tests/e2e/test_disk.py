"""A runner's work filesystem as the runner sees it: its size, free bytes and inodes against
statvfs and df, a job's writes moving them, a failed job that filled it counted for reason
disk_full, a work folder that cannot be opened leaving no series, and each kind's work folder
found from its own settings."""
import json
import os
import subprocess

import rs
from rs import wait_for

MIB = 1 << 20
FIELDS = ("size_bytes", "avail_bytes", "files", "files_free")


class Tmpfs:
    """A tmpfs of the given size mounted at path (made if missing) for the with block."""

    def __init__(self, path, size):
        self.path, self.size = path, size

    def __enter__(self):
        os.makedirs(self.path, exist_ok=True)
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={self.size}", "tmpfs", self.path],
                       check=True, capture_output=True, timeout=30)
        return self

    def __exit__(self, *exc):
        out = subprocess.run(["umount", self.path], capture_output=True, timeout=30)
        if out.returncode:  # a process of a failed test still in it: detach it all the same
            subprocess.run(["umount", "-l", self.path], capture_output=True, timeout=30)
        return False


def reported(d, runner, kind="github"):
    """The runner's four filesystem series in a page begun after the request (a pass reads
    them); None for each one absent."""
    m = d.scrape(headers=rs.FRESH)
    return {f: m.value(f"runnerscope_runner_filesystem_{f}", kind=kind, runner=runner)
            for f in FIELDS}


def statvfs(path):
    st = os.statvfs(path)
    return {"size_bytes": st.f_blocks * st.f_frsize, "avail_bytes": st.f_bavail * st.f_frsize,
            "files": st.f_files, "files_free": st.f_ffree}


def df_avail(path):
    out = subprocess.run(["df", "-B1", "--output=avail", path], check=True, capture_output=True,
                         text=True, timeout=30).stdout
    return int(out.split()[-1])


def settled(d, runner, path):
    """The series once they equal what statvfs says before and after the scrape (nothing
    writes in between then: they have settled)."""
    def same():
        before = statvfs(path)
        got = reported(d, runner)
        return got if got == before == statvfs(path) else None
    return wait_for(same, 15, what=f"{runner}'s filesystem series to match statvfs({path})")


def status_line(d, runner):
    """The runner's line in the status page's work filesystems table (the text version), split
    into its cells"""
    status, body, _ = d.get("/", headers={"Accept": "text/plain"})
    assert status == 200
    text = body.decode("utf-8")
    table = text.split("\nWORK FILESYSTEMS\n", 1)[1].split("\n\n", 1)[0].splitlines()
    rows = [l.split() for l in table[1:]]
    return next((r for r in rows if r[0] == runner), None)


def shown(path):
    """A folder as the text page shows it: its last 60 characters"""
    return path if len(path) <= 60 else "\u2026" + path[-59:]


def failures(d, runner):
    m = d.scrape()
    return {l["reason"]: v for l, v in m.find("runnerscope_job_failures_total", kind="github",
                                               runner=runner)}


def test_work_filesystem_writes_and_a_job_that_fills_it(daemon, runners, workdir):
    events = os.path.join(workdir, "events.jsonl")
    d = daemon(f"--events.file={events}")
    r = runners("disk")
    # the .runner names _work (relative to the runner root): the runner's work folder
    with open(os.path.join(r.root, ".runner"), encoding="utf-8-sig") as f:
        assert json.load(f)["workFolder"] == "_work"
    work = os.path.join(r.root, "_work")
    with Tmpfs(work, "64m"):
        r.start()
        first = settled(d, "disk", work)
        assert first["size_bytes"] == 64 * MIB, first
        assert first["avail_bytes"] == df_avail(work)

        # a job writes 32 MiB into its work folder
        r.submit("write", f"step dd if=/dev/zero of={work}/blob bs=1M count=32", "exit 100")
        assert r.result("write")[0] == 100 << 8
        assert os.path.getsize(os.path.join(work, "blob")) == 32 * MIB
        after = settled(d, "disk", work)
        moved = first["avail_bytes"] - after["avail_bytes"]
        print(f"avail {first['avail_bytes']} -> {after['avail_bytes']}: moved {moved} bytes, "
              f"df says {df_avail(work)}")
        assert abs(moved - 32 * MIB) <= MIB, moved
        assert after["avail_bytes"] == df_avail(work)
        assert after["files_free"] == first["files_free"] - 1  # the one file made
        # its line on the status page: used, size, the share used, inodes, the folder
        assert status_line(d, "disk") == ["disk", "32", "MiB", "64", "MiB", "50%", "0%",
                                          shown(work)]

        # a job that fills it and fails is counted for the full disk
        assert failures(d, "disk")["disk_full"] == 0
        r.submit("fill", f"step dd if=/dev/zero of={work}/fill bs=1M", "exit 102")
        assert r.result("fill")[0] == 102 << 8
        assert statvfs(work)["avail_bytes"] == 0
        wait_for(lambda: failures(d, "disk")["disk_full"] == 1, 15, what="a disk_full failure")
        fill_pid = r.worker_pid("fill")

        # with room again, a failed job is the runner's own failure
        os.unlink(os.path.join(work, "fill"))
        settled(d, "disk", work)
        r.submit("plain", "step true", "exit 102")
        assert r.result("plain")[0] == 102 << 8
        wait_for(lambda: failures(d, "disk")["runner_reported"] == 1, 15,
                 what="a runner_reported failure")
        assert failures(d, "disk") == {"oom_killed": 0, "killed": 0, "crashed": 0,
                                       "step_failed": 0, "cancelled": 0, "runner_reported": 1,
                                       "disk_full": 1}
        plain_pid = r.worker_pid("plain")

        def finished():
            with open(events, encoding="utf-8") as f:
                lines = [json.loads(l) for l in f if '"job_finished"' in l]
            got = {e["pid"]: e["reason"] for e in lines}
            return got if plain_pid in got else None
        reasons = wait_for(finished, 15, what="the job_finished lines")
        assert reasons[fill_pid] == "disk_full" and reasons[plain_pid] == "runner_reported"
        last = reported(d, "disk")
        r.stop()  # nothing of the runner's in the tmpfs when it goes
        # a runner whose agent is gone keeps its last reading for its grace period
        wait_for(lambda: d.scrape().value("runnerscope_runner_up", kind="github",
                                          runner="disk") == 0, 15, what="the runner down")
        assert reported(d, "disk") == last


def test_the_threshold_is_the_flags(daemon, runners):
    """One failed job that left half of its 64 MiB free, seen by two daemons: full below 60 %
    free, and never with 0"""
    d60 = daemon("--jobs.disk-full-below=60")
    d0 = daemon("--jobs.disk-full-below=0")
    r = runners("half")
    work = os.path.join(r.root, "_work")
    with Tmpfs(work, "64m"):
        r.start()
        r.submit("half", f"step dd if=/dev/zero of={work}/half bs=1M count=32", "exit 102")
        assert r.result("half")[0] == 102 << 8
        for d, reason in ((d60, "disk_full"), (d0, "runner_reported")):
            wait_for(lambda: failures(d, "half")[reason] == 1, 15, what=reason)
            assert sum(failures(d, "half").values()) == 1
        r.stop()


def test_work_folder_that_cannot_be_opened_has_no_series(daemon, runners, workdir):
    d = daemon()
    r = runners("nodir")
    # a work folder that is a file: nothing to read, so nothing reported (not 0)
    path = os.path.join(r.root, ".runner")
    with open(path, encoding="utf-8-sig") as f:
        settings = json.load(f)
    settings["workFolder"] = "not-a-folder"
    with open(path, "w", encoding="utf-8-sig") as f:
        json.dump(settings, f)
    open(os.path.join(r.root, "not-a-folder"), "w").close()
    r.start()
    ok = runners("hasdir").start()  # beside it, one whose _work is not made yet: its parent's
    wait_for(lambda: reported(d, "hasdir")["size_bytes"], 15, what="hasdir's filesystem")
    m = d.scrape(headers=rs.FRESH)
    assert m.value("runnerscope_runner_up", kind="github", runner="nodir") == 1
    assert not [n for n in m.samples if n.startswith("runnerscope_runner_filesystem_")
                and m.find(n, runner="nodir")]
    # the root's filesystem is written to by everything else: its size is what holds still
    assert reported(d, "hasdir")["size_bytes"] == statvfs(ok.root)["size_bytes"]
    wait_for(lambda: "no work filesystem for runner=nodir" in d.read_log(), 10,
             what="the log line")
    # said once, not once a pass
    wait_for(lambda: reported(d, "nodir")["size_bytes"] is None and
             d.read_log().count("refresh pass took") >= 5, 15, what="five passes")
    assert d.read_log().count("no work filesystem for runner=nodir") == 1
    # on the status page: its line, with nothing read
    assert status_line(d, "nodir") == ["nodir", "-", "-", "-", "-",
                                       shown(os.path.join(r.root, "not-a-folder"))]


def test_each_kinds_work_folder_from_its_settings(daemon, agents, workdir):
    """act_runner's host.workdir_parent, the GitLab shell executor's builds_dir (relative to
    its working directory) and Buildkite's --build-path (with ~ its HOME), each a tmpfs of
    its own size: each runner reports its own"""
    d = daemon()
    home = os.path.join(workdir, "bk-home")
    folders = {("gitea", "gt-disk"): (os.path.join(workdir, "act-work"), 16),
               ("buildkite", "bk-disk"): (os.path.join(home, "builds"), 40)}
    agents("act_runner", "daemon", args=("-c", "config.yaml"), files={
        ".runner": json.dumps({"id": 1, "name": "gt-disk", "token": "x"}),
        "config.yaml": f"runner:\n  capacity: 1\nhost:\n  workdir_parent: "
                       f"{folders['gitea', 'gt-disk'][0]}  # host mode\n"})
    gitlab = agents("gitlab-runner", "run", args=("--config", "config.toml"), files={
        "config.toml": '[[runners]]\n  name = "gl-disk"\n  executor = "shell"\n'
                       '  builds_dir = "b"\n'})
    folders["gitlab", "gl-disk"] = (os.path.join(gitlab.root, "b"), 24)
    agents("buildkite-agent", "start", args=("--build-path", "~/builds"),
           env={"BUILDKITE_AGENT_NAME": "bk-disk", "HOME": home})
    mounts = []
    try:
        for path, mib in folders.values():
            mounts.append(Tmpfs(path, f"{mib}m").__enter__())
        def sizes():
            m = d.scrape(headers=rs.FRESH)
            return {k: m.value("runnerscope_runner_filesystem_size_bytes", kind=k[0],
                               runner=k[1]) for k in folders}
        want = {k: mib * MIB for k, (_, mib) in folders.items()}
        wait_for(lambda: sizes() == want, 15, what=f"each runner's own tmpfs: {want}")
        for (kind, runner), (path, _) in folders.items():
            assert reported(d, runner, kind) == statvfs(path), (kind, runner)
    finally:
        for t in mounts:
            t.__exit__()
