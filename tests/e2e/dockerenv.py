"""Private Docker engine for the end-to-end tests.

Stdlib only; runs under Debian 12's /usr/bin/python3 as root.

    eng = DockerEngine(tmp_path)         # fresh, test-owned directory
    eng.start()                          # private dockerd + its own containerd
    eng.import_image(busybox_rootfs(tmp_path / "rootfs"), "e2e-busybox:latest")
    cid = eng.run("e2e-busybox:latest", "sleep", "1000")   # 64-hex id
    ...
    eng.stop()                           # rm -f all, stop dockerd, kill stragglers, unmount

Debian packages needed: docker.io (dockerd 20.10, /usr/bin/docker CLI,
docker-init), containerd, runc (both pulled in by docker.io),
busybox-static (for busybox_rootfs), python3-pytest (for the tests).

Machine notes / quirks (Debian 12 VM, kernel 6.18, hybrid cgroups: v1
controllers under /sys/fs/cgroup/<ctrl>, name=systemd v1 hierarchy, cgroup2
at /sys/fs/cgroup/unified; no systemd running, no system dockerd):

* No systemd, so the cgroupfs cgroup driver is used (we pass it explicitly so
  the layout is deterministic).  With the default cgroup parent "/docker",
  runc puts every container process in /docker/<64-hex-id> in *every*
  hierarchy, including the name=systemd one and the cgroup2 "0::" line, e.g.
      4:memory:/docker/<id>
      0::/docker/<id>
  "docker info" reports "Cgroup Version: 1".  The empty /docker parent
  cgroups stay behind after stop(); that is harmless and shared by engines.
* The shell/test itself may sit in a non-root memory cgroup (here
  memory:/process_api/<hash>); that does not matter because cgroupfs paths
  are absolute from each hierarchy's root.
* dockerd 20.10 starts its own managed containerd when no --containerd is
  given: "containerd --config <exec-root>/containerd/containerd.toml", state
  under <exec-root>/containerd and root under <data-root>/containerd,
  namespace "moby".  So several engines (and none on /run/docker.sock) can
  coexist.  It logs a harmless "containerd config version 1 has been
  deprecated" warning.
* Storage driver: dockerd auto-selects overlay2 on this ext4 root
  ("Backing Filesystem: extfs", d_type true).  We do not force it, because a
  workdir on overlayfs would need vfs/fuse-overlayfs; set
  DOCKERENV_STORAGE_DRIVER (or storage_driver=) to override.
* The kernel has no blkio weight support; dockerd warns "Your kernel does not
  support cgroup blkio weight" -- harmless.
* No swap on the machine; "--memory 64m" gives memory.limit_in_bytes =
  67108864 and MemorySwap = 2x (memsw), and a busybox "x=$x$x" hog is
  OOM-killed by the memcg in well under a second; docker inspect shows
  OOMKilled=true, ExitCode=137, and "docker events" shows "container oom".
* dockerd bind-mounts the data root onto itself (private propagation) and
  mounts nsfs files under <exec-root>/netns even with --network none; it
  removes them on a clean shutdown, stop() also lazily unmounts anything
  still mounted under workdir (e.g. after a SIGKILL fallback).
* containerd-shim-runc-v2 processes are daemonised (reparented away from
  dockerd/containerd), so after a hard kill they and the container
  processes survive.  stop() kills leftover dockerd/containerd/shim/runc
  processes whose command line names this workdir, and every process still in
  the /docker/<id> cgroup of a container this engine created, then removes
  those cgroup directories.
* Two CLIs are installed: /usr/bin/docker (Debian, 20.10, API 1.41, matches
  the daemon) and /usr/local/bin/docker (28.x, API 1.50, which negotiates
  down to 1.41 on its own and also works).  We prefer /usr/bin/docker and
  verify the chosen CLI can talk to the daemon (DOCKER_API_VERSION is set to
  the daemon's API version only as a fallback for a client that fails to
  negotiate).  PATH for dockerd is forced to start with the Debian system dirs
  so Debian's containerd/runc/docker-init are used, not anything in
  /usr/local.
* The CLI is isolated from the user's ~/.docker (DOCKER_CONFIG=<workdir>/cli)
  and from inherited DOCKER_* variables (contexts, TLS).
* containerd refuses unix socket paths > 104 bytes and pytest's tmp_path is
  long, so with a long workdir the exec root (and, if needed, docker.sock)
  moves to a short /tmp/dockerenv-XXXXXXXX dir, symlinked from
  <workdir>/exec; see _choose_paths.  If the test process is SIGKILLed that
  dir (and the engine) leak; stop() removes it otherwise.
* PID 1 of this VM (/process_api) reaps orphans lazily: after a hard kill,
  shim/container processes can stay zombies (state Z, ppid 1) for a few
  seconds.  Use pid_alive()/wait_pids_gone(), not os.path.exists("/proc/N").
* Timings seen: dockerd answers `docker info` ~0.13-0.22 s after exec,
  `docker run -d` returns a running container in ~0.2-0.35 s, the OOM hog is
  killed ~0.35-0.4 s after start, and SIGTERM shutdown of dockerd takes ~1 s
  (it waits for the managed containerd to go away).
* Container names need at least 2 characters ("x" is rejected by dockerd).
* Shim sockets live in /run/containerd/s/<hash> (hard-coded in containerd
  1.6, independent of the managed containerd's state dir); they are removed
  by the shims on normal exit.
"""

import contextlib
import ctypes
import errno
import os
import re
import shutil
import signal
import subprocess
import tarfile
import time

from rs import kill_all

__all__ = ["DockerEngine", "busybox_rootfs", "BUSYBOX_APPLETS_REQUIRED"]

DOCKERD = "/usr/sbin/dockerd"
CLI_CANDIDATES = ("/usr/bin/docker", "/usr/local/bin/docker")
SYSTEM_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
CGROUP_ROOT = "/sys/fs/cgroup"
CGROUP_PARENT = "docker"   # dockerd default cgroup parent with cgroupfs driver

_HEX64 = re.compile(r"^[0-9a-f]{64}$")

# comm (truncated to 15 chars by the kernel) prefixes of processes that belong
# to an engine and may be killed by stop() if their cmdline names the workdir.
_ENGINE_COMMS = ("dockerd", "containerd", "containerd-shim", "runc")


def _log_tail(path, nbytes=6000):
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - nbytes))
            return f.read().decode("utf-8", "replace")
    except OSError as e:
        return "<cannot read %s: %s>" % (path, e)


def _unescape_mountinfo(s):
    # mountinfo escapes space, tab, newline and backslash as \ooo
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def mounts_under(path):
    """Mount points at or below `path` (realpath'ed), deepest first."""
    path = os.path.realpath(path)
    res = []
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                fields = line.split(" ")
                if len(fields) < 5:
                    continue
                mp = _unescape_mountinfo(fields[4])
                if mp == path or mp.startswith(path + "/"):
                    res.append(mp)
    except OSError:
        pass
    res.sort(key=lambda p: (p.count("/"), len(p)), reverse=True)
    return res


_libc = None


def _umount_detach(target):
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
    MNT_DETACH = 2
    if _libc.umount2(os.fsencode(target), MNT_DETACH) != 0:
        e = ctypes.get_errno()
        if e not in (errno.EINVAL, errno.ENOENT):
            return e
    return 0


def _read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def engine_processes(*roots):
    """PIDs of dockerd/containerd/shim/runc processes whose cmdline names one of roots."""
    roots = [os.path.realpath(os.fspath(r)) for r in roots if r]
    me = os.getpid()
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit() or int(d) == me:
            continue
        try:
            comm = _read("/proc/%s/comm" % d).strip()
            if not comm.startswith(_ENGINE_COMMS):
                continue
            cmdline = _read("/proc/%s/cmdline" % d, "rb").decode("utf-8", "replace")
        except OSError:
            continue
        cmdline = cmdline.replace("\0", " ")
        if any(r in cmdline for r in roots):
            out.append(int(d))
    return out


def pid_alive(pid):
    """True if pid exists and is not a zombie.

    Quirk: after a hard kill the container's init is reparented to PID 1 of
    this VM (/process_api), which reaps zombies lazily, so /proc/<pid> can
    linger for a while in state Z after the process is really dead."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            st = f.read()
    except OSError:
        return False
    return st[st.rindex(")") + 2:].split()[0] not in ("Z", "X")


def wait_pids_gone(pids, timeout=5.0):
    """Wait until none of pids is alive (zombies count as dead); returns survivors."""
    deadline = time.monotonic() + timeout
    while True:
        alive = [p for p in pids if pid_alive(p)]
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def container_cgroup_dirs(cid):
    """Existing cgroup directories of container `cid` in all hierarchies."""
    dirs = []
    try:
        hierarchies = os.listdir(CGROUP_ROOT)
    except OSError:
        return dirs
    for h in hierarchies:
        d = os.path.join(CGROUP_ROOT, h, CGROUP_PARENT, cid)
        if os.path.isdir(d):
            dirs.append(d)
    # pure cgroup2 host: /sys/fs/cgroup/docker/<id>
    d = os.path.join(CGROUP_ROOT, CGROUP_PARENT, cid)
    if os.path.isdir(d) and d not in dirs:
        dirs.append(d)
    return dirs


def cgroup_pids(cgdir):
    pids = set()
    for root, _dirs, files in os.walk(cgdir):
        if "cgroup.procs" in files:
            try:
                for l in _read(os.path.join(root, "cgroup.procs")).split():
                    pids.add(int(l))
            except (OSError, ValueError):
                pass
    return pids


def _rmdir_tree(cgdir):
    # cgroup dirs must be removed bottom-up with rmdir (not unlink of files)
    for root, dirs, _files in os.walk(cgdir, topdown=False):
        for d in dirs:
            try:
                os.rmdir(os.path.join(root, d))
            except OSError:
                pass
    try:
        os.rmdir(cgdir)
    except OSError:
        pass


@contextlib.contextmanager
def rootfs_tar(rootfs_dir, workdir):
    """A tar of `rootfs_dir`, every entry owned by root, for an engine's import; removed after"""
    rootfs_dir = os.fspath(rootfs_dir)
    tar_path = os.path.join(workdir, "import-%d.tar" % time.monotonic_ns())

    def owner_root(ti):
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = "root"
        return ti

    with tarfile.open(tar_path, "w") as tf:
        for entry in sorted(os.listdir(rootfs_dir)):
            tf.add(os.path.join(rootfs_dir, entry), arcname=entry, filter=owner_root)
    try:
        yield tar_path
    finally:
        os.unlink(tar_path)


def import_changes(changes):
    """`--change` arguments of an import"""
    return [a for c in changes for a in ("--change", c)]


def runner_rootfs(work, fake_bin):
    """A busybox root with the fake GitHub runner at /actions-runner (bin, _spool, _results)"""
    root = busybox_rootfs(os.path.join(os.fspath(work), "rootfs"))
    os.makedirs(os.path.join(root, "actions-runner", "bin"))
    for b in ("Runner.Listener", "Runner.Worker"):
        shutil.copy2(os.path.join(fake_bin, b), os.path.join(root, "actions-runner", "bin"))
    for d in ("_spool", "_results"):
        os.makedirs(os.path.join(root, "actions-runner", d))
    return root


class DockerEngine:
    """A private dockerd (+ managed containerd) rooted in a test-owned workdir."""

    def __init__(self, workdir, storage_driver=None, extra_daemon_args=()):
        self.workdir = os.path.realpath(os.fspath(workdir))
        self.data_root = os.path.join(self.workdir, "data")
        # exec_root / sock may be moved to a short directory by start(), see
        # _choose_paths (unix socket path length limits)
        self.exec_root = os.path.join(self.workdir, "exec")
        self.short_dir = None
        self.pidfile = os.path.join(self.workdir, "docker.pid")
        self.sock = os.path.join(self.workdir, "docker.sock")
        self.host = "unix://" + self.sock
        self.log_path = os.path.join(self.workdir, "dockerd.log")
        self.cli_config = os.path.join(self.workdir, "cli")
        self.storage_driver = storage_driver or os.environ.get("DOCKERENV_STORAGE_DRIVER") or None
        self.extra_daemon_args = tuple(extra_daemon_args)
        self.cli = None
        self.proc = None
        self.start_seconds = None       # wall time until `docker info` answered
        self._env = None
        self._known_ids = set()         # every container id we ever saw

    # ------------------------------------------------------------------ start
    def _cli_env(self, api_version=None):
        env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKER_")}
        env["DOCKER_HOST"] = self.host
        env["DOCKER_CONFIG"] = self.cli_config
        env["PATH"] = SYSTEM_PATH + ":" + env.get("PATH", "")
        if api_version:
            env["DOCKER_API_VERSION"] = api_version
        return env

    def _daemon_cmd(self):
        cmd = [
            DOCKERD,
            "--iptables=false", "--ip6tables=false", "--bridge=none",
            "--data-root", self.data_root,
            "--exec-root", self.exec_root,
            "--pidfile", self.pidfile,
            "-H", self.host,
            "--log-level", "warn",
            # no systemd here; make the /docker/<id> cgroup layout explicit
            "--exec-opt", "native.cgroupdriver=cgroupfs",
            # nothing to publish with --network none; do not need docker-proxy
            "--userland-proxy=false",
            # we rm -f everything before SIGTERM; do not wait 15 s for stragglers
            "--shutdown-timeout", "2",
        ]
        if self.storage_driver:
            cmd += ["--storage-driver", self.storage_driver]
        cmd += list(self.extra_daemon_args)
        return cmd

    def start(self, timeout=60):
        if self.proc is not None:
            raise RuntimeError("DockerEngine already started")
        if os.geteuid() != 0:
            raise RuntimeError("DockerEngine needs root (euid=%d)" % os.geteuid())
        if not os.access(DOCKERD, os.X_OK):
            raise RuntimeError("%s not found: apt-get install docker.io" % DOCKERD)
        clis = [c for c in CLI_CANDIDATES if os.access(c, os.X_OK)]
        w = shutil.which("docker")
        if w and os.path.realpath(w) not in [os.path.realpath(c) for c in clis]:
            clis.append(w)
        if not clis:
            raise RuntimeError("no docker CLI found: apt-get install docker.io")
        os.makedirs(self.workdir, exist_ok=True)
        self._choose_paths()
        for d in (self.data_root, self.exec_root, self.cli_config):
            os.makedirs(d, exist_ok=True)

        env = dict(os.environ)
        env["PATH"] = SYSTEM_PATH + ":" + env.get("PATH", "")
        for k in ("DOCKER_HOST", "DOCKER_CONTEXT", "DOCKER_TLS_VERIFY", "DOCKER_CERT_PATH",
                  "NOTIFY_SOCKET"):
            env.pop(k, None)
        t0 = time.monotonic()
        log = open(self.log_path, "ab")
        try:
            self.proc = subprocess.Popen(
                self._daemon_cmd(), stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, env=env, cwd=self.workdir,
                start_new_session=True)  # keep it out of pytest's process group
        finally:
            log.close()

        deadline = t0 + timeout
        last_err = ""
        while True:
            rc = self.proc.poll()
            if rc is not None:
                tail = _log_tail(self.log_path)
                self._cleanup_after_daemon()
                self.proc = None
                raise RuntimeError("dockerd exited with %s during startup; log tail:\n%s"
                                   % (rc, tail))
            if os.path.exists(self.sock):
                ok, last_err = self._pick_cli(clis)
                if ok:
                    break
            if time.monotonic() > deadline:
                tail = _log_tail(self.log_path)
                self.stop()
                raise RuntimeError("dockerd did not answer `docker info` within %ss "
                                   "(last error: %s); log tail:\n%s" % (timeout, last_err, tail))
            time.sleep(0.05)
        self.start_seconds = time.monotonic() - t0
        return self

    # Quirk: containerd refuses unix socket paths longer than 104 bytes
    # ("failed to get listener for debug endpoint: ... unix socket path too
    # long (> 104)") and the managed containerd puts containerd-debug.sock and
    # containerd.sock.ttrpc in <exec-root>/containerd/.  pytest's tmp_path
    # (/tmp/pytest-of-root/pytest-N/<test name>/...) easily exceeds that, and
    # dockerd then hangs ~15 s and exits.  So when <workdir>/exec is too long we
    # use a short mkdtemp dir /tmp/dockerenv-XXXXXXXX as exec root, leave a
    # symlink <workdir>/exec -> it, and stop() removes it.  The same goes for
    # docker.sock (sun_path is 108 bytes), which then gets a symlink
    # <workdir>/docker.sock -> <short>/docker.sock (connect() follows it).
    _EXEC_ROOT_MAX = 60      # + "/libnetwork/<12 hex>.sock" and containerd sockets
    _SOCK_MAX = 100

    def _choose_paths(self):
        want_exec = os.path.join(self.workdir, "exec")
        want_sock = os.path.join(self.workdir, "docker.sock")
        if len(want_exec) <= self._EXEC_ROOT_MAX and len(want_sock) <= self._SOCK_MAX:
            self.exec_root, self.sock = want_exec, want_sock
        else:
            import tempfile
            self.short_dir = tempfile.mkdtemp(prefix="dockerenv-", dir="/tmp")
            self.exec_root = os.path.join(self.short_dir, "exec")
            os.makedirs(self.exec_root)
            if os.path.islink(want_exec):   # stale link from an earlier start()
                os.unlink(want_exec)
            if not os.path.lexists(want_exec):
                os.symlink(self.exec_root, want_exec)
            if len(want_sock) <= self._SOCK_MAX:
                self.sock = want_sock
            else:
                self.sock = os.path.join(self.short_dir, "docker.sock")
                if os.path.islink(want_sock):
                    os.unlink(want_sock)
                if not os.path.lexists(want_sock):
                    os.symlink(self.sock, want_sock)
        self.host = "unix://" + self.sock

    def _roots(self):
        return [r for r in (self.workdir, self.short_dir) if r]

    def _pick_cli(self, clis):
        """Use the first CLI that gets an answer from `docker info`.

        A client that is too new for the daemon and does not negotiate gets
        DOCKER_API_VERSION set to the daemon's maximum API version."""
        err = ""
        for cli in clis:
            api = None
            for _attempt in range(2):
                env = self._cli_env(api)
                try:
                    p = subprocess.run(
                        [cli, "-H", self.host, "info", "--format",
                         "{{.ServerVersion}}|{{.Driver}}|{{.CgroupDriver}}|{{.CgroupVersion}}"],
                        env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                        timeout=10)
                except subprocess.TimeoutExpired:
                    err = "%s info timed out" % cli
                    break
                out = p.stdout.strip()
                if p.returncode == 0 and out.count("|") == 3 and not out.startswith("|"):
                    self.cli = cli
                    self._env = env
                    (self.server_version, self.storage_driver_used,
                     self.cgroup_driver, self.cgroup_version) = out.split("|")
                    return True, ""
                err = "%s: %s" % (cli, (p.stderr or p.stdout).strip())
                m = re.search(r"[Mm]aximum supported API version is ([0-9.]+)", err)
                if not m or api:
                    break
                api = m.group(1)
        return False, err

    # -------------------------------------------------------------------- CLI
    def docker(self, *args, check=True, input=None, timeout=120):
        if self.cli is None:
            raise RuntimeError("DockerEngine not started")
        cmd = [self.cli, "-H", self.host] + [os.fspath(a) for a in args]
        try:
            p = subprocess.run(cmd, env=self._env, input=input,
                               stdin=None if input is not None else subprocess.DEVNULL,
                               capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise RuntimeError("%s timed out after %ss; dockerd log tail:\n%s" % (
                " ".join(cmd[:6]), timeout, self.log_tail())) from e
        if check and p.returncode != 0:
            raise RuntimeError("%s failed (rc=%d): %s" % (
                " ".join(cmd), p.returncode, (p.stderr or p.stdout).strip()))
        return p

    def log_tail(self, lines=15):
        """The last lines of dockerd's (and its containerd's) log, for a failure message."""
        try:
            with open(self.log_path, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 64 * 1024))
                tail = f.read().decode("utf-8", "replace").splitlines()[-lines:]
        except OSError as e:
            return "(no log: %s)" % e
        return "\n".join(l[:400] for l in tail)

    def import_image(self, rootfs_dir, tag, changes=('CMD ["/bin/sh"]',)):
        """`docker import` of `rootfs_dir` (owner forced to root) as `tag`.

        Returns the image id (sha256:...)."""
        with rootfs_tar(rootfs_dir, self.workdir) as tar_path:
            return self.docker("import", *import_changes(changes), tar_path, tag).stdout.strip()

    def run(self, image, *cmd, name=None, extra=()):
        """docker run -d --pull never --network none; returns the 64-hex id."""
        args = ["run", "-d", "--pull", "never", "--network", "none"]
        if name:
            args += ["--name", name]
        args += list(extra)
        args.append(image)
        args += list(cmd)
        p = self.docker(*args)
        cid = p.stdout.strip().splitlines()[-1].strip() if p.stdout.strip() else ""
        if not _HEX64.match(cid):
            raise RuntimeError("docker run printed no container id: %r / %r"
                               % (p.stdout, p.stderr))
        self._known_ids.add(cid)
        return cid

    # convenience helpers (not part of the frozen API, but handy in tests)
    def inspect(self, cid, fmt):
        return self.docker("inspect", "-f", fmt, cid).stdout.strip()

    def host_pid(self, cid):
        """Host PID of the container's init process (0 if not running)."""
        return int(self.inspect(cid, "{{.State.Pid}}"))

    def wait(self, cid, timeout=60):
        """Wait for the container to exit; returns its exit code."""
        return int(self.docker("wait", cid, timeout=timeout).stdout.strip())

    def container_ids(self, all=True):
        args = ["ps", "-q", "--no-trunc"] + (["-a"] if all else [])
        p = self.docker(*args, check=False, timeout=30)
        return [l.strip() for l in p.stdout.splitlines() if _HEX64.match(l.strip())]

    # ------------------------------------------------------------------- stop
    def _daemon_alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """Remove all containers, stop dockerd, kill stragglers, unmount. Idempotent."""
        if self._daemon_alive() and self.cli is not None:
            try:
                ids = self.container_ids()
                self._known_ids.update(ids)
                if ids:
                    self.docker("rm", "-f", "-v", *ids, check=False, timeout=60)
            except (subprocess.TimeoutExpired, RuntimeError, OSError):
                pass
        if self.proc is not None:
            if self.proc.poll() is None:
                try:
                    self.proc.send_signal(signal.SIGTERM)
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait(timeout=30)
            self.proc = None
        self._cleanup_after_daemon()
        self.cli = None

    def _cleanup_after_daemon(self):
        # 1. engine processes still around (managed containerd normally dies with
        #    dockerd via Pdeathsig; shims are daemonised and survive a hard kill)
        for sig in (signal.SIGTERM, signal.SIGKILL):
            pids = engine_processes(*self._roots())
            if not pids:
                break
            kill_all(pids, sig)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and engine_processes(*self._roots()):
                time.sleep(0.05)
        # 2. container processes left in /docker/<id> cgroups of our containers
        #    (ids seen via run()/ps, plus whatever the data root knows about)
        try:
            self._known_ids.update(
                c for c in os.listdir(os.path.join(self.data_root, "containers"))
                if _HEX64.match(c))
        except OSError:
            pass
        ids = set(self._known_ids)
        for cid in ids:
            for _ in range(50):
                pids = set()
                for d in container_cgroup_dirs(cid):
                    pids |= cgroup_pids(d)
                if not pids:
                    break
                kill_all(pids)
                time.sleep(0.05)
            for d in container_cgroup_dirs(cid):
                _rmdir_tree(d)
        # 3. mounts (overlay merged dirs, nsfs netns files, data-root self bind)
        for _ in range(3):
            mps = [m for r in self._roots() for m in mounts_under(r)]
            if not mps:
                break
            for mp in mps:
                _umount_detach(mp)
        # 4. stale pid file / socket so a restart on the same workdir works
        for p in (self.pidfile, self.sock):
            try:
                os.unlink(p)
            except OSError:
                pass
        # 5. the short exec root outside workdir (only once nothing is mounted in it)
        if self.short_dir and not mounts_under(self.short_dir):
            shutil.rmtree(self.short_dir, ignore_errors=True)
            for link in (os.path.join(self.workdir, "exec"),
                         os.path.join(self.workdir, "docker.sock")):
                if os.path.islink(link):
                    os.unlink(link)
            self.short_dir = None

    def leftovers(self):
        """Describe anything of this engine still alive/mounted (empty if clean)."""
        out = []
        if self._daemon_alive():
            out.append("dockerd pid %d alive" % self.proc.pid)
        for pid in engine_processes(*self._roots()):
            try:
                out.append("process %d (%s)" % (pid, _read("/proc/%d/comm" % pid).strip()))
            except OSError:
                pass
        for r in self._roots():
            for mp in mounts_under(r):
                out.append("mount %s" % mp)
        if self.short_dir and os.path.exists(self.short_dir):
            out.append("short exec dir %s" % self.short_dir)
        for cid in self._known_ids:
            for d in container_cgroup_dirs(cid):
                out.append("cgroup %s" % d)
        return out

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


# ------------------------------------------------------------------ rootfs
BUSYBOX = "/bin/busybox"  # from Debian's busybox-static (statically linked)
BUSYBOX_APPLETS_REQUIRED = ("sh", "sleep", "cat", "ls", "echo", "kill", "setsid", "mkdir",
                            "rm", "mv", "touch", "true", "false")


def _elf_has_interp(path):
    """True if the ELF64 LE binary has a PT_INTERP program header (= dynamic)."""
    import struct
    with open(path, "rb") as f:
        ehdr = f.read(64)
        if ehdr[:4] != b"\x7fELF" or ehdr[4] != 2 or ehdr[5] != 1:
            return False
        phoff, = struct.unpack_from("<Q", ehdr, 0x20)
        phentsize, phnum = struct.unpack_from("<HH", ehdr, 0x36)
        f.seek(phoff)
        ph = f.read(phentsize * phnum)
    return any(struct.unpack_from("<I", ph, i * phentsize)[0] == 3 for i in range(phnum))


def busybox_rootfs(dest_dir):
    """Minimal rootfs: /bin/busybox + applet symlinks, /etc/{passwd,group}, mount points.

    Every applet busybox reports (`busybox --list`) is linked into /bin; the
    required ones are checked.  Returns dest_dir."""
    dest_dir = os.fspath(dest_dir)
    if not os.access(BUSYBOX, os.X_OK):
        raise RuntimeError("%s missing: apt-get install busybox-static" % BUSYBOX)
    if _elf_has_interp(BUSYBOX):
        raise RuntimeError("%s is dynamically linked; install busybox-static" % BUSYBOX)
    for d in ("bin", "sbin", "etc", "tmp", "proc", "sys", "dev", "root", "var", "run",
              "usr/bin"):
        os.makedirs(os.path.join(dest_dir, d), exist_ok=True)
    os.chmod(os.path.join(dest_dir, "tmp"), 0o1777)
    shutil.copy2(BUSYBOX, os.path.join(dest_dir, "bin", "busybox"))
    os.chmod(os.path.join(dest_dir, "bin", "busybox"), 0o755)
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    missing = [a for a in BUSYBOX_APPLETS_REQUIRED if a not in applets]
    if missing:
        raise RuntimeError("busybox lacks applets: %s" % missing)
    for a in applets:
        if "/" in a or a == "busybox":
            continue
        link = os.path.join(dest_dir, "bin", a)
        if not os.path.lexists(link):
            os.symlink("busybox", link)
    with open(os.path.join(dest_dir, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\n"
                "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n")
    with open(os.path.join(dest_dir, "etc", "group"), "w") as f:
        f.write("root:x:0:\nnogroup:x:65534:\n")
    return dest_dir
