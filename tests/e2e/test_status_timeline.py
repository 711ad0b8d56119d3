"""The status page's timeline, from a live kernel scenario: jobs of every result on three
runners and one running, rendered by headless Chromium; the same page over TLS and basic auth."""
import html.parser
import math
import os
import re
import shutil
import time

import rs
from rs import wait_for
from test_status_page import ARTIFACTS, EVIL, Page, chromium
from test_web_tls import ALICE_HASH, tls, tls_config, write_config  # noqa: F401 (fixture)

# the worker's exit codes: 100 + the GitHub runner's TaskResult
RESULTS = {100: "success", 101: "success_with_issues", 102: "failure", 103: "cancelled",
           104: "skipped", 105: "abandoned"}
EVIL_REPO = "<i>evil</i>/repo&amp;\"x\""


class Timeline(html.parser.HTMLParser):
    """The chart's rows (data-runner), each with its bars as (result class, title text, x), in
    document order; the chart's own attributes; the busy text of each row."""

    def __init__(self, text):
        super().__init__()
        self.rows, self.busy, self.svg, self.tags = {}, {}, None, set()
        self.stack, self.row, self.bar, self.text = [], None, None, None
        self.desc = ""
        self.in_desc = False
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.tags.add(tag)
        cls = (a.get("class") or "").split()
        if tag == "svg" and a.get("id") == "timeline":
            self.svg = a
        elif tag == "desc" and self.svg is not None:
            self.in_desc = True
        elif tag == "g":
            self.stack.append(cls)
            if "row" in cls:
                self.row = a["data-runner"]
                self.rows[self.row] = []
            elif "j" in cls:
                self.bar = [c for c in cls if c != "j"][0]
                self.rows[self.row].append([self.bar, "", None])
        elif tag == "title" and self.bar:
            self.text = ""
        elif tag == "rect" and self.bar:
            self.rows[self.row][-1][2] = float(a["x"])
        elif tag == "text" and self.row and "e" in cls and not self.bar:
            self.text = ""

    def handle_endtag(self, tag):
        if tag == "g" and self.stack:
            cls = self.stack.pop()
            if "j" in cls:
                self.bar = None
            elif "row" in cls:
                self.row = None
        elif tag == "desc":
            self.in_desc = False
        elif tag == "title" and self.bar and self.text is not None:
            self.rows[self.row][-1][1] = self.text
            self.text = None
        elif tag == "text" and self.row and not self.bar and self.text is not None:
            self.busy[self.row] = self.text
            self.text = None

    def handle_data(self, data):
        if self.in_desc:
            self.desc += data
        elif self.text is not None:
            self.text += data


def scenario(runners):
    """Three runners: every result once, in a known order, and a job left running on the
    second. Returns the runners and the (runner name -> results in order) expected."""
    one = runners("tl-one").start()
    two = runners("tl-two").start()
    evil = runners(EVIL).start()
    plan = {"tl-one": (one, [100, 101]), "tl-two": (two, [102, 103]), EVIL: (evil, [104, 105])}
    for name, (r, codes) in plan.items():
        for i, code in enumerate(codes):
            extra = [f"env GITHUB_REPOSITORY={EVIL_REPO}"] if r is evil else []
            # a step that lives long enough for its environment (the job's context) to be read,
            # and for the picture to show the job
            r.submit(f"j{i}", *extra, "step sleep 1.5", f"exit {code}")
    for name, (r, codes) in plan.items():
        for i in range(len(codes)):
            r.result(f"j{i}")
    return one, two, evil, {name: [RESULTS[c] for c in codes] for name, (_, codes) in plan.items()}


def test_timeline_in_chromium(daemon, runners, workdir):
    d = daemon()
    started = time.monotonic()
    one, two, evil, want = scenario(runners)
    held = os.path.join(workdir, "held")
    two.submit("long", rs.held_step(held), "exit 100")
    pid = two.worker_pid("long")

    def ready():
        m = d.scrape()
        done = sum(v for labels, v in m.find("runnerscope_jobs_finished_total")
                   if labels["runner"] in want)
        return m.value("runnerscope_jobs_running", runner="tl-two") == 1 and done == 6
    wait_for(ready, 30, what="six finished jobs and one running in the metrics")
    # the running job's context is read from its step's environment
    def running_named():
        rows = Timeline(d.get("/", headers={"Accept": "text/html"})[1].decode()).rows
        return rows.get("tl-two") and rows["tl-two"][-1][1].startswith("owner/repo")
    wait_for(running_named, 15, what="the running job's context")

    url = f"http://127.0.0.1:{d.port}/"
    dom = chromium("--dump-dom", url)
    tl = Timeline(dom)
    # one row per runner, one bar per job with its result, in the order they ran (the host
    # may run other runners meanwhile: the daemon sees them all)
    assert {"tl-one", "tl-two", EVIL} <= set(tl.rows), tl.rows
    for name, results in want.items():
        got = [b[0] for b in tl.rows[name]]
        if name == "tl-two":
            results = results + ["running"]
        assert got == results, (name, got)
        xs = [b[2] for b in tl.rows[name]]
        assert xs == sorted(xs), (name, xs)
    # the running job reaches now, and says so; finished ones say what they used
    running = tl.rows["tl-two"][-1]
    assert running[1].startswith("owner/repo · ci · build\nrunning since "), running
    assert "so far, CPU " in running[1]
    for name in ("tl-one", "tl-two"):
        for result, title, _ in tl.rows[name][:2]:
            assert title.startswith("owner/repo · ci · build\n" + result), title
            assert "CPU " in title and "peak memory " in title, title
    # a hostile runner and repository name are text in the chart, never markup
    for result, title, _ in tl.rows[EVIL]:
        assert title.startswith(EVIL_REPO + " · ci · build\n"), title
    assert not {"b", "i", "script"} & tl.tags, tl.tags
    # the busy fraction beside each row
    assert set(tl.busy) == set(tl.rows)
    assert all(v.endswith("%") for v in tl.busy.values()), tl.busy
    # a text alternative: named and described, the tables still there
    assert tl.svg["role"] == "group" and tl.svg["aria-labelledby"] == "tl-t", tl.svg
    if set(tl.rows) == set(want):
        assert "7 jobs, 1 success, 1 success_with_issues, 1 failure, 1 cancelled, 1 skipped, " \
               "1 abandoned, 1 running." in tl.desc, tl.desc
    assert re.search(r"\d+ jobs, .*\d+ running\. Each bar is a job", tl.desc), tl.desc
    page = Page(dom)
    mine = [r for r in page.tables["Running jobs"] if r[0] in want]
    assert [r[0] for r in mine] == ["tl-two"] and mine[0][2] == str(pid), mine
    assert re.fullmatch(r"\d+(ms|\.\ds)", mine[0][5]), mine
    busy = {r[1]: r[4] for r in page.tables["Runners"] if r[1] in want}
    assert busy == {k: v for k, v in tl.busy.items() if k in want}, (busy, tl.busy)
    # self-contained: no script, no external style, image or font; links stay on the page
    assert not {"script", "img", "link", "iframe"} & set(page.tags)
    assert {v for k, v in page.attrs if k in ("href", "src")} == {
        "/metrics", "/healthz", "?window=1h&refresh=0", "?window=1h", "?window=6h",
        "?window=24h"}

    # a window the jobs fill, for the picture (the DOM checks above hold for any machine)
    minutes = max(1, math.ceil((time.monotonic() - started) / 60 * 1.5))
    shot = os.path.join(workdir, "status-timeline.png")
    chromium(f"--screenshot={shot}", "--window-size=1280,1000", f"{url}?window={minutes}m")
    with open(shot, "rb") as f:
        png = f.read()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000, len(png)
    os.makedirs(ARTIFACTS, exist_ok=True)
    shutil.copy(shot, os.path.join(ARTIFACTS, "status-timeline.png"))
    print(f"screenshot in {shot} and {ARTIFACTS}/status-timeline.png")
    rs.release(held)
    two.result("long")


def test_timeline_windows_and_text(daemon, runners, workdir):
    d = daemon()
    r = runners("tl-text").start()
    held = os.path.join(workdir, "held")
    r.submit("long", rs.held_step(held), "exit 100")
    r.worker_pid("long")
    rs.jobs_running(d, "tl-text")
    for query, window in (("", "1h"), ("?window=6h", "6h"), ("?window=24h", "24h"),
                          ("?window=90m", "90m"), ("?window=48h", "1h"), ("?window=%3Cb%3E", "1h")):
        status, body, _ = d.get("/" + query, headers={"Accept": "text/html"})
        text = body.decode()
        assert status == 200
        assert f"<title id=\"tl-t\">Jobs by runner, the last {window}</title>" in text, query
        assert "<b>" not in text
    # ?refresh=0: the page stays put, and its links keep it so
    _, body, _ = d.get("/?window=6h&refresh=0", headers={"Accept": "text/html"})
    assert b"http-equiv=\"refresh\"" not in body
    assert b"href=\"?window=24h&amp;refresh=0\"" in body
    # a terminal: the running job's CPU and memory beside its elapsed time, the busy
    # fraction per runner
    def running_table():
        _, body, _ = d.get("/", headers={"Accept": "*/*"})
        lines = body.decode().splitlines()
        at = next(i for i, l in enumerate(lines)
                  if l.strip().startswith("Runner") and "PID" in l)
        # the held job's shell has some memory resident once a pass has read it: a size
        return (body.decode(), lines[at]) if re.search(r" [0-9.]+ (KiB|MiB)$",
                                                       lines[at + 1]) else None
    text, head = wait_for(running_table, 10, what="the running job's memory")
    assert re.search(r"Elapsed +CPU so far +CPU wait +Memory now$", head), head
    assert "Busy 1h" in text
    rs.release(held)
    r.result("long")


def test_timeline_over_tls_with_basic_auth(daemon, runners, tls, workdir):  # noqa: F811
    cfg = write_config(workdir, tls_config(tls) + f"basic_auth_users:\n  alice: {ALICE_HASH}\n")
    d = daemon(f"--web.config.file={cfg}", tls_ca=f"{tls}/ca.crt", auth=("alice", "s3cret"))
    r = runners("tl-tls").start()
    r.submit("a", "exit 102")
    r.result("a")
    wait_for(lambda: d.scrape().value("runnerscope_jobs_finished_total", runner="tl-tls",
                                      result="failure") == 1, 15, what="the job finished")
    status, body, _ = d.get("/?window=6h", headers={"Accept": "text/html"})
    assert status == 200
    tl = Timeline(body.decode())
    assert [b[0] for b in tl.rows["tl-tls"]] == ["failure"]
    status, _, _ = d.get("/?window=6h", headers={"Accept": "text/html",
                                                 "Authorization": "Basic bm9ib2R5Ong="})
    assert status == 401
