#!/usr/bin/env python3
"""Finds import circles between the modules of each workspace crate (`use crate::a::…` and
`crate::a::…` paths in code, comments and doc links left out; `crate::Name` re-exported from lib.rs
counts as the module that defines it). The crates themselves cannot form a circle (Cargo refuses
one). Prints each circle and exits 1 when there is one.

Why not a crate: `cargo-modules` does this with a full analysis, but installing it from source costs
the test command minutes on a fresh machine; this check reads files and takes a second.

Usage: import_cycles.py [CRATE_SRC_DIR …]   (default: every shared/*/src, local/src)
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.split("//")[0] for line in text.splitlines())


def modules(src):
    """module name -> file text (top-level modules: `x.rs` or `x/mod.rs`, with their children)."""
    mods = {}
    for f in sorted(src.glob("*.rs")):
        if f.stem in ("lib", "main"):
            continue
        texts = [f.read_text(encoding="utf-8")]
        sub = src / f.stem
        if sub.is_dir():
            texts += [g.read_text(encoding="utf-8") for g in sorted(sub.rglob("*.rs"))]
        mods[f.stem] = strip_comments("\n".join(texts))
    for d in sorted(p for p in src.iterdir() if p.is_dir() and (p / "mod.rs").exists()):
        if d.name not in mods:
            mods[d.name] = strip_comments(
                "\n".join(g.read_text(encoding="utf-8") for g in sorted(d.rglob("*.rs")))
            )
    return mods


def reexports(src):
    """`pub use a::{X, Y}` / `pub use a::X` in lib.rs: name -> module."""
    lib = src / "lib.rs"
    out = {}
    if not lib.exists():
        return out
    for m in re.finditer(r"pub use (\w+)::(\{[^}]*\}|\w+)", strip_comments(lib.read_text(encoding="utf-8"))):
        mod, names = m.group(1), m.group(2).strip("{}")
        for n in names.split(","):
            n = n.strip().split(" as ")[-1].strip()
            if n:
                out[n] = mod
    return out


def edges(src):
    mods = modules(src)
    names = reexports(src)
    graph = {m: set() for m in mods}
    for m, text in mods.items():
        for hit in re.finditer(r"crate::(\{[^}]*\}|\w+)", text):
            group = hit.group(1)
            targets = [t.strip().split("::")[0] for t in group.strip("{}").split(",")] if group.startswith("{") else [group]
            for t in targets:
                t = names.get(t, t)
                if t in mods and t != m:
                    graph[m].add(t)
    return graph


def cycles(graph):
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main(argv):
    dirs = [pathlib.Path(a) for a in argv[1:]] or sorted(ROOT.glob("shared/*/src")) + [ROOT / "local" / "src"]
    found = 0
    for src in dirs:
        graph = edges(src)
        for comp in cycles(graph):
            found += 1
            detail = "; ".join(f"{m} -> {', '.join(sorted(graph[m] & set(comp)))}" for m in comp)
            print(f"{src.relative_to(ROOT) if src.is_absolute() else src}: import circle {comp}: {detail}")
    print(f"import circles: {found} in {len(dirs)} crates")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
