"""docs/metrics.md and the exposition name the same metric families.

The source's names are those user/**/*.c gives expo_family() and expo_sample(): NS "…" (NS being
"runnerscope_") or a literal "runnerscope_…" or "process_…". The documented names are the
backquoted names in the first column of docs/metrics.md's tables; `process_*` stands for every
process_ family.
"""
import glob
import os
import re

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
METRICS_DOC = os.path.join(REPO, "docs", "metrics.md")


def source_names():
    names = set()
    sources = sorted(glob.glob(os.path.join(REPO, "user", "**", "*.c"), recursive=True))
    assert sources
    for path in sources:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        ns = re.search(r'^#define NS "([a-z_]+)"', text, re.M)
        if ns:
            body = text[:ns.start()] + text[ns.end():]
            names |= {ns.group(1) + m for m in re.findall(r'\bNS\s+"([a-z0-9_]+)"', body)}
        names |= set(re.findall(r'"((?:runnerscope|process)_[a-z0-9_]*[a-z0-9])"', text))
    return names


def documented_names():
    names = set()
    with open(METRICS_DOC, encoding="utf-8") as f:
        for line in f:
            if not line.startswith("|") or line.startswith("|---"):
                continue
            first = line.strip().strip("|").split("|")[0]
            names |= {n for n in re.findall(r"`([^`]+)`", first)
                      if n.startswith(("runnerscope_", "process_"))}
    return names


def covered(name, documented):
    return name in documented or any(
        d.endswith("*") and name.startswith(d[:-1]) for d in documented)


def test_the_names_are_found():
    src, doc = source_names(), documented_names()
    # a few that must be there, so that an empty match cannot pass
    for name in ("runnerscope_jobs_finished_total", "runnerscope_container_memory_rss_bytes",
                 "runnerscope_bpf_attach_info", "process_cpu_seconds_total"):
        assert name in src, name
    assert "runnerscope_jobs_started_total" in doc
    assert len(doc) > 30, doc


def test_every_documented_metric_is_exported():
    src = source_names()
    missing = []
    for d in sorted(documented_names()):
        if d.endswith("*"):
            if not any(s.startswith(d[:-1]) for s in src):
                missing.append(d)
        elif d not in src:
            missing.append(d)
    assert not missing, f"in docs/metrics.md's tables but not in user/**/*.c: {missing}"


def test_every_exported_metric_is_documented():
    doc = documented_names()
    missing = sorted(s for s in source_names() if not covered(s, doc))
    assert not missing, f"exported by user/**/*.c but not in docs/metrics.md's tables: {missing}"
