"""tools/names.py on object files compiled here, laid out as user/ is: a function another
stage calls without two underscores, and one with them only its own stage calls, are named;
lib/ helpers, the top's own and foo__new()/foo__free() pass."""
import os
import subprocess

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TOOL = os.path.join(REPO, "tools", "names.py")


def build(root, sources):
    """compiles {"stage/name": C text} into root/stage/name.o each"""
    for rel, text in sources.items():
        src = root / f"{rel}.c"
        src.parent.mkdir(parents=True, exist_ok=True)
        src.write_text(text)
        subprocess.run(["cc", "-c", str(src), "-o", str(root / f"{rel}.o")], check=True)
    return root


def names(path):
    return subprocess.run(["/usr/bin/python3", TOOL, str(path)], capture_output=True,
                          text=True)


LOWER = {
    "lib/log": "int log_msg(void) { return 0; }",
    "enrich/procfs": "int procfs__read(void) { return 1; } int procfs_own(void) { return 2; }"
                     " struct x; struct x *procfs__new(void) { return 0; }",
    "enrich/cgroupfs": "int procfs_own(void); int cgroupfs_walk(void) { return procfs_own(); }",
}


def test_names_follow_who_calls_them(tmp_path):
    d = build(tmp_path, {**LOWER, "state/state": (
        "int log_msg(void); int procfs__read(void); void *procfs__new(void);"
        " int state_get(void) { return log_msg() + procfs__read() + !!procfs__new(); }"),
        "main": "int state_get(void); int main(void) { return state_get(); }"})
    r = names(d)
    assert r.returncode == 1, r
    assert "state_get (state/state): called by main: another stage's call wants " \
           "foo__verb()" in r.stdout, r.stdout
    assert "procfs__new" not in r.stdout and "log_msg" not in r.stdout, r.stdout
    assert "procfs_own" not in r.stdout, r.stdout
    assert "names: 1 name(s)" in r.stdout, r.stdout


def test_two_underscores_only_the_own_stage_calls(tmp_path):
    d = build(tmp_path, {**LOWER, "enrich/workfs": (
        "int procfs__read(void); int workfs_read(void) { return procfs__read(); }")})
    r = names(d)
    assert r.returncode == 1, r
    assert "procfs__read (enrich/procfs): only its own stage calls it" in r.stdout, r.stdout


def test_a_tree_that_follows_the_rule_passes(tmp_path):
    d = build(tmp_path, {**LOWER, "state/state": (
        "int procfs__read(void); int state__get(void) { return procfs__read(); }"),
        "main": "int state__get(void); int main(void) { return state__get(); }"})
    r = names(d)
    assert r.returncode == 0, r
    assert "follow the rule" in r.stdout, r.stdout


def test_nothing_to_read_is_an_error_not_a_verdict(tmp_path):
    r = names(tmp_path / "none")
    assert r.returncode == 2, r
    r = names(tmp_path)
    assert r.returncode == 2 and "no object files" in r.stderr, r
