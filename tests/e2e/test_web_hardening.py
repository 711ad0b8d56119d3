"""Hostile HTTP clients: idle and drip-feeding connections, a thousand at once, malformed
requests. runnerscope keeps its limits, keeps answering scrapes and keeps running."""
import ctypes
import os
import selectors
import socket
import threading
import time

import rs
from rs import wait_for


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def connections(pid):
    """The daemon's open TCP connections: its sockets less the one it listens on."""
    n = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            n += os.readlink(f"/proc/{pid}/fd/{fd}").startswith("socket:")
        except FileNotFoundError:
            pass
    return n - 1


def settled_fds(pid):
    """The daemon's fds once the connections of earlier requests are gone."""
    last = None
    for _ in range(50):
        n = open_fds(pid)
        if n == last:
            return n
        last = n
        time.sleep(0.1)
    return last


def connect_from(ip, port, rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        # set before connect: the window it advertises stays this small
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((ip, 0))
    s.connect(("127.0.0.1", port))
    return s


def closed_by_peer(s, timeout):
    """True once the server closes the connection (EOF or reset) within timeout."""
    s.settimeout(timeout)
    try:
        while True:
            data = s.recv(65536)
            if not data:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def test_idle_and_dripping_connections_do_not_block_scrapes(daemon):
    d = daemon("--web.timeout=3s")
    base = settled_fds(d.proc.pid)
    socks, drips = [], []
    opened = time.monotonic()
    # 200 connections from ten addresses: some say nothing, some half a request
    for i in range(200):
        s = connect_from(f"127.0.0.{2 + i % 10}", d.port)
        if i % 2:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n")
        socks.append(s)
    # and five that are never idle: a header byte every 300 ms, the classic slowloris
    for i in range(5):
        s = connect_from("127.0.0.12", d.port)
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-a: ")
        drips.append(s)
    stop = threading.Event()

    def drip():
        while not stop.wait(0.3):
            for s in drips:
                try:
                    s.send(b"a")
                except OSError:
                    pass
    t = threading.Thread(target=drip, daemon=True)
    t.start()
    try:
        # all of them are held open by the daemon
        wait_for(lambda: connections(d.proc.pid) == 205, 5, what="205 connections accepted")
        # a legitimate scrape still gets through, and fast
        t0 = time.monotonic()
        status, body, _ = d.get("/metrics")
        took = time.monotonic() - t0
        assert status == 200 and b"runnerscope_build_info" in body
        assert took < 1.0, f"scrape took {took:.3f}s with 205 idle connections"
        # after --web.timeout, every one of them is closed, the drip-feeders included
        for s in socks + drips:
            assert closed_by_peer(s, max(0.1, opened + 5.0 - time.monotonic())), \
                "a connection outlived --web.timeout"
        assert time.monotonic() - opened >= 2.5
    finally:
        stop.set()
        t.join()
        for s in socks + drips:
            s.close()
    wait_for(lambda: open_fds(d.proc.pid) <= base + 1, 5, what="fds back to baseline")
    m = d.scrape()
    # the drip-feeders were never idle: only the deadline could have closed them
    assert m.value("runnerscope_http_connections_timed_out_total") >= 5
    assert d.get("/healthz")[0] == 200


def big_metrics(runners, d, n=50):
    """n runners with a finished job each: a /metrics page far larger than socket buffers."""
    rr = [runners(f"load-runner-{i:02d}-{'x' * 40}").start() for i in range(n)]
    for r in rr:
        r.submit("j", "exit 100")
    for r in rr:
        r.result("j")
    wait_for(lambda: sum(v for l, v in d.scrape().find("runnerscope_jobs_finished_total")
                         if l["runner"].startswith("load-runner-")) == n,
             30, what=f"{n} jobs counted")
    return rr


def test_a_thousand_connections_at_once(daemon, runners):
    d = daemon("--web.max-requests=20")
    big_metrics(runners, d)
    status, body, _ = d.get("/metrics", headers={"Accept-Encoding": "identity"})
    # larger than what the kernel buffers of a connection (2 x 64 KiB) and a reader's window
    assert status == 200 and len(body) > 200_000, len(body)
    base = settled_fds(d.proc.pid)
    request = (b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\n"
               b"Connection: close\r\n\r\n")
    sel = selectors.DefaultSelector()
    socks = []
    for i in range(1000):
        s = socket.socket()
        # a reader that takes nothing yet: a 200's body cannot be sent in full, so it holds
        # its in-flight slot until we read
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.bind((f"127.0.0.{2 + i % 20}", 0))
        s.setblocking(False)
        s.connect_ex(("127.0.0.1", d.port))
        socks.append(s)
        sel.register(s, selectors.EVENT_WRITE, i)
    pending = set(range(1000))
    deadline = time.monotonic() + 20
    while pending and time.monotonic() < deadline:
        for key, _ in sel.select(0.5):
            i = key.data
            try:
                socks[i].send(request)
            except OSError:
                pass
            sel.unregister(socks[i])
            pending.discard(i)
    sel.close()
    # what the daemon holds: never above --web.max-connections (512)
    held = 0
    for _ in range(20):
        held = max(held, connections(d.proc.pid))
        time.sleep(0.1)
    assert 0 < held <= 512, held

    # before anything is read: who has a 200 on the way, who a 503
    def peek(s):
        try:
            return s.recv(16, socket.MSG_PEEK)
        except (BlockingIOError, InterruptedError):
            return b""
        except OSError:
            return b"closed"
    heads = [peek(s) for s in socks]
    ok_now = sum(h.startswith(b"HTTP/1.1 200") for h in heads)
    busy_now = sum(h.startswith(b"HTTP/1.1 503") for h in heads)
    assert 0 < ok_now <= 20, ok_now  # --web.max-requests pages being sent at once
    assert busy_now > 0

    # now read everything, every connection at once as a crowd of scrapers would (one after
    # another, the last ones would wait on the first while --web.timeout runs): each answer is
    # whole, or the connection was closed unanswered
    data = {i: bytearray() for i in range(1000)}
    sel = selectors.DefaultSelector()
    for i, s in enumerate(socks):
        sel.register(s, selectors.EVENT_READ, i)
    left = set(range(1000))
    deadline = time.monotonic() + 60 * rs.TIMEOUT_SCALE
    while left and time.monotonic() < deadline:
        for key, _ in sel.select(1):
            i = key.data
            try:
                chunk = socks[i].recv(1 << 20)
            except (BlockingIOError, InterruptedError):
                continue
            except ConnectionResetError:
                chunk = b""
            if chunk:
                data[i] += chunk
                continue
            sel.unregister(socks[i])
            socks[i].close()
            left.discard(i)
    sel.close()
    assert not left, f"{len(left)} connections neither answered in full nor closed"
    results = {"200": 0, "503": 0, "none": 0}
    for got in data.values():
        if not got:
            results["none"] += 1
            continue
        head, _, body = bytes(got).partition(b"\r\n\r\n")
        status = head.split(b" ", 2)[1].decode()
        length = int([l.split(b":")[1] for l in head.split(b"\r\n")
                      if l.lower().startswith(b"content-length:")][0])
        assert len(body) == length, (status, len(body), length)
        if status == "200":
            assert body.rstrip().endswith(b"runnerscope_scrape_duration_seconds " +
                                          body.rstrip().rsplit(b" ", 1)[1])
        else:
            assert status == "503" and b"--web.max-requests" in body, head
        results[status] += 1
    assert results["200"] >= ok_now and results["503"] >= busy_now, results
    assert sum(results.values()) == 1000
    # and it is still there, within its limits, as it was
    assert d.proc.poll() is None
    wait_for(lambda: open_fds(d.proc.pid) <= base + 1, 15, what="fds back to baseline")
    m = d.scrape()
    assert m.value("runnerscope_http_requests_in_flight") == 1
    assert m.value("runnerscope_http_requests_total", path="/metrics",
                   code="503") == results["503"]
    assert d.get("/healthz")[0] == 200
    print(f"1000 connections: {results}, held at most {held}, "
          f"{ok_now} pages in flight at once")


MALFORMED = [
    b"GARBAGE\r\n\r\n",
    b"\x00\x01\x02\x03\r\n\r\n",
    b"GET /metrics HTTP/9.9\r\nHost: x\r\n\r\n",
    b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 64_000 + b"\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(5000)) + b"\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999\r\n\r\nabc",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \xff\xfe\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept: " + b"a/b;q=0.5," * 3000 + b"\r\n\r\n",
    b"GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: " + b";" * 20_000 + b"\r\n\r\n",
    b"GET /metrics\r\n\r\n",
    b"GET\r\n\r\n",
    b"\r\n\r\n\r\n",
    b"GET /metrics HTTP/1.1\nHost: x\n\n",
    b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n" + b"p" * 1048576,
]


def test_malformed_requests(daemon):
    # a request that never ends (a body it will not send) is cut at --web.timeout
    d = daemon("--web.timeout=2s")
    statuses = []
    for req in MALFORMED:
        s = connect_from("127.0.0.1", d.port)
        s.settimeout(10)
        t0 = time.monotonic()
        try:
            s.sendall(req)
            data = s.recv(64)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
        assert time.monotonic() - t0 < 4, (req[:60], "not answered or closed in time")
        s.close()
        statuses.append(data.split(b"\r\n", 1)[0])
        assert d.proc.poll() is None, req[:60]
        # and it answers right away, whatever it was sent
        assert d.get("/healthz")[0] == 200, req[:60]
    print("answers:", statuses)
    # two requests in one write: two answers, in order
    s = connect_from("127.0.0.1", d.port)
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n"
              b"Connection: close\r\n\r\n")
    s.settimeout(10)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    assert data.startswith(b"HTTP/1.1 200") and b"HTTP/1.1 404" in data
    assert d.scrape().value("runnerscope_build_info", version=open(
        os.path.join(rs.REPO, "VERSION")).read().strip()) == 1


# ptrace requests; the event loop's thread alone is stopped, the HTTP threads run on
PTRACE_DETACH, PTRACE_SEIZE, PTRACE_INTERRUPT = 17, 0x4206, 0x4207
WALL = 0x40000000


def test_healthz_when_the_event_loop_stalls(daemon):
    d = daemon()
    assert d.get("/healthz")[:2] == (200, b"ok\n")
    libc = ctypes.CDLL(None, use_errno=True)
    libc.ptrace.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    tid = d.proc.pid  # the main thread runs the event loop
    assert libc.ptrace(PTRACE_SEIZE, tid, None, None) == 0, ctypes.get_errno()
    try:
        assert libc.ptrace(PTRACE_INTERRUPT, tid, None, None) == 0, ctypes.get_errno()
        status = ctypes.c_int()
        assert libc.waitpid(tid, ctypes.byref(status), WALL) == tid
        status, body, _ = wait_for(lambda: (lambda r: r if r[0] == 503 else None)(
            d.get("/healthz")), 15, interval=0.5, what="/healthz to go 503")
        assert body.startswith(b"unhealthy: event loop stalled for 1"), body
    finally:
        libc.ptrace(PTRACE_DETACH, tid, None, None)
    wait_for(lambda: d.get("/healthz")[0] == 200, 5, what="/healthz back to 200")


def test_healthz_when_a_program_is_detached(daemon, runners):
    d = daemon()
    assert d.get("/healthz")[0] == 200
    # the pins own the links: removing one detaches its program
    os.unlink(os.path.join(d.pin_path, "link_exec"))
    status, body, _ = d.get("/healthz")
    assert status == 503
    assert body == (f"unhealthy: program handle_exec is not attached: "
                    f"{d.pin_path}/link_exec is gone\n").encode()
    # and that is so: a runner started now goes unseen
    r = runners("unseen").start()
    r.submit("j", "exit 100")
    r.result("j")
    time.sleep(1.5)
    assert d.scrape().find("runnerscope_runner_info", runner="unseen") == []
