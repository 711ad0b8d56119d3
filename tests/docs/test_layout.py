"""user/ reads as folders by stage (docs/architecture.md, "The source"), and stays that way.

- every file is in one stage's folder (or is main.c / flags.[ch] at the top, which wire them);
- a file includes headers of its own stage and of the stages before it only, so no stage
  reaches back into a later one; the checks cover headers too, so what a header pulls in
  is held to its own stage, and with it everything a file gets transitively;
- a stage's private header (*_priv.h) is included by its own stage only, except the one
  object the kernel side and the intake share (kernel/probes_priv.h);
- the include graph between user/ files has no cycle (include guards would hide one from
  the compiler);
- no file is over 600 lines;
- one folder only is nested in a stage: ci/kinds/, each CI system one file, and no file
  outside it names a CI system in its code;
- the documentation names only user/ files that exist.
"""
import glob
import os
import re

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
USER = os.path.join(REPO, "user")

# in the order a job's data takes, each stage using only those before it
STAGES = ["lib", "enrich", "ci", "state", "kernel", "intake", "expo", "web"]
TOP = {"main.c", "flags.c", "flags.h"}
# include/ (the BPF/user ABI) and the generated skeleton
ABI = {"jobs.h": None, "cgroups.h": None, "runnerscope.skel.h": {"kernel", "intake"}}
# private headers another stage may include, and which
SHARED_PRIV = {"kernel/probes_priv.h": {"intake"}}
MAX_LINES = 600
# the one folder inside a stage: a file per CI system behind the kinds' ops table
NESTED = {"ci/kinds"}
# what names a CI system in code: its kind, its name (comments aside)
KIND_NAMES = re.compile(r"RS_KIND_|\bKIND_(GITHUB|GITEA|GITLAB|BUILDKITE|FORGEJO)\b|"
                        r"github|gitea|gitlab|buildkite|forgejo", re.I)

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources():
    files = sorted(glob.glob(os.path.join(USER, "**", "*.[ch]"), recursive=True))
    assert files
    return [os.path.relpath(f, USER) for f in files]


def stage_of(rel):
    return rel.split("/")[0] if "/" in rel else None


def includes(rel):
    with open(os.path.join(USER, rel), encoding="utf-8") as f:
        return INCLUDE.findall(f.read())


def test_every_file_is_in_a_stage():
    stray = [r for r in sources() if stage_of(r) not in STAGES and r not in TOP]
    assert not stray, f"files outside the stages {STAGES}: {stray}"
    nested = [r for r in sources() if r.count("/") > 1 and os.path.dirname(r) not in NESTED]
    assert not nested, f"one folder level only, but {sorted(NESTED)}: {nested}"


def code_of(rel):
    """The file's text with its comments blanked (lines kept)."""
    with open(os.path.join(USER, rel), encoding="utf-8") as f:
        src = f.read()
    src = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), src, flags=re.S)
    return re.sub(r"//[^\n]*", "", src)


def test_only_the_kinds_name_a_ci_system():
    """A CI system is one file of user/ci/kinds/: nothing else names one (the table lists
    them, in that folder too)."""
    named = []
    for rel in sources():
        if os.path.dirname(rel) in NESTED:
            continue
        for n, line in enumerate(code_of(rel).split("\n"), 1):
            if KIND_NAMES.search(line):
                named.append(f"{rel}:{n}: {line.strip()}")
    assert not named, "\n".join(named)


def test_no_stage_reaches_back():
    bad = []
    for rel in sources():
        mine = stage_of(rel)
        for inc in includes(rel):
            if inc in ABI:
                allowed = ABI[inc]
                if allowed is not None and mine not in allowed and rel not in TOP:
                    bad.append(f"{rel} includes {inc}")
                continue
            theirs = stage_of(inc)
            if inc in TOP:
                if rel not in TOP:
                    bad.append(f"{rel} includes {inc}, which only the top may")
                continue
            if theirs not in STAGES:
                bad.append(f"{rel} includes {inc}, which is in no stage")
                continue
            if not os.path.exists(os.path.join(USER, inc)):
                bad.append(f"{rel} includes {inc}, which does not exist")
            if rel in TOP:
                continue
            if STAGES.index(theirs) > STAGES.index(mine):
                bad.append(f"{rel} ({mine}) includes {inc} ({theirs}), a later stage")
            if inc.endswith("_priv.h") and theirs != mine and \
                    mine not in SHARED_PRIV.get(inc, set()):
                bad.append(f"{rel} includes another stage's private header {inc}")
    assert not bad, "\n".join(bad)


def test_no_include_cycle():
    graph = {rel: [i for i in includes(rel) if i not in ABI] for rel in sources()}
    state = {}  # 1: on the path, 2: done
    cycles = []

    def visit(node, path):
        state[node] = 1
        for nxt in graph.get(node, []):
            if state.get(nxt) == 1:
                cycles.append(path[path.index(nxt):] + [nxt] if nxt in path else [node, nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = 2

    for rel in graph:
        if rel not in state:
            visit(rel, [rel])
    assert not cycles, "include cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def test_no_file_is_too_long():
    long = []
    for rel in sources():
        with open(os.path.join(USER, rel), encoding="utf-8") as f:
            n = sum(1 for _ in f)
        if n > MAX_LINES:
            long.append(f"{rel}: {n} lines")
    assert not long, f"over {MAX_LINES} lines: {long}"


def test_the_checks_can_fail(tmp_path, monkeypatch):
    """A reach-back and a cycle in a scratch tree are found."""
    for d in ("lib", "web"):
        (tmp_path / d).mkdir()
    (tmp_path / "lib" / "a.h").write_text('#include "web/b.h"\n')
    (tmp_path / "web" / "b.h").write_text('#include "lib/a.h"\n')
    monkeypatch.setattr(__import__(__name__), "USER", str(tmp_path))
    try:
        test_no_stage_reaches_back()
    except AssertionError as e:
        assert "lib/a.h (lib) includes web/b.h (web), a later stage" in str(e)
    else:
        raise AssertionError("a reach-back was not found")
    try:
        test_no_include_cycle()
    except AssertionError as e:
        assert "lib/a.h -> web/b.h -> lib/a.h" in str(e)
    else:
        raise AssertionError("a cycle was not found")
    (tmp_path / "lib" / "a.h").write_text('/* gitlab in a comment */\nint x = KIND_GITLAB;\n')
    try:
        test_only_the_kinds_name_a_ci_system()
    except AssertionError as e:
        assert str(e).startswith("lib/a.h:2:") and "b.h" not in str(e)
    else:
        raise AssertionError("a kind named outside ci/kinds/ was not found")


def test_the_docs_name_files_that_exist():
    """Every user/… source path the documentation names is there (files move)."""
    docs = [os.path.join(REPO, "README.md"), os.path.join(REPO, "tests", "README.md")]
    docs += sorted(glob.glob(os.path.join(REPO, "docs", "*.md")))
    missing = []
    for doc in docs:
        with open(doc, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                for path in re.findall(r"\buser/[\w/]+\.[ch]\b", line):
                    if not os.path.exists(os.path.join(REPO, path)):
                        missing.append(f"{os.path.relpath(doc, REPO)}:{n}: {path}")
    assert not missing, "\n".join(missing)
