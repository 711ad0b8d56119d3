"""Rootful podman for the end-to-end tests, with a store of the test's own.

    eng = PodmanEngine(workdir)               # runtime="runc" (default) or "crun"
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
* podman refuses a run root of more than 50 characters ("the specified runroot is longer
  than 50 characters"): where <workdir>/run is longer, it is a short /tmp/podmanenv-XXXXXXXX
  of the engine's own, removed by stop().
* No systemd: --cgroup-manager=cgroupfs, which puts a container in
  /libpod_parent/libpod-<id> in every hierarchy (conmon in /libpod_parent/conmon in the v1
  controllers' hierarchies; in name=systemd's and cgroup2 it stays in podman's own cgroup);
  --events-backend=file, as there is no journald.
* `podman run` fails here without --ulimit nofile=1024:1024 --ulimit nproc=1024:1024:
  "runc create failed: … error setting rlimit type 7: operation not permitted". podman asks
  runc for its own default limits (nofile 1048576), above this sandbox's hard limit (nofile
  20000), and runc's setrlimit is refused.
* No registry is reachable: images come from `podman import` of a rootfs tar, and every run
  says --pull never. `--network none`, as the Docker tests do: no bridge, no iptables.
* PID 1 in a busybox container ignores SIGTERM: containers are removed with `rm -f -t 0`.
* The OCI runtime is named on every podman command (--runtime): with Debian's crun installed
  podman picks crun by itself, not runc.
* crun 1.8 refuses a hybrid host whose cgroup2 hierarchy has any controller ("cgroups in hybrid
  mode not supported, drop all controllers from cgroupv2", libcrun/cgroup.c): here hugetlb,
  which no v1 hierarchy binds, is on it. A hybrid host of systemd's binds every controller to
  v1 and leaves cgroup2 none. crun then runs through a wrapper that shows it such a host: in a
  mount namespace of its own (no one else's view changes) /dev/null is bound over
  /sys/fs/cgroup/unified/cgroup.controllers, then crun is exec'd with podman's arguments. It
  still makes and joins the container's cgroups in every hierarchy, the cgroup2 one included
  (/libpod_parent/libpod-<id>), as runc does.
* What podman leaves for a running container (both runtimes): conmon, its ppid 1, runs
  `conmon --api-version 1 -c <id> -u <id> -r <runtime> -b <store>/overlay-containers/<id>/userdata
  -p <runroot>/overlay-containers/<id>/userdata/pidfile -n <name> --exit-dir … -l k8s-file:…
  --conmon-pidfile … --exit-command /usr/bin/podman …`; its working directory is the one
  `podman run` was started in, not the bundle. The container's init is conmon's child. The
  bundle's config.json has neither name nor image (its annotations are podman's flags and
  io.kubernetes.cri-o.Created/TTY); the image is only in <store>/overlay-containers/
  containers.json, two levels above the bundle. With runc, conmon also passes
  `--runtime-arg --log-format=json --runtime-arg --log=…`; with crun, -r is the wrapper.
"""
import os
import re
import shutil
import subprocess
import tempfile

import dockerenv
from dockerenv import mounts_under, _umount_detach

PODMAN = "/usr/bin/podman"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
RUN_DEFAULTS = ("--pull", "never", "--network", "none",
                "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024")
RUNTIMES = {"runc": "/usr/sbin/runc", "crun": "/usr/bin/crun"}
RUNROOT_MAX = 50
UNIFIED_CONTROLLERS = "/sys/fs/cgroup/unified/cgroup.controllers"
CRUN_WRAPPER = """#!/bin/sh
# crun, shown a hybrid host whose cgroup2 hierarchy has no controller (see podmanenv.py)
exec unshare --mount --propagation private /bin/sh -c \\
    'mount --bind /dev/null {controllers} && exec {crun} "$@"' crun "$@"
"""


def crun_refuses_host():
    """crun's check on a hybrid host: a controller on the cgroup2 hierarchy makes it refuse"""
    try:
        with open(UNIFIED_CONTROLLERS) as f:
            return bool(f.read().split())
    except FileNotFoundError:
        return False


class PodmanEngine:
    def __init__(self, workdir, runtime="runc"):
        if runtime not in RUNTIMES:
            raise ValueError(f"runtime {runtime!r}: one of {sorted(RUNTIMES)}")
        self.runtime = runtime
        self.workdir = os.path.realpath(os.fspath(workdir))
        self.runtime_root = os.path.join(self.workdir, "root")
        self.storage = os.path.join(self.runtime_root, "var", "lib", "containers", "storage")
        self.runroot = os.path.join(self.workdir, "run")
        self.short_dir = None
        self.tmpdir = os.path.join(self.workdir, "tmp")
        self.ids = []
        # what --runtime names: the runtime, or the wrapper that runs it
        self.runtime_path = RUNTIMES[runtime]

    def podman(self, *args, check=True, timeout=120):
        cmd = [PODMAN, "--root", self.storage, "--runroot", self.runroot,
               "--tmpdir", self.tmpdir, "--cgroup-manager", "cgroupfs",
               "--events-backend", "file", "--runtime", self.runtime_path,
               *[os.fspath(a) for a in args]]
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                           timeout=timeout)
        if check and p.returncode:
            raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): "
                               f"{(p.stderr or p.stdout).strip()}")
        return p

    def start(self):
        if not os.access(PODMAN, os.X_OK):
            raise RuntimeError(f"{PODMAN} not found: apt-get install podman")
        if not os.access(RUNTIMES[self.runtime], os.X_OK):
            raise RuntimeError(f"{RUNTIMES[self.runtime]} not found: apt-get install "
                               f"{self.runtime}")
        if len(self.runroot) > RUNROOT_MAX:
            self.short_dir = tempfile.mkdtemp(prefix="podmanenv-", dir="/tmp")
            self.runroot = os.path.join(self.short_dir, "run")
        for d in (self.storage, self.runroot, self.tmpdir):
            os.makedirs(d, exist_ok=True)
        if self.runtime == "crun" and crun_refuses_host():
            if not shutil.which("unshare"):
                raise RuntimeError("unshare not found: apt-get install util-linux")
            # named crun, as podman knows its runtimes by their names
            self.runtime_path = os.path.join(self.workdir, "bin", "crun")
            os.makedirs(os.path.dirname(self.runtime_path), exist_ok=True)
            with open(self.runtime_path, "w") as f:
                f.write(CRUN_WRAPPER.format(controllers=UNIFIED_CONTROLLERS,
                                            crun=RUNTIMES["crun"]))
            os.chmod(self.runtime_path, 0o755)
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
        for d in (self.workdir, self.short_dir):
            if d:
                for _ in range(3):
                    mps = mounts_under(d)
                    if not mps:
                        break
                    for mp in mps:
                        _umount_detach(mp)
                subprocess.run(["rm", "-rf", d], capture_output=True)
