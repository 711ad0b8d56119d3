"""Kept /metrics pages: a page is answered again while nothing it shows can have changed, but
never without a job that ended before the request; cgroup figures at most about two seconds
old; each request's own tail (the HTTP counts) and one gzip stream per answer; a page of its
own for a client that sends Cache-Control: no-cache."""
import os
import subprocess
import threading
import time
import zlib

import rs
from rs import wait_for

OM = "application/openmetrics-text;version=1.0.0"


def built(m):
    return m.value("runnerscope_scrape_pages_built_total")


def requests_ok(m):
    return m.value("runnerscope_http_requests_total", path="/metrics", code="200")


def finished(m, runner):
    return sum(v for _, v in m.find("runnerscope_jobs_finished_total", runner=runner))


def test_a_quiet_host_is_answered_from_kept_pages(daemon, runners):
    d = daemon()
    r = runners("quiet").start()
    r.submit("j", "exit 100")
    r.result("j")
    wait_for(lambda: finished(d.scrape(), "quiet") == 1, what="the job counted")
    m0 = d.scrape()
    t0 = time.monotonic()
    n = 300
    for i in range(n):
        status, _, _ = d.get("/metrics", headers={"Accept": OM} if i % 2 else {})
        assert status == 200
    m1 = d.scrape()
    secs = time.monotonic() - t0
    pages = built(m1) - built(m0)
    print(f"{n + 1} scrapes in {secs:.2f} s: {pages:.0f} pages built")
    # at most a page per format after each one-second pass, and the first OpenMetrics one
    assert pages <= 2 * (secs + 2), (pages, secs)
    # the HTTP counts are each request's own: every request before this one
    assert requests_ok(m1) == requests_ok(m0) + n + 1
    assert finished(m1, "quiet") == 1


def test_a_job_is_in_the_first_scrape_after_it_ends(daemon, runners):
    """30 jobs, each followed by one scrape alternating text, OpenMetrics and gzip, while eight
    threads scrape back to back and check that no counter they see ever goes back."""
    d = daemon()
    r = runners("exact").start()
    stop = threading.Event()
    seen, errors = [], []

    def scraper(k):
        last = 0
        while not stop.is_set():
            try:
                n = finished(d.scrape(), "exact")
            except Exception as e:  # noqa: BLE001  reported below
                errors.append(repr(e))
                return
            if n < last:
                errors.append(f"scraper {k}: {n} jobs after {last}")
            last = n
            seen.append(n)
    threads = [threading.Thread(target=scraper, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    try:
        for i in range(30):
            r.submit(f"j{i}", "step true", "exit 100")
            r.result(f"j{i}")  # written by the Listener after its Worker has exited
            headers = [{}, {"Accept": OM}, {"Accept-Encoding": "gzip"}][i % 3]
            status, body, h = d.get("/metrics", headers=headers)
            assert status == 200
            if h.get("Content-Encoding") == "gzip":
                body = gunzip_one_member(body)
            assert finished(rs.Metrics(body.decode()), "exact") == i + 1, i
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors, errors
    assert len(seen) > 100 and max(seen) == 30


def test_no_cache_asks_for_a_page_of_its_own(daemon):
    d = daemon()
    b0 = built(d.scrape())
    for cc in ("no-cache", "max-age=0", "no-cache", "max-age=0", "no-cache"):
        status, _, _ = d.get("/metrics", headers={"Cache-Control": cc})
        assert status == 200
    b1 = built(d.scrape())
    # five built for them; the scrape after is answered with the last (or with one the
    # background builder began after a pass)
    assert b0 + 5 <= b1 <= b0 + 6, (b0, b1)


def gunzip_one_member(z):
    """The body as a single gzip member, checked by its trailer (CRC-32 and length), with
    nothing after it: what any gzip client can read."""
    d = zlib.decompressobj(wbits=31)
    body = d.decompress(z) + d.flush()
    assert d.eof and d.unused_data == b"", "not one whole gzip member"
    return body


def test_gzip_of_a_kept_page_and_its_tail(daemon, runners):
    d = daemon()
    r = runners("zipped").start()
    r.submit("j", "exit 101")
    r.result("j")
    for accept in ({}, {"Accept": OM}):
        bodies = []
        for _ in range(3):  # the same kept page, each with its own tail
            _, z, h = d.get("/metrics", headers={"Accept-Encoding": "gzip", **accept})
            assert h["Content-Encoding"] == "gzip"
            bodies.append(gunzip_one_member(z))
        _, plain, h = d.get("/metrics", headers={"Accept-Encoding": "identity", **accept})
        assert "Content-Encoding" not in h
        counts = [rs.Metrics(b.decode()).value("runnerscope_http_requests_total",
                                               path="/metrics", code="200") for b in bodies]
        assert counts == [counts[0], counts[0] + 1, counts[0] + 2], counts
        last = rs.Metrics(plain.decode())
        assert requests_ok(last) == counts[0] + 3
        assert finished(last, "zipped") == 1
        assert bodies[-1].endswith(b"# EOF\n") == (accept != {})
    # curl, a client of its own, reads the same
    out = subprocess.run(["curl", "-sf", "--compressed", f"http://127.0.0.1:{d.port}/metrics"],
                         capture_output=True, text=True, check=True).stdout
    assert finished(rs.Metrics(out), "zipped") == 1


def cpu_usage(cg):
    """The cgroup's CPU seconds, from where runnerscope reads them: v1's cpuacct, else
    cgroup2's cpu.stat."""
    for d in cg.dirs:
        if os.path.exists(os.path.join(d, "cpuacct.usage")):
            with open(os.path.join(d, "cpuacct.usage")) as f:
                return int(f.read()) / 1e9
    for d in cg.dirs:
        if os.path.exists(os.path.join(d, "cpu.stat")):
            with open(os.path.join(d, "cpu.stat")) as f:
                for line in f:
                    k, _, v = line.partition(" ")
                    if k == "usage_usec":
                        return int(v) / 1e6
    raise AssertionError(f"no CPU accounting in {cg.dirs}")


def test_cgroup_figures_are_at_most_two_seconds_old(daemon, cgroups):
    """A container burning CPU, scraped every 50 ms: a scrape shows at least what the
    container's cpuacct.usage said 2.5 s before it."""
    cid = rs.fake_container_id()
    cg = cgroups(f"docker/{cid}")
    d = daemon("--containers=all")
    burn = subprocess.Popen(["sh", "-c", "while :; do :; done"], preexec_fn=cg.enter)
    try:
        wait_for(lambda: d.scrape().find("runnerscope_container_info", container_id=cid),
                 what="the container found")
        stop = threading.Event()

        def keep_warm():
            while not stop.is_set():
                d.get("/metrics")
                time.sleep(0.05)
        t = threading.Thread(target=keep_warm)
        t.start()
        try:
            for _ in range(4):
                before = cpu_usage(cg)
                time.sleep(2.5)
                m = d.scrape()
                got = sum(m.value("runnerscope_container_cpu_seconds_total", container_id=cid,
                                  mode=x) for x in ("user", "system"))
                assert got >= before * 0.98, (got, before)
        finally:
            stop.set()
            t.join()
    finally:
        burn.kill()
        burn.wait()
