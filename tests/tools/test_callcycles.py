"""tools/callcycles.py on object files compiled here: a call cycle is found and named, and a
graph that calls one way only passes."""
import os
import subprocess

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOOL = os.path.join(REPO, "tools", "callcycles.py")


def build(tmp_path, sources):
    """compiles {name: C text} into tmp_path/name.o each; returns the directory"""
    for name, text in sources.items():
        src = tmp_path / f"{name}.c"
        src.write_text(text)
        subprocess.run(["cc", "-c", str(src), "-o", str(tmp_path / f"{name}.o")], check=True)
    return tmp_path


def callcycles(*paths):
    return subprocess.run(["/usr/bin/python3", TOOL, *map(str, paths)], capture_output=True,
                          text=True)


def test_a_cycle_fails_naming_its_files_and_symbols(tmp_path):
    d = build(tmp_path, {
        "a": "int b_fn(void); int a_fn(void) { return b_fn(); }",
        "b": "int c_fn(void); int b_fn(void) { return c_fn(); }",
        "c": "int a_fn(void); int c_fn(void) { return a_fn() + 1; }",
        "lib": "int lib_fn(void) { return 0; }",
        "top": "int a_fn(void); int lib_fn(void); int main(void) { return a_fn() + lib_fn(); }",
    })
    r = callcycles(d)
    assert r.returncode == 1, r
    assert "cycle 1: a.o b.o c.o\n" in r.stdout, r.stdout
    for edge in ("a.o -> b.o: b_fn", "b.o -> c.o: c_fn", "c.o -> a.o: a_fn"):
        assert f"  {edge}\n" in r.stdout, r.stdout
    assert "cycle 2" not in r.stdout and "lib.o" not in r.stdout and "top.o" not in r.stdout


def test_calls_one_way_pass(tmp_path):
    d = build(tmp_path, {
        "a": "int b_fn(void); int a_fn(void) { return b_fn(); }",
        "b": "extern int shared; int b_fn(void) { return shared; }",
        "c": "int shared = 1;",
        "empty": "",
    })
    r = callcycles(d / "a.o", d / "b.o", d / "c.o", d / "empty.o")
    assert r.returncode == 0, r
    assert "no call cycle among 4 files" in r.stdout, r.stdout


def test_unreadable_objects_are_an_error_not_a_verdict(tmp_path):
    r = callcycles(tmp_path / "nothing.o")
    assert r.returncode == 2 and "nm failed" in r.stderr, r
    r = callcycles(tmp_path)
    assert r.returncode == 2 and "no object files" in r.stderr, r
