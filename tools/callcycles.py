#!/usr/bin/python3
"""Call cycles between object files, at the symbol level.

usage: tools/callcycles.py [--nm NM] OBJECT_OR_DIR...

File A calls file B when A leaves undefined a symbol that B defines (nm). Files that call each
other, however far round, are one strongly connected component of that graph; each component
of more than one file is printed with the calls that tie it (caller -> callee: symbols), and
the exit status is 1; 2 when the files cannot be read. A directory stands for the *.o files
below it.

Files call each other in one direction only: what two files both need goes into a third,
lower one. tests/docs/test_layout.py checks the includes; this checks the calls, which a
forward declaration can hide from the includes.
"""
import argparse
import collections
import os
import subprocess
import sys


def fail(msg):
    print(f"callcycles: {msg}", file=sys.stderr)
    sys.exit(2)


def objects(paths):
    out = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                out += [os.path.join(root, f) for f in sorted(files) if f.endswith(".o")]
        else:
            out.append(p)
    return out


def symbols(nm, files):
    """{file: (defined, undefined)}, external symbols only, from nm's POSIX format"""
    syms = {f: (set(), set()) for f in files}
    res = subprocess.run([nm, "-A", "-P", "-g", *files], capture_output=True, text=True)
    if res.returncode != 0:
        fail(f"{nm} failed: {res.stderr.strip()}")
    for line in res.stdout.splitlines():
        # "file: name type [value size]"; with one file nm may leave the prefix out
        head, _, rest = line.rpartition(": ")
        fields = rest.split()
        if len(fields) < 2 or head not in syms:
            continue
        name, kind = fields[0], fields[1]
        defined, undefined = syms[head]
        if kind == "U":
            undefined.add(name)
        elif kind not in "wv":  # a weak reference left undefined calls nothing
            defined.add(name)
    return syms


def call_graph(syms):
    """{caller: {callee: sorted symbols}}"""
    definers = collections.defaultdict(list)
    for f, (defined, _) in syms.items():
        for s in defined:
            definers[s].append(f)
    graph = {f: collections.defaultdict(set) for f in syms}
    for f, (_, undefined) in syms.items():
        for s in undefined:
            for g in definers.get(s, ()):
                if g != f:
                    graph[f][g].add(s)
    return {f: {g: sorted(ss) for g, ss in calls.items()} for f, calls in graph.items()}


def components(graph):
    """Tarjan's strongly connected components, without recursion"""
    index, low, on_stack, stack, out = {}, {}, set(), [], []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on_stack.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on_stack:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                out.append(sorted(comp))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--nm", default=os.environ.get("NM", "nm"))
    ap.add_argument("paths", nargs="+")
    args = ap.parse_args()
    files = objects(args.paths)
    if not files:
        fail("no object files")
    graph = call_graph(symbols(args.nm, files))
    prefix = os.path.commonpath([os.path.abspath(f) for f in files])
    if len(files) == 1:
        prefix = os.path.dirname(prefix)

    def name(f):
        return os.path.relpath(os.path.abspath(f), prefix)
    under = os.path.relpath(prefix)
    under = prefix if under.startswith("..") else under

    cycles = sorted((c for c in components(graph) if len(c) > 1), key=lambda c: c[0])
    for i, comp in enumerate(cycles, 1):
        print(f"cycle {i}: {' '.join(name(f) for f in comp)}")
        for f in comp:
            for g in sorted(graph[f]):
                if g in comp:
                    print(f"  {name(f)} -> {name(g)}: {', '.join(graph[f][g])}")
    if cycles:
        print(f"callcycles: {len(cycles)} call cycle(s) among {len(files)} files under "
              f"{under}: what two files both need belongs in a third, lower one")
        return 1
    print(f"callcycles: no call cycle among {len(files)} files under {under}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
