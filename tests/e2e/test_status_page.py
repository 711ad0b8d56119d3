"""The status page at /, from a live kernel scenario, rendered by headless Chromium."""
import html.parser
import os
import shutil
import subprocess
import tempfile

import rs
from rs import wait_for

ARTIFACTS = os.environ.get("RS_ARTIFACTS", os.path.join(rs.BUILD, "test-artifacts"))
EVIL = "<b>bold</b> & \"q\" 'x'"


def chromium(*args, timeout=90):
    profile = tempfile.mkdtemp(prefix="rs-chromium-")
    try:
        # the flags keep a headless Chromium off the network it has no way to reach
        out = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu",
                              "--disable-quic", "--no-first-run", "--disable-sync",
                              "--disable-background-networking", "--disable-component-update",
                              "--hide-scrollbars", f"--user-data-dir={profile}", *args],
                             capture_output=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert out.returncode == 0, out.stderr.decode(errors="replace")[-2000:]
    return out.stdout.decode("utf-8")


class Page(html.parser.HTMLParser):
    """The tables as lists of rows of cell texts, by section title; every tag seen."""

    def __init__(self, text):
        super().__init__()
        self.tables, self.tags, self.attrs = {}, [], []
        self.title, self.cell, self.row = None, None, None
        self.in_h2 = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs
        if tag == "h2":
            self.in_h2, self.title = True, ""
        elif tag == "tr":
            self.row = []
        elif tag == "td":
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "h2":
            self.in_h2 = False
            self.tables[self.title] = []
        elif tag == "td":
            self.row.append(self.cell)
            self.cell = None
        elif tag == "tr" and self.row:
            self.tables[self.title].append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.in_h2:
            self.title += data
        elif self.cell is not None:
            self.cell += data


def test_status_page_in_chromium(daemon, runners):
    d = daemon()
    standard = runners("standard").start()
    busy = runners("chrome-go").start()
    runners(EVIL).start()
    # steps that live long enough for their environment to be read: the job's context
    standard.submit("ok", "step sleep 0.3", "exit 100")
    standard.submit("bad", "step sleep 0.3", "exit 102")
    standard.result("ok")
    standard.result("bad")
    busy.submit("long", "step sleep 60", "exit 100")
    pid = busy.worker_pid("long")

    def ready():
        m = d.scrape()
        return (m.value("runnerscope_jobs_running", runner="chrome-go") == 1 and
                sum(v for _, v in m.find("runnerscope_jobs_finished_total",
                                         runner="standard")) == 2 and
                m.find("runnerscope_runner_up", runner=EVIL))
    wait_for(ready, 15, what="the scenario in the metrics")
    url = f"http://127.0.0.1:{d.port}/"
    # the running job's context comes from its step's environment
    wait_for(lambda: b"owner/repo" in d.get("/")[1], 15, what="the running job's context")

    page = Page(chromium("--dump-dom", url))
    runner_rows = {r[1]: r for r in page.tables["Runners"]}
    assert set(runner_rows) == {"standard", "chrome-go", EVIL}, runner_rows
    assert runner_rows["standard"][0] == "github"
    assert runner_rows["standard"][3] == "idle"
    assert runner_rows["standard"][5] == "2 finished: 1 success, 1 failure"
    assert runner_rows["chrome-go"][3] == "busy"
    assert runner_rows["chrome-go"][5] == "0 finished; 1 running"
    assert all(r[4].endswith("%") for r in runner_rows.values()), runner_rows
    running = page.tables["Running jobs"]
    assert len(running) == 1, running
    assert running[0][0] == "chrome-go"
    assert running[0][1] == "owner/repo · ci · build"
    assert running[0][2] == str(pid)
    finished = {r[2]: r for r in page.tables["Last finished jobs"]}
    assert set(finished) == {"success", "failure"}
    assert all(r[0] == "standard" and r[1] == "owner/repo · ci · build"
               for r in finished.values())
    # a name full of markup is text, not markup
    assert "b" not in page.tags
    # self-contained: no script, no external style, image or font; only links home, and to
    # the page itself (the timeline's windows, stopping the refresh)
    assert not {"script", "img", "link", "iframe"} & set(page.tags), set(page.tags)
    links = {v for k, v in page.attrs if k in ("href", "src")}
    assert {l for l in links if not l.startswith("?window=")} == {"/metrics", "/healthz"}, links
    assert ("http-equiv", "refresh") in page.attrs

    os.makedirs(ARTIFACTS, exist_ok=True)
    for name, size in (("status-desktop.png", "1280,900"), ("status-phone.png", "390,1400")):
        path = os.path.join(ARTIFACTS, name)
        if os.path.exists(path):
            os.unlink(path)
        chromium(f"--screenshot={path}", f"--window-size={size}", url)
        with open(path, "rb") as f:
            png = f.read()
        assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000, (name, len(png))
    print(f"screenshots in {ARTIFACTS}")


def test_status_page_as_text(daemon, runners):
    d = daemon()
    r = runners("term\x1b[31mrunner").start()
    r.submit("long", "step sleep 60", "exit 100")
    pid = r.worker_pid("long")
    rs.jobs_running(d, "term\x1b[31mrunner")
    # a terminal asks for anything: it gets text, with no escape sequence from a runner name
    status, body, headers = d.get("/", headers={"Accept": "*/*"})
    assert status == 200
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    text = body.decode("utf-8")
    assert "\x1b" not in text
    assert "term\ufffd[31mrunner" in text
    assert "RUNNING JOBS" in text and f" {pid} " in text
    lines = text.splitlines()
    assert max(len(l) for l in lines) <= 132, max(lines, key=len)
    # a browser gets HTML, gzipped when it asks
    status, body, headers = d.get("/", headers={"Accept": "text/html", "Accept-Encoding": "gzip"})
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Encoding"] == "gzip"
    import gzip
    assert gzip.decompress(body).startswith(b"<!doctype html>")
