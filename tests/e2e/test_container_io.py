"""Container block I/O, network and pids against what real containers did, on a private
Docker engine: bytes sent over a veth between two containers' namespaces, bytes written with
O_DIRECT to a block device, a fork bomb held by --pids-limit, a host-network container."""
import os
import re
import subprocess

from prometheus_client.openmetrics import parser as om_parser

import rs
from rs import wait_for
from conftest import IMAGE

NET = "runnerscope_container_network_bytes_total"
PACKETS = "runnerscope_container_network_packets_total"
IO = "runnerscope_container_io_bytes_total"
IO_OPS = "runnerscope_container_io_operations_total"
MiB = 2**20
OM = "application/openmetrics-text; version=1.0.0"


def sh(*cmd, **kw):
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True,
                          timeout=60, **kw).stdout


def in_netns(pid, *cmd):
    """a host tool (ip) run in the network namespace of process pid"""
    return sh("nsenter", "-t", pid, "-n", *cmd)


def listening(pid, port):
    """process pid's namespace has a TCP socket listening on port"""
    for t in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{t}") as f:
            if any(l.split()[1].endswith(f":{port:04X}") and l.split()[3] == "0A"
                   for l in f.read().splitlines()[1:]):
                return True
    return False


def counters(m, name, cid):
    return {l["direction"]: v for l, v in m.find(name, container_id=cid)}


def test_bytes_over_a_veth_between_two_containers(engine, dock, daemon, tmp_path):
    """8 MiB over TCP from one container's namespace to another's through a veth pair made
    here: the sender's transmit and the receiver's receive grow by the payload and the
    protocol's overhead, no more. Loopback traffic in a namespace is left out."""
    d = daemon("--containers=all", f"--docker.data-root={engine.data_root}")
    a = dock(IMAGE, "sleep", "1000", name="rsctr-net-a")
    b = dock(IMAGE, "sleep", "1000", name="rsctr-net-b")
    pa, pb = engine.host_pid(a), engine.host_pid(b)
    try:
        sh("ip", "link", "add", "rsctr-va", "type", "veth", "peer", "name", "rsctr-vb")
        sh("ip", "link", "set", "rsctr-va", "netns", pa)
        sh("ip", "link", "set", "rsctr-vb", "netns", pb)
    finally:
        # left on the host only when a move failed; with the containers' namespaces it goes
        subprocess.run(["ip", "link", "del", "rsctr-va"], capture_output=True)
    for pid, dev, ip in ((pa, "rsctr-va", "10.213.7.1"), (pb, "rsctr-vb", "10.213.7.2")):
        in_netns(pid, "ip", "addr", "add", f"{ip}/24", "dev", dev)
        in_netns(pid, "ip", "link", "set", dev, "up")
        in_netns(pid, "ip", "link", "set", "lo", "up")

    def both():
        m = d.scrape(rs.FRESH)
        return m if counters(m, NET, a) and counters(m, NET, b) else None
    m0 = wait_for(both, 10, what="both containers' network counters")
    # loopback traffic inside a namespace is not the container's network traffic
    engine.docker("exec", a, "sh", "-c", "sleep 1000 | nc -l -p 4000 >/dev/null & sleep 0.2; "
                  "dd if=/dev/zero bs=64k count=16 2>/dev/null | nc 127.0.0.1 4000")

    n = 8 * MiB
    engine.docker("exec", "-d", b, "sh", "-c", "sleep 1000 | nc -l -p 5000 | wc -c > /tmp/got")
    wait_for(lambda: listening(pb, 5000), 10, what="the receiver listening")
    engine.docker("exec", a, "sh", "-c",
                  f"dd if=/dev/zero bs=64k count={n // 65536} 2>/dev/null | nc 10.213.7.2 5000")
    got = wait_for(lambda: engine.docker("exec", b, "cat", "/tmp/got", check=False)
                   .stdout.strip(), 10, what="the receiver's count")
    assert int(got) == n

    # the sender's transmit and the receiver's receive grew by the payload plus, per packet,
    # its headers: Ethernet 14, IPv4 20 and TCP at most 60 bytes (the veth passes GSO frames
    # whole, one header for many segments, and counts them as one packet), plus the few
    # packets IPv6 sends by itself on a new link (router solicitations, MLD reports: 4 KiB)
    def grown():
        m = d.scrape(rs.FRESH)
        ta = counters(m, NET, a)["transmit"] - counters(m0, NET, a)["transmit"]
        rb = counters(m, NET, b)["receive"] - counters(m0, NET, b)["receive"]
        return (m, ta, rb) if ta >= n and rb >= n else None
    m, ta, rb = wait_for(grown, 10, what="the payload counted on both sides")
    pta = counters(m, PACKETS, a)["transmit"] - counters(m0, PACKETS, a)["transmit"]
    prb = counters(m, PACKETS, b)["receive"] - counters(m0, PACKETS, b)["receive"]
    print(f"payload {n} B: sender transmit +{ta:.0f} B in {pta:.0f} packets, receiver "
          f"receive +{rb:.0f} B in {prb:.0f} packets ({(ta - n) / n:.2%} overhead)")
    assert n <= ta <= n + pta * (14 + 20 + 60) + 4096, (n, ta, pta)
    assert n <= rb <= n + prb * (14 + 20 + 60) + 4096, (n, rb, prb)
    # never more packets than segments of the smallest MSS (536), never fewer than 64 KiB
    # frames; and nothing of the 1 MiB the sender moved over its own lo
    assert n / 65536 <= pta <= n / 536 + 100, pta
    assert ta <= n * 1.1, ta
    # what came back to the sender: acknowledgements, a small share
    ra = counters(m, NET, a)["receive"] - counters(m0, NET, a)["receive"]
    assert 0 < ra <= n * 0.1, ra


def test_a_host_network_container_has_no_network_counters(engine, dock, daemon):
    d = daemon("--containers=all", f"--docker.data-root={engine.data_root}")
    host = engine.docker("run", "-d", "--pull", "never", "--network", "host", "--name",
                         "rsctr-hostnet", IMAGE, "sleep", "1000").stdout.strip().splitlines()[-1]
    try:
        own = dock(IMAGE, "sleep", "1000", name="rsctr-ownnet")

        def seen():
            m = d.scrape(rs.FRESH)
            return m if (m.find("runnerscope_container_info", container_id=host) and
                         counters(m, NET, own)) else None
        m = wait_for(seen, 10, what="both containers read")
        # a few passes more: the host-network one never gains them
        for _ in range(3):
            m = d.scrape(rs.FRESH)
        assert not m.find(NET, container_id=host) and not m.find(PACKETS, container_id=host)
        assert m.value("runnerscope_container_cpu_seconds_total", container_id=host,
                       mode="user") is not None
        # --network none: only lo, which does not count
        assert counters(m, NET, own) == {"receive": 0, "transmit": 0}
    finally:
        engine.docker("rm", "-f", host, check=False)


def blkio_v1_dir(cid):
    d = os.path.join(rs.CGROOT, "blkio", "docker", cid)
    return d if os.path.isdir(d) else None


def kernel_written(cid):
    """the write bytes the kernel charged to the container, as runnerscope should read them"""
    d = blkio_v1_dir(cid)
    if d:
        with open(os.path.join(d, "blkio.throttle.io_service_bytes_recursive")) as f:
            return sum(int(v) for dev, op, v in (l.split() for l in f
                                                  if re.match(r"\d+:\d+ Write ", l)))
    with open(os.path.join(rs.unified_root(), "docker", cid, "io.stat")) as f:
        return sum(int(x.split("=")[1]) for l in f for x in l.split()[1:]
                   if x.startswith("wbytes="))


def test_direct_writes_to_a_block_device(engine, dock, daemon, tmp_path):
    """16 MiB written with O_DIRECT to an ext4 on a loop device the container has mounted.
    On cgroup v1 (blkio) the kernel counts a device only once throttling was set up for it:
    --device-write-bps with a rate never reached does that for the loop device alone."""
    with rs.LoopFs(str(tmp_path)) as fs:
        run_direct_writes(engine, dock, daemon, fs.dev, tmp_path / "mnt")


def run_direct_writes(engine, dock, daemon, loop, mnt):
    d = daemon("--containers=all", f"--docker.data-root={engine.data_root}")
    n = 16 * MiB
    os.mkfifo(mnt / "go")
    cid = dock(IMAGE, "sh", "-c", "read go < /data/go; "
               f"dd if=/dev/zero of=/data/f bs=1M count={n // MiB} oflag=direct 2>/data/dd; "
               "echo $? > /data/done; sleep 1000",
               name="rsctr-io", extra=["-v", f"{mnt}:/data", "--device-write-bps",
                                       f"{loop}:1000gb", "--pids-limit", "100"])
    # before: what the container did so far (nothing on this device)
    m0 = wait_for(lambda: d.scrape(rs.FRESH).find("runnerscope_container_info",
                                                   container_id=cid) and d.scrape(rs.FRESH),
                  10, what="the container tracked")
    w0 = counters(m0, IO, cid).get("write", 0)
    rs.release(str(mnt / "go"))
    wait_for(lambda: (mnt / "done").exists(), 30, what="dd done")
    assert (mnt / "done").read_text().strip() == "0", (mnt / "dd").read_text()

    def written():
        m = d.scrape(rs.FRESH)
        w = counters(m, IO, cid).get("write")
        return (m, w) if w is not None and w - w0 >= n else None
    m, w = wait_for(written, 10, what="the writes counted")
    # what the kernel charged, read either side of a scrape: the metric lies between
    before = kernel_written(cid)
    m = d.scrape(rs.FRESH)
    after = kernel_written(cid)
    w = counters(m, IO, cid)["write"]
    assert before <= w <= after, (before, w, after)
    # the payload and the file system's own few blocks (its journal is written by jbd2,
    # outside the container); cgroup2 also charges the loop device's writes to its backing
    # file on the host's disk to the container: twice the payload there
    slack = n * 0.02 + MiB
    top = 2 * n + slack if not blkio_v1_dir(cid) else n + slack
    print(f"wrote {n} B with O_DIRECT: io write +{w - w0:.0f} B, "
          f"{counters(m, IO_OPS, cid)['write']:.0f} write operations")
    assert n <= w - w0 <= top, (n, w - w0)
    # at most one operation a 512-byte sector, at least one a 1 MiB request
    ops = counters(m, IO_OPS, cid)["write"]
    assert n / MiB <= ops <= n / 512, ops
    lint(d, cid)


def lint(d, cid):
    """every new family present for the container, and the page clean for promtool and for
    the OpenMetrics reference parser"""
    m = d.scrape(rs.FRESH)
    for name in (IO, IO_OPS, NET, PACKETS):
        assert set(counters(m, name, cid)) in ({"read", "write"}, {"receive", "transmit"}), name
    assert m.value("runnerscope_container_pids", container_id=cid) >= 1
    assert m.value("runnerscope_container_pids_limit", container_id=cid) == 100
    out = subprocess.run(["promtool", "check", "metrics"], input=m.text, capture_output=True,
                         text=True)
    assert out.returncode == 0 and not out.stdout.strip() and not out.stderr.strip(), \
        out.stdout + out.stderr
    status, om, _ = d.get("/metrics", headers={"Accept": OM})
    assert status == 200
    fams = {f.name: f for f in om_parser.text_string_to_metric_families(om.decode())}
    assert fams["runnerscope_container_io_bytes"].type == "counter"
    assert fams["runnerscope_container_io_bytes"].unit == "bytes"
    assert fams["runnerscope_container_network_packets"].type == "counter"
    assert fams["runnerscope_container_pids_limit"].type == "gauge"


def test_a_fork_bomb_held_by_its_pids_limit(engine, dock, daemon):
    d = daemon("--containers=all", f"--docker.data-root={engine.data_root}")
    # xargs spawns as fast as it can and outlives the forks the limit refuses
    cid = dock(IMAGE, "sh", "-c", "seq 1000 | xargs -n1 -P1000 sleep 1000",
               name="rsctr-bomb", extra=["--pids-limit", "20"])

    def full():
        m = d.scrape(rs.FRESH)
        return m if m.value("runnerscope_container_pids", container_id=cid) == 20 else None
    m = wait_for(full, 20, what="the container's tasks at its limit")
    assert m.value("runnerscope_container_pids_limit", container_id=cid) == 20
    # and the kernel refused it forks
    with open(os.path.join(rs.CGROOT, "pids", "docker", cid, "pids.events")
              if os.path.isdir(os.path.join(rs.CGROOT, "pids", "docker", cid))
              else os.path.join(rs.unified_root(), "docker", cid, "pids.events")) as f:
        assert int(f.read().split()[1]) > 0
    # a container without a limit has no limit series, but its tasks
    free = dock(IMAGE, "sleep", "1000", name="rsctr-nolimit")
    m = wait_for(lambda: (lambda m: m if m.value("runnerscope_container_pids",
                                                 container_id=free) == 1 else None)(
        d.scrape(rs.FRESH)), 10, what="the unlimited container's tasks")
    assert m.value("runnerscope_container_pids_limit", container_id=free) is None
