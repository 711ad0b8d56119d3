import os

import pytest

import dockerenv
import rs

IMAGE = "runnerscope-fake-runner:test"


# the fixtures that start a Docker engine: tests that use one are marked `docker`, so that a run
# without an engine (the other kernels of the matrix, under qemu) can leave them out by name
DOCKER_FIXTURES = {"engine", "own_engine", "dock"}


def pytest_configure(config):
    config.addinivalue_line("markers", "docker: the test needs a Docker engine")
    config.addinivalue_line("markers", "slow: the test runs for half a minute or more here, "
                            "many times that under qemu's TCG: the kernel matrix leaves it out")
    config.addinivalue_line("markers", "smp: the test needs two CPUs: the kernel matrix, whose "
                            "guests have one, leaves it out")


def pytest_collection_modifyitems(config, items):
    for item in items:
        if DOCKER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.docker)


def pytest_sessionstart(session):
    # these tests load BPF programs and make cgroups: without root they must fail, not skip
    if os.geteuid() != 0:
        raise pytest.UsageError("the end-to-end tests need root (BPF, cgroups, Docker)")
    for path in (rs.DAEMON, os.path.join(rs.FAKE_BIN, "Runner.Listener")):
        if not os.access(path, os.X_OK):
            raise pytest.UsageError(f"{path} is not built: run `make all fixtures` first")


@pytest.fixture(autouse=True)
def no_container_cgroup_left():
    """A container's cgroup that a test made (itself, or through a runtime) and left behind
    fails that test, and is removed: the daemons of the tests after it would find it there at
    their start-up and count it, and a count to compare would be one off."""
    before = set(rs.container_cgroups())
    yield
    left = [d for d in rs.container_cgroups() if d not in before]
    if not left:
        return
    what = [f"{d}: {rs.procs_of(d) or 'empty'}" for d in left]
    # deepest first, as a container's own cgroup may sit below another (cgroup2's
    # <scope>/container)
    for d in sorted(left, key=lambda d: -d.count("/")):
        rs.remove_cgroup_dir(d)
    pytest.fail("container cgroups left behind:\n  " + "\n  ".join(what), pytrace=False)


@pytest.fixture
def workdir(tmp_path):
    os.chmod(tmp_path, 0o755)
    return str(tmp_path)


@pytest.fixture
def cgroups():
    made = []

    def make(relpath, hierarchies=("v1", "v2")):
        cg = rs.Cgroup(relpath, hierarchies)
        made.append(cg)
        return cg
    yield make
    for cg in reversed(made):
        cg.remove()


@pytest.fixture
def runners(workdir):
    made = []

    def make(name, **kw):
        r = rs.FakeRunner(workdir, name, **kw)
        made.append(r)
        return r
    yield make
    for r in made:
        r.cleanup()


@pytest.fixture
def agents(workdir):
    """A factory of fake Gitea, GitLab and Buildkite agents (rs.FakeAgent), stopped at the end."""
    made = []

    def make(binary, command, **kw):
        a = rs.FakeAgent(workdir, binary, command, **kw)
        made.append(a)
        return a.start()
    yield make
    for a in made:
        a.cleanup()


@pytest.fixture
def daemon(workdir):
    """A factory: daemon(*args) starts runnerscope; all are stopped (and must stop cleanly)."""
    made = []

    def start(*args, **kw):
        d = rs.Daemon(workdir, args, **kw)
        made.append(d)  # stopped at the end even when it never became healthy
        return d.start()
    yield start
    try:
        for d in made:
            d.stop()
    finally:
        for d in made:
            d.unpin()


def runner_engine(work, cls=dockerenv.DockerEngine):
    """A private dockerd with a busybox image holding the fake runner at /actions-runner."""
    eng = cls(str(work))
    eng.start()
    try:
        root = dockerenv.runner_rootfs(work, rs.FAKE_BIN)
        # a .runner that points at a host path: must never be followed out of the container
        os.symlink("/tmp/runnerscope-host-secret/.runner",
                   os.path.join(root, "actions-runner", ".runner"))
        eng.import_image(root, IMAGE, changes=(
            'CMD ["/actions-runner/bin/Runner.Listener", "run"]',))
    except BaseException:
        eng.stop()
        raise
    return eng


def started_engine(tmp_path_factory, name):
    eng = runner_engine(tmp_path_factory.mktemp(name))
    try:
        yield eng
    finally:
        eng.stop()


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    """The engine most Docker tests share."""
    yield from started_engine(tmp_path_factory, "docker")


@pytest.fixture
def own_engine(tmp_path_factory):
    """An engine of the test's own, for tests that load dockerd hard (container churn): if
    dockerd or its containerd stalls under that load, the tests after it are not hit."""
    yield from started_engine(tmp_path_factory, "own-docker")


@pytest.fixture
def dock(engine):
    """engine.run for one test: its containers are removed when the test ends, so later
    tests' daemons do not find them."""
    started = []

    def run(*args, **kw):
        cid = engine.run(*args, **kw)
        started.append(cid)
        return cid
    yield run
    if started:
        engine.docker("rm", "-f", *started, check=False, timeout=300)
