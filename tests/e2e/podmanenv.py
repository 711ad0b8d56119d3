"""Rootful podman for the end-to-end tests, with a store of the test's own.

    eng = PodmanEngine(workdir)
    eng.start()                               # checks `podman info` on the private store
    eng.import_image(rootfs_dir, "rsctr-busybox:latest")
    cid = eng.run("rsctr-busybox:latest", "sleep", "1000", name="rsctr-x")   # 64-hex id
    ...
    eng.stop()                                # rm -f its containers, unmount, remove the store

Machine notes (Debian 12's podman 4.3.1, hybrid cgroups, no systemd):

* Storage, run root and libpod's tmp dir all live under the workdir (--root, --runroot,
  --tmpdir), so nothing of the system's store (/var/lib/containers) is touched and nothing is
  left there. The store sits at <workdir>/root/var/lib/containers/storage: runnerscope finds
  podman's containers.json with --runtime.root=<workdir>/root, as it would under "/".
* No systemd: --cgroup-manager=cgroupfs, which puts a container in
  /libpod_parent/libpod-<id> in every hierarchy (conmon in /libpod_parent/conmon);
  --events-backend=file, as there is no journald.
* `podman run` fails here without --ulimit nofile=1024:1024 --ulimit nproc=1024:1024:
  "runc create failed: … error setting rlimit type 7: operation not permitted". podman asks
  runc for its own default limits (nofile 1048576), above this sandbox's hard limit (nofile
  20000), and runc's setrlimit is refused.
* No registry is reachable: images come from `podman import` of a rootfs tar, and every run
  says --pull never. `--network none`, as the Docker tests do: no bridge, no iptables.
* PID 1 in a busybox container ignores SIGTERM: containers are removed with `rm -f -t 0`.
"""
import os
import re
import subprocess

import dockerenv
from dockerenv import mounts_under, _umount_detach

PODMAN = "/usr/bin/podman"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
RUN_DEFAULTS = ("--pull", "never", "--network", "none",
                "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")


class PodmanEngine:
    def __init__(self, workdir):
        self.workdir = os.path.realpath(os.fspath(workdir))
        self.runtime_root = os.path.join(self.workdir, "root")
        self.storage = os.path.join(self.runtime_root, "var", "lib", "containers", "storage")
        self.runroot = os.path.join(self.workdir, "run")
        self.tmpdir = os.path.join(self.workdir, "tmp")
        self.ids = []

    def podman(self, *args, check=True, timeout=120):
        cmd = [PODMAN, "--root", self.storage, "--runroot", self.runroot,
               "--tmpdir", self.tmpdir, "--cgroup-manager", "cgroupfs",
               "--events-backend", "file", *[os.fspath(a) for a in args]]
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout)
        if check and p.returncode:
            raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): "
                               f"{(p.stderr or p.stdout).strip()}")
        return p

    def start(self):
        if not os.access(PODMAN, os.X_OK):
            raise RuntimeError(f"{PODMAN} not found: apt-get install podman")
        for d in (self.storage, self.runroot, self.tmpdir):
            os.makedirs(d, exist_ok=True)
        info = self.podman("info", "--format",
                           "{{.Host.CgroupManager}}|{{.Host.CgroupsVersion}}").stdout.strip()
        self.cgroup_manager, self.cgroup_version = info.split("|")
        return self

    def import_image(self, rootfs_dir, tag, changes=('CMD ["/bin/sh"]',)):
        with dockerenv.rootfs_tar(rootfs_dir, self.workdir) as tar_path:
            return self.podman("import", *dockerenv.import_changes(changes), tar_path,
                               tag).stdout.strip()

    def run(self, image, *cmd, name=None, extra=()):
        args = ["run", "-d", *RUN_DEFAULTS]
        if name:
            args += ["--name", name]
        p = self.podman(*args, *extra, image, *cmd)
        cid = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else ""
        if not _HEX64.match(cid):
            raise RuntimeError(f"podman run printed no container id: {p.stdout!r} {p.stderr!r}")
        self.ids.append(cid)
        return cid

    def host_pid(self, cid):
        return int(self.podman("inspect", "-f", "{{.State.Pid}}", cid).stdout.strip())

    def stop(self):
        """Its containers and images go, then whatever is still mounted, then the store."""
        ids = self.podman("ps", "-aq", "--no-trunc", check=False).stdout.split()
        if ids:
            self.podman("rm", "-f", "-t", "0", *ids, check=False, timeout=300)
        self.podman("rmi", "-af", check=False, timeout=300)
        for _ in range(3):
            mps = mounts_under(self.workdir)
            if not mps:
                break
            for mp in mps:
                _umount_detach(mp)
        subprocess.run(["rm", "-rf", self.workdir], capture_output=True)
