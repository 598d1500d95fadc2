#!/usr/bin/env python3
"""Draws the include/call graph of the kernel and SDK sources and checks it.

A node is a module: foo.c and foo.h (or foo.asm) in one folder are one
node.  An edge A -> B means a file of A includes a header of B, or names
(calls, or takes the address of) a function or a global variable that B
defines.  Tests and tools are not part of the graph.

Two things are checked:
  * no circle: every strongly connected component is a single module;
  * the layers: a module may depend only on modules of its own layer or
    of a lower one (LAYERS below, lowest first).

A name declared in a header of one module and defined in another (such
as mm/heap/heap_os.h, the page provider each build implements) resolves
to the declaring header, not to the file that happens to define it: the
caller depends on the interface, the implementer includes it.  That is
how a lower layer calls up without depending on what is above it; the
other way is a hook registered at run time.

  python3 tools/layers.py            summary; exit 1 on a circle or a layer breach
  python3 tools/layers.py --dot F    also write the module graph in Graphviz form
  python3 tools/layers.py --list     every edge, with the names that make it
  python3 tools/layers.py --max-lines 800   also fail on a longer source file
"""
import argparse
import os
import re
import sys

ROOTS = ("boot", "kernel", "drivers", "mm", "libc")
EXTS = (".c", ".h", ".asm")

# Lowest first.  A module's layer is that of the first prefix it matches.
LAYERS = [
    ("lib", ("libc/include/", "libc/string", "libc/format", "libc/ntstatus_map")),
    ("base", ("kernel/base/", "boot/")),
    ("arch", ("kernel/arch/",)),
    # Device drivers: hardware below the memory manager (the page file
    # reads and writes the disk), above the port and lock helpers of base.
    ("drivers", ("drivers/",)),
    ("heap engine", ("mm/heap/",)),
    ("mm", ("mm/",)),
    ("kernel", ("kernel/", "mm/kheap", "mm/heap_kernel")),
    ("crt", ("libc/crt_", "libc/user/")),
    ("console", ("kernel/console/",)),
    ("init", ("kernel/main",)),     # kmain brings every layer up in order
]

# The builds a module is compiled into; a name resolves only to modules
# that share a build with the one naming it.
def builds_of(module):
    if module.startswith("libc/user/"):
        return {"user"}
    if module.startswith("libc/crt_kernel"):
        return {"kernel"}
    if module.startswith("libc/crt_user"):
        return {"user"}
    if module.startswith("libc/") or module.startswith("mm/heap/"):
        return {"kernel", "user"}
    return {"kernel"}


def layer_of(module):
    # The most specific prefix wins (kernel/console/ before kernel/).
    best = None
    for index, (name, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if module.startswith(p) and (best is None or len(p) > best[2]):
                best = (index, name, len(p))
    if best is None:
        return len(LAYERS), "?"
    return best[0], best[1]


def strip_c(text):
    """Comments, strings and character literals out; newlines kept."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append("\n" * text.count("\n", i, j))
            i = j
        elif text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(" ")
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


IDENT = re.compile(r"\b[A-Za-z_]\w*\b")
INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)
KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "do", "else",
            "case", "goto", "__attribute__", "__asm__", "asm", "typeof",
            "__typeof__", "defined", "_Static_assert", "__builtin_expect"}


def c_definitions(text):
    """Global functions and variables a C file defines (not static)."""
    funcs, data = set(), set()
    depth = 0
    stmt = []           # the file-level statement being read
    for line in text.splitlines(keepends=True):
        if depth == 0 and line.lstrip().startswith("#"):
            continue
        for c in line:
            if c == "{":
                if depth == 0:
                    head = " ".join("".join(stmt).split())
                    head = re.sub(r"__attribute__\s*\(\(.*?\)\)", " ", head)
                    m = re.search(r"\b([A-Za-z_]\w*)\s*\((.*)\)\s*$", head)
                    if m and m.group(1) not in KEYWORDS and "=" not in head:
                        if not re.search(r"\bstatic\b", head):
                            funcs.add(m.group(1))
                        stmt = []
                        depth += 1
                        continue
                    stmt.append(" {} ")     # a struct or an initializer
                depth += 1
            elif c == "}":
                depth -= 1
            elif depth == 0 and c == ";":
                head = " ".join("".join(stmt).split())
                stmt = []
                if re.search(r"\b(static|extern|typedef)\b", head):
                    continue
                head = re.sub(r"=.*$", "", head)
                if "(" in head.replace("{}", ""):
                    continue            # a prototype
                m = re.search(r"\b([A-Za-z_]\w*)\s*(?:\[[^\]]*\])*\s*$", head)
                if m and m.group(1) not in KEYWORDS and head.split()[0] != m.group(1):
                    data.add(m.group(1))
            elif depth == 0:
                stmt.append(c)
    return funcs, data


def c_declarations(text):
    """Names a header declares at file level: prototypes and extern data
    (not macros, typedefs or the bodies of inline functions)."""
    names = set()
    depth = 0
    stmt = []
    for line in text.splitlines(keepends=True):
        if depth == 0 and line.lstrip().startswith("#"):
            continue
        for c in line:
            if c == "{":
                depth += 1
                stmt = []
            elif c == "}":
                depth -= 1
                stmt = []
            elif depth == 0 and c == ";":
                head = " ".join("".join(stmt).split())
                head = re.sub(r"__attribute__\s*\(\(.*?\)\)", " ", head)
                stmt = []
                if re.match(r"(typedef|struct\s+\w+\s*$|enum|union)\b", head):
                    continue
                m = re.search(r"\b([A-Za-z_]\w*)\s*\(", head)
                if m and not re.search(r"\(\s*\*", head[:m.end() + 2]):
                    names.add(m.group(1))
                elif head.startswith("extern"):
                    for part in head.split(","):
                        m = re.search(r"\b([A-Za-z_]\w*)\s*(?:\[[^\]]*\])*\s*$", part)
                        if m:
                            names.add(m.group(1))
            elif depth == 0:
                stmt.append(c)
    return names


def asm_definitions(text):
    return {m.group(1) for m in re.finditer(r"^\s*global\s+(\w+)", text, re.M)}


def asm_references(text):
    names = set()
    for m in re.finditer(r"^\s*(?:extern|call|jmp)\s+(\w+)", text, re.M):
        names.add(m.group(1))
    return names


# Folders whose files share a private header form one module: the heap
# engine's files call each other through mm/heap/heap_private.h, and that
# is the engine's inside, not a circle between modules.
FOLDER_MODULES = ("mm/heap/",)


def module_of(path):
    for folder in FOLDER_MODULES:
        if path.startswith(folder):
            return folder.rstrip("/")
    return os.path.splitext(path)[0]


class Source:
    def __init__(self, path, text):
        self.path = path
        self.module = module_of(path)
        self.is_asm = path.endswith(".asm")
        self.raw = text
        self.text = text if self.is_asm else strip_c(text)
        self.includes = [(m.group(1), m.group(2)) for m in INCLUDE.finditer(self.raw)] \
            if not self.is_asm else \
            [('"', m.group(1)) for m in re.finditer(r'^\s*%include\s+"([^"]+)"', self.raw, re.M)]


def load(root):
    sources = {}
    for top in ROOTS:
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith(EXTS):
                    full = os.path.join(dirpath, f)
                    rel = os.path.relpath(full, root).replace(os.sep, "/")
                    with open(full, encoding="utf-8", errors="replace") as fh:
                        sources[rel] = Source(rel, fh.read())
    return sources


def resolve_include(src, kind, name, sources):
    candidates = []
    if kind == '"':
        candidates.append(os.path.normpath(os.path.join(os.path.dirname(src.path), name)))
        candidates.append(os.path.normpath(name))
    candidates.append(os.path.normpath(os.path.join("libc/include", name)))
    for c in candidates:
        c = c.replace(os.sep, "/")
        if c in sources:
            return c
    return None     # a compiler header (stdarg.h from GCC) or a generated one


def build_graph(sources):
    modules = {s.module for s in sources.values()}

    defined = {}        # name -> set of modules defining it
    for s in sources.values():
        if s.is_asm:
            names = asm_definitions(s.text)
        elif s.path.endswith(".c"):
            f, d = c_definitions(s.text)
            names = f | d
        else:
            names = set()
        for name in names:
            defined.setdefault(name, set()).add(s.module)

    # Names a header declares (prototypes and extern data).  A module that
    # declares a name another module defines is an interface implemented
    # elsewhere (mm/heap/heap_os.h, each build's page provider).
    declared_by = {}
    for s in sources.values():
        if s.path.endswith(".h"):
            for name in c_declarations(s.text):
                declared_by.setdefault(name, set()).add(s.module)

    edges = {}          # (a, b) -> set of reasons

    def add(a, b, why):
        if a != b:
            edges.setdefault((a, b), set()).add(why)

    for s in sources.values():
        included = set()
        for kind, name in s.includes:
            target = resolve_include(s, kind, name, sources)
            if target is not None:
                tm = module_of(target)
                included.add(tm)
                add(s.module, tm, "#include " + name)
        names = asm_references(s.text) if s.is_asm else set(IDENT.findall(s.text))
        mine = builds_of(s.module)
        for name in names:
            owners = {m for m in defined.get(name, ()) if builds_of(m) & mine}
            if not owners or s.module in owners:
                continue
            declarers = declared_by.get(name, set())
            if s.module in declarers:
                continue        # it declares the name itself: an interface
            iface = {h for h in declarers if h not in owners}
            if iface:
                for h in iface:
                    add(s.module, h, name + "() via interface")
                continue
            for o in owners:
                add(s.module, o, name)
    return modules, edges


def strongly_connected(modules, edges):
    succ = {m: [] for m in modules}
    for a, b in edges:
        if a in succ and b in succ:
            succ[a].append(b)
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]

    def visit(v):
        # Iterative Tarjan: the graph is small, but recursion limits bite.
        work = [(v, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = counter[0]
                counter[0] += 1
                stack.append(node)
                on.add(node)
            recurse = False
            for j in range(i, len(succ[node])):
                w = succ[node][j]
                if w not in index:
                    work.append((node, j + 1))
                    work.append((w, 0))
                    recurse = True
                    break
                if w in on:
                    low[node] = min(low[node], index[w])
            if recurse:
                continue
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                out.append(sorted(comp))
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])

    for m in sorted(modules):
        if m not in index:
            visit(m)
    return out


def long_files(root, limit):
    """Source files of the whole tree (tests and tools included) over limit lines."""
    out = []
    for top in ROOTS + ("tests", "tools"):
        for dirpath, _, files in os.walk(os.path.join(root, top)):
            for f in sorted(files):
                if f.endswith(EXTS + (".py",)):
                    full = os.path.join(dirpath, f)
                    with open(full, encoding="utf-8", errors="replace") as fh:
                        n = sum(1 for _ in fh)
                    if n > limit:
                        out.append((os.path.relpath(full, root), n))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    ap.add_argument("--dot", help="write the module graph here (Graphviz)")
    ap.add_argument("--list", action="store_true", help="print every edge and its reasons")
    ap.add_argument("--max-lines", type=int, default=0,
                    help="also fail when a source file (tests and tools too) is longer")
    args = ap.parse_args()

    sources = load(args.root)
    modules, edges = build_graph(sources)
    comps = strongly_connected(modules, edges)
    circles = [c for c in comps if len(c) > 1]

    breaches = []
    for (a, b), why in sorted(edges.items()):
        la, lb = layer_of(a), layer_of(b)
        if lb[0] > la[0]:
            breaches.append((a, la[1], b, lb[1], sorted(why)))

    if args.list:
        for (a, b), why in sorted(edges.items()):
            print(f"{a} -> {b}: {', '.join(sorted(why)[:6])}")
    if args.dot:
        with open(args.dot, "w") as fh:
            fh.write("digraph layers {\n  rankdir=BT; node [shape=box,fontsize=10];\n")
            by_layer = {}
            for m in sorted(modules):
                by_layer.setdefault(layer_of(m)[1], []).append(m)
            for i, (name, ms) in enumerate(by_layer.items()):
                fh.write(f'  subgraph cluster_{i} {{ label="{name}";\n')
                for m in ms:
                    fh.write(f'    "{m}";\n')
                fh.write("  }\n")
            for a, b in sorted(edges):
                fh.write(f'  "{a}" -> "{b}";\n')
            fh.write("}\n")

    counts = {}
    for m in modules:
        counts[layer_of(m)[1]] = counts.get(layer_of(m)[1], 0) + 1
    order = [name for name, _ in LAYERS] + ["?"]
    print("layers (lowest first): " + ", ".join(f"{n} {counts[n]}" for n in order if n in counts))
    print(f"{len(modules)} modules, {len(edges)} edges, "
          f"{len(circles)} circle(s), {len(breaches)} layer breach(es)")
    for c in circles:
        print("circle: " + " <-> ".join(c))
        for a in c:
            for b in c:
                if (a, b) in edges:
                    print(f"    {a} -> {b}: {', '.join(sorted(edges[(a, b)])[:4])}")
    for a, la, b, lb, why in breaches:
        print(f"layer breach: {a} ({la}) -> {b} ({lb}): {', '.join(why[:4])}")
    too_long = long_files(args.root, args.max_lines) if args.max_lines else []
    for path, n in too_long:
        print(f"too long: {path} has {n} lines (at most {args.max_lines})")
    return 1 if circles or breaches or too_long else 0


if __name__ == "__main__":
    sys.exit(main())
