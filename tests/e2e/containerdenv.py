"""Private containerd (Debian's 1.6) for the end-to-end tests: the runtime of k3s, RKE2 and
kubeadm nodes, driven with `ctr` as kubelet's CRI calls would leave it, without kubelet.

Stdlib only; runs under Debian 12's /usr/bin/python3 as root.

    eng = ContainerdEngine(tmp_path, "/run/k3s/containerd", "k8s.io")
    eng.start()          # containerd --config <toml>, its socket at <state>/containerd.sock
    eng.run(cid, rootfs, ["/bin/sleep", "1000"], cgroup="/kubepods/burstable/pod<uid>/<cid>",
            annotations=cri_annotations(...))
    ...
    eng.stop()           # tasks killed and deleted, containerd stopped, shims, mounts,
                         # cgroups and the /run state it made gone
    assert not eng.leftovers()

Debian packages: containerd (containerd, ctr, containerd-shim-runc-v2), runc.

What containerd 1.6 does on this machine (seen here, and in its source):

* Its grpc socket goes where the config says; k3s puts it in its state directory
  (/run/k3s/containerd/containerd.sock, state /run/k3s/containerd), kubeadm's nodes keep the
  default /run/containerd/containerd.sock with state /run/containerd.
* A task's bundle is <state>/io.containerd.runtime.v2.task/<namespace>/<id>: config.json (the
  OCI spec with its annotations), init.pid, address (the shim's socket), a `work` link to
  <root>/io.containerd.runtime.v2.task/<namespace>/<id>. The shim runs in that directory:
  `containerd-shim-runc-v2 -namespace <ns> -id <id> -address <grpc socket>`, daemonised
  (reparented to PID 1), the container's init its child.
* Some paths do not follow the config's state: the shims' sockets are always
  /run/containerd/s/<sha256> (runtime/v2/shim/util_unix.go: socketRoot is the default state
  dir), runc's own state is /run/containerd/runc/<ns>/<id> (the runc shim's default root) and
  ctr's fifos /run/containerd/fifo. stop() removes what of those this engine made.
* `ctr run --rootfs DIR` needs no image nor snapshotter: the spec's root is DIR itself; with
  no image config there is no PATH in the process's environment unless --env gives one.
  --log-uri file://… sends the container's output to a file (no fifo needed).
* No systemd runs here (PID 1 is not systemd), so runc's systemd cgroup driver cannot be used:
  a kubelet `--cgroup-driver=systemd` layout is reproduced by its names, made by runc's
  cgroupfs driver (the spec's cgroupsPath is a plain path).
* On the hybrid hierarchy runc's cgroupfs driver makes the cgroupsPath in every v1 hierarchy
  and in the unified one; on a pure v2 host only there. runc removes the container's own
  cgroup on `task delete`; the parents (/kubepods/…/pod<uid>) are kubelet's, removed by stop().
* The shim and the container survive containerd (SIGKILL of containerd leaves them): stop()
  deletes every task first, then kills what is left by its -address.
* PID 1 of this VM reaps orphans lazily: a dead shim can stay a zombie for seconds, so
  liveness is read from /proc/<pid>/stat's state, not from /proc/<pid> existing.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import time

from dockerenv import mounts_under, pid_alive, wait_pids_gone, _umount_detach, _log_tail
from rs import kill_all

__all__ = ["ContainerdEngine", "cri_annotations", "cgroup_mounts", "cgroup_cpu_seconds",
           "CONTAINERD", "CTR", "SHIM"]

CONTAINERD = "/usr/bin/containerd"
CTR = "/usr/bin/ctr"
SHIM = "/usr/bin/containerd-shim-runc-v2"
RUNC = "/usr/sbin/runc"
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
# paths containerd 1.6 and its runc shim use whatever the config's state says
SHARED_STATE = "/run/containerd"
DEFAULT_STATE = "/run/containerd"

# plugins a test has no use for and that would reach outside the test's directories
# (the CRI plugin is kubelet's; opt installs into /opt/containerd; the snapshotters other than
# the defaults probe the host's filesystems)
DISABLED_PLUGINS = (
    "io.containerd.grpc.v1.cri",
    "io.containerd.internal.v1.opt",
    "io.containerd.snapshotter.v1.aufs",
    "io.containerd.snapshotter.v1.btrfs",
    "io.containerd.snapshotter.v1.devmapper",
    "io.containerd.snapshotter.v1.zfs",
)


def cri_annotations(container, pod, namespace, sandbox_id, image, uid=None):
    """The annotations containerd's CRI plugin writes into a container's config.json (not a
    sandbox's): the names in pkg/cri/annotations/annotations.go of containerd/containerd
    (ContainerType, ContainerName, SandboxName, SandboxNamespace, SandboxID, ImageName;
    SandboxUID in later releases), set on every container's spec by containerSpec in
    pkg/cri/server/container_create_linux.go (1.6), DefaultCRIAnnotations in 2.x."""
    a = {
        "io.kubernetes.cri.container-type": "container",
        "io.kubernetes.cri.container-name": container,
        "io.kubernetes.cri.sandbox-name": pod,
        "io.kubernetes.cri.sandbox-namespace": namespace,
        "io.kubernetes.cri.sandbox-id": sandbox_id,
        "io.kubernetes.cri.image-name": image,
    }
    if uid:
        a["io.kubernetes.cri.sandbox-uid"] = uid
    return a


def _unescape(s):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def cgroup_mounts():
    """Every cgroup hierarchy's mount point: {path: set of controllers} (cgroup2: {"cgroup2"})"""
    out = {}
    with open("/proc/self/mountinfo") as f:
        for line in f:
            pre, _, post = line.partition(" - ")
            fstype, _src, opts = (post.split() + ["", ""])[:3]
            if fstype == "cgroup2":
                out[_unescape(pre.split()[4])] = {"cgroup2"}
            elif fstype == "cgroup":
                out[_unescape(pre.split()[4])] = set(opts.split(","))
    return out


def cgroup_cpu_seconds(relpath, cgroot="/sys/fs/cgroup"):
    """The CPU a cgroup's tasks used, as the kernel counts it for the cgroup: cpuacct.usage (ns)
    where cpuacct is a v1 controller (hybrid and v1 hosts), else cgroup2's cpu.stat usage_usec
    (pure v2); None when the cgroup is not there."""
    rel = relpath.strip("/")
    mounts = cgroup_mounts()
    v1 = [m for m, c in mounts.items() if "cpuacct" in c]
    try:
        if v1:
            with open(os.path.join(v1[0], rel, "cpuacct.usage")) as f:
                return int(f.read()) / 1e9
        v2 = [m for m, c in mounts.items() if "cgroup2" in c]
        if not v2:
            raise AssertionError(f"no cpuacct nor cgroup2 hierarchy under {cgroot}")
        with open(os.path.join(v2[0], rel, "cpu.stat")) as f:
            return int(dict(line.split() for line in f)["usage_usec"]) / 1e6
    except FileNotFoundError:
        return None


def cgroup_procs(relpath):
    """The pids in a cgroup, in any hierarchy"""
    pids = set()
    for m in cgroup_mounts():
        try:
            with open(os.path.join(m, relpath.strip("/"), "cgroup.procs")) as f:
                pids |= {int(p) for p in f.read().split()}
        except (OSError, ValueError):
            pass
    return pids


def _connects(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(1)
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def _cmdline(pid):
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return [a.decode("utf-8", "replace") for a in f.read().split(b"\0")[:-1]]


def _comm(pid):
    with open(f"/proc/{pid}/comm") as f:
        return f.read().strip()


def _flag(argv, *names):
    """The value of a flag given as `-x v`, `--x v` or `--x=v`; None without it"""
    for i, a in enumerate(argv):
        for n in names:
            if a == n and i + 1 < len(argv):
                return argv[i + 1]
            if a.startswith(n + "="):
                return a[len(n) + 1:]
    return None


def containerd_state_of(pid):
    """The state directory a running containerd uses: --state, else its config's top-level
    `state`, else the default. None when its config cannot be read."""
    argv = _cmdline(pid)
    state = _flag(argv[1:], "--state")
    if state:
        return os.path.normpath(state)
    config = _flag(argv[1:], "--config", "-c")
    if config is None:
        config = "/etc/containerd/config.toml"
        if not os.path.exists(f"/proc/{pid}/root{config}"):
            return DEFAULT_STATE
    if not config.startswith("/"):
        config = os.path.join(os.readlink(f"/proc/{pid}/cwd"), config)
    try:
        with open(f"/proc/{pid}/root{config}") as f:
            text = f.read()
    except OSError:
        return None
    top = text.split("\n[", 1)[0]
    m = re.search(r'^\s*state\s*=\s*"([^"]*)"', top, re.M)
    return os.path.normpath(m.group(1)) if m else DEFAULT_STATE


def containerd_processes():
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if _comm(d) == "containerd" and pid_alive(int(d)):
                    out.append(int(d))
            except OSError:
                pass
    return out


class ContainerdEngine:
    """A private containerd: its state at state_dir (a path the daemon under test looks at, like
    /run/k3s/containerd, or one no fixed path covers), its root under workdir, its containers
    in one namespace."""

    def __init__(self, workdir, state_dir, namespace="k8s.io"):
        self.workdir = os.path.realpath(os.fspath(workdir))
        self.state = os.path.normpath(state_dir)
        self.ns = namespace
        self.sock = os.path.join(self.state, "containerd.sock")
        self.root = os.path.join(self.workdir, "containerd-root")
        self.config = os.path.join(self.workdir, "containerd.toml")
        self.log_path = os.path.join(self.workdir, "containerd.log")
        self.proc = None
        self.ids = []                 # every container run(), in order
        self._shim_sockets = set()    # their shims' sockets under /run/containerd/s
        self._cgroups = {}            # id -> cgroupsPath
        self._made_dirs = []          # directories this engine made, outermost first
        self._state_entries = None    # what the state directory held before start()
        self._cg_made = []            # cgroup directories (in every hierarchy) made for runs

    # ------------------------------------------------------------------ start
    def _users_of_state(self):
        """Who else uses this state directory: its socket answering, or a containerd whose
        state it is"""
        users = []
        if os.path.exists(self.sock) and _connects(self.sock):
            users.append(f"{self.sock} answers")
        for pid in containerd_processes():
            st = containerd_state_of(pid)
            if st == self.state or st is None:
                users.append(f"containerd pid {pid} ({' '.join(_cmdline(pid))}): state {st}")
        return users

    def _note_made(self, path):
        """Records the directories from path up that are not there yet: this engine's to
        remove (once empty) at stop()"""
        missing = []
        p = path
        while not os.path.exists(p):
            missing.append(p)
            p = os.path.dirname(p)
        self._made_dirs += reversed(missing)

    def _write_config(self):
        disabled = ", ".join(f'"{p}"' for p in DISABLED_PLUGINS)
        with open(self.config, "w") as f:
            f.write(f'''version = 2
root = "{self.root}"
state = "{self.state}"
disabled_plugins = [{disabled}]

[grpc]
  address = "{self.sock}"

[ttrpc]
  address = "{self.sock}.ttrpc"

[debug]
  address = "{os.path.join(self.state, 'debug.sock')}"
  level = "info"
''')

    def start(self, timeout=30):
        assert os.geteuid() == 0, "containerd needs root"
        for b in (CONTAINERD, CTR, SHIM, RUNC):
            assert os.access(b, os.X_OK), f"{b} is missing: apt-get install containerd runc"
        assert self.proc is None, "ContainerdEngine already started"
        # two containerds on one state directory corrupt each other's tasks: refuse, loudly
        users = self._users_of_state()
        assert not users, f"{self.state} is in use already: {users}"
        os.makedirs(self.workdir, exist_ok=True)
        os.makedirs(self.root)
        # the state directory and the shared ones: what of them is not there yet is this
        # engine's, removed at stop() once empty; in them, only what was added here goes
        self._note_made(self.state)
        os.makedirs(self.state, mode=0o711, exist_ok=True)
        self._state_entries = set(os.listdir(self.state))
        for d in ("s", "runc", f"runc/{self.ns}", "fifo"):
            self._note_made(os.path.join(SHARED_STATE, d))
        self._write_config()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERD_")}
        env["PATH"] = SYSTEM_PATH + ":" + env.get("PATH", "")
        self._env = env
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([CONTAINERD, "--config", self.config], stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         env=env, start_new_session=True)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                rc = self.proc.returncode
                self.stop()
                raise AssertionError(f"containerd exited {rc} at start:\n"
                                     + _log_tail(self.log_path))
            if os.path.exists(self.sock) and self.ctr("version", check=False).returncode == 0:
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise AssertionError(f"containerd did not answer on {self.sock} in {timeout}s:\n"
                                     + _log_tail(self.log_path))
            time.sleep(0.05)

    # -------------------------------------------------------------------- ctr
    def ctr(self, *args, check=True, timeout=60, ns=None):
        cmd = [CTR, "-a", self.sock, "-n", ns or self.ns, *map(str, args)]
        p = subprocess.run(cmd, env=getattr(self, "_env", None), stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=timeout)
        if check and p.returncode:
            raise AssertionError(f"{' '.join(cmd)} failed ({p.returncode}): "
                                 f"{(p.stderr or p.stdout).strip()}\ncontainerd log:\n"
                                 + _log_tail(self.log_path, 3000))
        return p

    def bundle(self, cid):
        return os.path.join(self.state, "io.containerd.runtime.v2.task", self.ns, cid)

    def _note_cgroup(self, cgroup):
        rel = cgroup.strip("/")
        for m in cgroup_mounts():
            missing = []
            p = os.path.join(m, rel)
            while not os.path.exists(p) and p != m:
                missing.append(p)
                p = os.path.dirname(p)
            self._cg_made += reversed(missing)

    def run(self, cid, rootfs, cmd, cgroup, annotations=None, env=None, cwd=None):
        """ctr run -d of cmd in rootfs (a directory, no image) with the spec's cgroupsPath
        cgroup and these annotations; returns the init's host pid."""
        self._note_cgroup(cgroup)
        self.ids.append(cid)
        self._cgroups[cid] = cgroup
        args = ["run", "-d", "--rootfs", "--cgroup", cgroup,
                "--log-uri", f"file://{os.path.join(self.workdir, cid[:12] + '.out')}"]
        for k, v in (annotations or {}).items():
            args += ["--annotation", f"{k}={v}"]
        for k, v in (env or {}).items():
            args += ["--env", f"{k}={v}"]
        if cwd:
            args += ["--cwd", cwd]
        self.ctr(*args, os.path.realpath(rootfs), cid, *cmd)
        try:
            with open(os.path.join(self.bundle(cid), "address")) as f:
                self._shim_sockets.add(f.read().strip().replace("unix://", "", 1))
        except OSError:
            pass
        return self.pid(cid)

    def tasks(self):
        """{id: (pid, status)} of this namespace's tasks"""
        out = {}
        for line in self.ctr("task", "ls").stdout.splitlines()[1:]:
            f = line.split()
            if len(f) >= 3:
                out[f[0]] = (int(f[1]), f[2])
        return out

    def pid(self, cid):
        return self.tasks()[cid][0]

    def status(self, cid):
        t = self.tasks().get(cid)
        return t[1] if t else None

    def wait_stopped(self, cid, timeout=30):
        deadline = time.monotonic() + timeout
        while self.status(cid) not in ("STOPPED", None):
            if time.monotonic() > deadline:
                raise AssertionError(f"task {cid} still {self.status(cid)} after {timeout}s")
            time.sleep(0.05)

    def delete(self, cid, ns=None):
        """The task killed and deleted (runc removes its cgroup), then the container"""
        ns = ns or self.ns
        tasks = self.ctr("task", "ls", ns=ns, check=False).stdout
        if re.search(rf"^{re.escape(cid)}\s", tasks, re.M):
            self.ctr("task", "kill", "-s", "KILL", cid, ns=ns, check=False)
            deadline = time.monotonic() + 30
            while not re.search(rf"^{re.escape(cid)}\s+\d+\s+STOPPED",
                                self.ctr("task", "ls", ns=ns, check=False).stdout, re.M):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
            self.ctr("task", "delete", cid, ns=ns, check=False)
        self.ctr("container", "delete", cid, ns=ns, check=False)

    # ------------------------------------------------------------------- stop
    def _shims(self):
        out = []
        for d in os.listdir("/proc"):
            if not d.isdigit():
                continue
            try:
                if _comm(d).startswith("containerd-shim") and \
                        _flag(_cmdline(d), "-address") == self.sock and pid_alive(int(d)):
                    out.append(int(d))
            except OSError:
                pass
        return out

    def stop(self):
        """Every task and container gone, containerd stopped, its shims, mounts, cgroups and
        the /run state it made removed. Idempotent."""
        if self.proc is not None and self.proc.poll() is None:
            namespaces = set(self.ctr("namespaces", "ls", "-q", check=False).stdout.split())
            for ns in namespaces | {self.ns}:
                listed = self.ctr("container", "ls", "-q", ns=ns, check=False).stdout.split()
                for cid in dict.fromkeys(listed + (self.ids if ns == self.ns else [])):
                    self.delete(cid, ns=ns)
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(15)
        elif self.proc is not None:
            self.proc.wait()
        self.proc = None
        # shims (and their containers) that outlived their containerd
        shims = self._shims()
        kill_all(shims)
        wait_pids_gone(shims, 10)
        for cid, cg in self._cgroups.items():
            for _ in range(100):
                pids = cgroup_procs(cg)
                if not pids:
                    break
                kill_all(pids)
                time.sleep(0.05)
        for d in sorted(set(self._cg_made), key=lambda p: p.count("/"), reverse=True):
            for _ in range(100):
                try:
                    os.rmdir(d)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)
        for where in (self.state, self.root):
            for _ in range(3):
                mps = mounts_under(where) if os.path.exists(where) else []
                if not mps:
                    break
                for mp in mps:
                    _umount_detach(mp)
        for s in self._shim_sockets:
            if os.path.dirname(s) == os.path.join(SHARED_STATE, "s"):
                try:
                    os.unlink(s)
                except FileNotFoundError:
                    pass
        # in the state directory, what containerd added to it (the shared directories in
        # /run/containerd only once empty, below)
        if self._state_entries is not None and os.path.isdir(self.state):
            for e in self._added_state_entries():
                p = os.path.join(self.state, e)
                if os.path.isdir(p) and not os.path.islink(p):
                    shutil.rmtree(p, ignore_errors=True)
                else:
                    try:
                        os.unlink(p)
                    except FileNotFoundError:
                        pass
        for cid in self.ids:
            shutil.rmtree(os.path.join(SHARED_STATE, "runc", self.ns, cid), ignore_errors=True)
        for d in sorted(set(self._made_dirs), key=lambda p: p.count("/"), reverse=True):
            try:
                os.rmdir(d)
            except OSError:
                pass

    def _added_state_entries(self):
        shared = {"s", "runc", "fifo"} if self.state == SHARED_STATE else set()
        return set(os.listdir(self.state)) - self._state_entries - shared

    def leftovers(self):
        """What of this engine is still there (empty when stop() left nothing)"""
        out = []
        if self.proc is not None and self.proc.poll() is None:
            out.append(f"containerd pid {self.proc.pid}")
        out += [f"shim pid {p}" for p in self._shims()]
        for where in (self.state, self.root):
            if os.path.exists(where):
                out += [f"mount {m}" for m in mounts_under(where)]
        out += [f"cgroup {d}" for d in set(self._cg_made) if os.path.exists(d)]
        out += [f"directory {d}" for d in self._made_dirs if os.path.exists(d)]
        if self._state_entries is not None and os.path.isdir(self.state):
            out += [f"state entry {self.state}/{e}" for e in self._added_state_entries()]
        out += [f"shim socket {s}" for s in self._shim_sockets if os.path.exists(s)]
        out += [f"runc state {cid}" for cid in self.ids
                if os.path.exists(os.path.join(SHARED_STATE, "runc", self.ns, cid))]
        return out

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False
