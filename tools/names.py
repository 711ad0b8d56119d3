#!/usr/bin/python3
"""Names against who calls them, at the symbol level.

usage: tools/names.py USER_OBJECT_DIR [OBJECT...]

The objects under USER_OBJECT_DIR (those given, else all there) mirror user/: a file's stage is its first folder (lib,
enrich, ci, …), a file at the top (main.o, flags.o) is the top's. A function another stage or
the top calls carries its module's name and two underscores (foo__verb()); one only its own
stage calls has one (foo_verb()); foo__new() and foo__free() make and free an object whoever
calls them. user/lib/ is the floor every stage stands on: its helpers keep one underscore.
Each name against that rule is printed with who calls it, and the exit status is 1; 2 when
the files cannot be read.
"""
import os
import subprocess
import sys


def fail(msg):
    print(f"names: {msg}", file=sys.stderr)
    sys.exit(2)


def stage(rel):
    return rel.split(os.sep)[0] if os.sep in rel else "top"


def main():
    if len(sys.argv) < 2 or not os.path.isdir(sys.argv[1]):
        fail("usage: tools/names.py USER_OBJECT_DIR [OBJECT...]")
    root = sys.argv[1]
    files = sorted(sys.argv[2:]) or sorted(os.path.join(d, f) for d, _, fs in os.walk(root)
                                           for f in fs if f.endswith(".o"))
    if not files:
        fail(f"no object files under {root}")
    res = subprocess.run([os.environ.get("NM", "nm"), "-A", "-P", "-g", *files],
                         capture_output=True, text=True)
    if res.returncode != 0:
        fail(f"nm failed: {res.stderr.strip()}")
    defined, callers = {}, {}
    for line in res.stdout.splitlines():
        head, _, rest = line.rpartition(": ")
        fields = rest.split()
        if len(fields) < 2 or head not in files:
            continue
        rel = os.path.relpath(head, root)[:-2]
        if fields[1] == "T":
            defined[fields[0]] = rel
        elif fields[1] == "U":
            callers.setdefault(fields[0], set()).add(rel)
    bad = []
    for sym, rel in sorted(defined.items()):
        mine = stage(rel)
        others = sorted({c for c in callers.get(sym, ()) if stage(c) != mine})
        if mine in ("lib", "top") or sym.endswith(("__new", "__free")):
            continue
        if others and "__" not in sym:
            bad.append(f"{sym} ({rel}): called by {', '.join(others)}: another stage's call "
                       "wants foo__verb()")
        elif not others and "__" in sym and callers.get(sym):
            bad.append(f"{sym} ({rel}): only its own stage calls it: foo_verb()")
    for b in bad:
        print(b)
    if bad:
        print(f"names: {len(bad)} name(s) against the rule (docs/architecture.md, "
              "Names and dependencies)")
        return 1
    print(f"names: {len(defined)} functions of {len(files)} files follow the rule")
    return 0


if __name__ == "__main__":
    sys.exit(main())
