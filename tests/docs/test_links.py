"""Every relative link and #anchor in README.md, docs/*.md and tests/README.md resolves.

Anchors are made as GitHub makes them from headings: lowercased, every character but letters,
digits, '-', '_' and spaces dropped, spaces turned into '-', and a repeated heading given -1,
-2, ... Links and headings inside code (fenced blocks, `spans`) are not links or headings.
"""
import functools
import glob
import os
import re
import unicodedata

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

FENCE = re.compile(r"^\s*(```|~~~)")
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
CODE_SPAN = re.compile(r"(`+)(.+?)\1")
# [text](target) or ![alt](target), with an optional "title"
LINK = re.compile(r"!?\[((?:[^\[\]]|\[[^\]]*\])*)\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")


def doc_files():
    files = [os.path.join(REPO, "README.md"), os.path.join(REPO, "tests", "README.md")]
    files += sorted(glob.glob(os.path.join(REPO, "docs", "*.md")))
    return files


def prose_lines(text):
    """(line number, line) of the lines outside fenced code blocks."""
    fence = None
    for n, line in enumerate(text.split("\n"), 1):
        m = FENCE.match(line)
        if m:
            if fence is None:
                fence = m.group(1)
            elif m.group(1) == fence:
                fence = None
            continue
        if fence is None:
            yield n, line


def slug(heading):
    # what GitHub renders: a link's text, a code span's content, no emphasis markers
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)
    text = CODE_SPAN.sub(lambda m: m.group(2), text)
    out = []
    for ch in text.strip().lower():
        cat = unicodedata.category(ch)
        if ch in " -" or cat[0] in "LMN" or cat == "Pc":
            out.append("-" if ch == " " else ch)
    return "".join(out)


@functools.lru_cache(maxsize=None)
def anchors(path):
    seen, found = {}, set()
    with open(path, encoding="utf-8") as f:
        for _, line in prose_lines(f.read()):
            m = HEADING.match(line)
            if not m:
                continue
            s = slug(m.group(2))
            if s in seen:
                seen[s] += 1
                s = f"{s}-{seen[s]}"
            else:
                seen[s] = 0
            found.add(s)
    return frozenset(found)


def links(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    for n, line in prose_lines(text):
        line = CODE_SPAN.sub(lambda m: "code", line)
        for m in LINK.finditer(line):
            yield n, m.group(2)


def test_the_files_are_there():
    names = {os.path.relpath(p, REPO) for p in doc_files()}
    for must in ("README.md", "tests/README.md", "docs/configuration.md", "docs/metrics.md",
                 "docs/troubleshooting.md", "docs/architecture.md"):
        assert must in names, must


def test_every_relative_link_and_anchor_resolves():
    bad = []
    checked = 0
    for path in doc_files():
        where = os.path.relpath(path, REPO)
        for n, target in links(path):
            if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.I) or target.startswith("//"):
                continue  # another site: not checked here
            file_part, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(path), file_part)) \
                if file_part else path
            checked += 1
            if not os.path.exists(dest):
                bad.append(f"{where}:{n}: {target}: no such file {os.path.relpath(dest, REPO)}")
                continue
            if not os.path.realpath(dest).startswith(REPO + os.sep):
                bad.append(f"{where}:{n}: {target}: outside the repository")
                continue
            if anchor:
                if not dest.endswith(".md"):
                    bad.append(f"{where}:{n}: {target}: an anchor into a file that is not markdown")
                elif anchor not in anchors(dest):
                    bad.append(f"{where}:{n}: {target}: no heading makes #{anchor} in "
                               f"{os.path.relpath(dest, REPO)}")
    assert checked > 30, f"only {checked} links found: is the link pattern still right?"
    assert not bad, "\n".join(bad)


def test_readme_links_every_docs_page():
    readme = os.path.join(REPO, "README.md")
    targets = {os.path.normpath(os.path.join(REPO, t.partition("#")[0]))
               for _, t in links(readme) if t and not t.startswith("#")}
    missing = [os.path.relpath(p, REPO) for p in glob.glob(os.path.join(REPO, "docs", "*.md"))
               if os.path.normpath(p) not in targets]
    assert not missing, f"README.md does not link {missing}"


def test_slugs_are_githubs():
    assert slug("TLS and basic auth: `--web.config.file`") == "tls-and-basic-auth---webconfigfile"
    assert slug("On the matrix's kernels") == "on-the-matrixs-kernels"
    assert slug("Docker (a host running runner containers)") == \
        "docker-a-host-running-runner-containers"
    assert slug("`procs_bits` and its `READY` bit") == "procs_bits-and-its-ready-bit"
    assert slug("Alerts, recording rules and a dashboard") == \
        "alerts-recording-rules-and-a-dashboard"
