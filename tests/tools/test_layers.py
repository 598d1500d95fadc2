#!/usr/bin/env python3
"""Checks tools/layers.py on small made-up trees: it must find a circle, a
call into a higher layer and a long file, and accept the same trees once
they are layered (a hook registered at run time, an interface header).
Run by `make check-layers`; prints "N passed, N failed"."""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "..", "tools", "layers.py")


def tree(files):
    root = tempfile.mkdtemp(prefix="layers-")
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as fh:
            fh.write(text)
    return root


def run(files, *extra):
    r = subprocess.run([sys.executable, TOOL, "--root", tree(files), *extra],
                       capture_output=True, text=True)
    return r.returncode, r.stdout


BASE_H = "#include <stdint.h>\nvoid panic_at(const char *f);\n"
CASES = []


def case(fn):
    CASES.append(fn)
    return fn


@case
def circle_found():
    rc, out = run({
        "kernel/base/panic.h": BASE_H,
        "kernel/base/panic.c": '#include "kernel/base/panic.h"\n#include "kernel/arch/trap.h"\n'
                               "void panic_at(const char *f) { trap_name(1); }\n",
        "kernel/arch/trap.h": "const char *trap_name(int v);\n",
        "kernel/arch/trap.c": '#include "kernel/arch/trap.h"\n#include "kernel/base/panic.h"\n'
                              'const char *trap_name(int v) { panic_at("x"); return 0; }\n',
    })
    return rc == 1 and "circle: kernel/arch/trap <-> kernel/base/panic" in out, out


@case
def hook_breaks_the_circle():
    rc, out = run({
        "kernel/base/panic.h": BASE_H + "void panic_set_namer(const char *(*fn)(int));\n",
        "kernel/base/panic.c": '#include "kernel/base/panic.h"\nstatic const char *(*namer)(int);\n'
                               "void panic_set_namer(const char *(*fn)(int)) { namer = fn; }\n"
                               "void panic_at(const char *f) { if (namer) namer(1); }\n",
        "kernel/arch/trap.h": "const char *trap_name(int v);\nvoid trap_init(void);\n",
        "kernel/arch/trap.c": '#include "kernel/arch/trap.h"\n#include "kernel/base/panic.h"\n'
                              'const char *trap_name(int v) { panic_at("x"); return 0; }\n'
                              "void trap_init(void) { panic_set_namer(trap_name); }\n",
    })
    return rc == 0 and "0 circle(s), 0 layer breach(es)" in out, out


@case
def call_up_is_a_breach():
    rc, out = run({
        "mm/pmm.h": "void pmm_init(void);\n",
        "mm/pmm.c": '#include "mm/pmm.h"\n#include "kernel/process.h"\n'
                    "void pmm_init(void) { process_count(); }\n",
        "kernel/process.h": "int process_count(void);\n",
        "kernel/process.c": '#include "kernel/process.h"\nint process_count(void) { return 0; }\n',
    })
    return rc == 1 and "layer breach: mm/pmm (mm) -> kernel/process (kernel)" in out, out


@case
def interface_header_is_no_breach():
    rc, out = run({
        "kernel/base/layout.h": "void kmain(void);\n",
        "boot/entry.asm": "extern kmain\ncall kmain\n",
        "kernel/main.c": '#include "kernel/base/layout.h"\nvoid kmain(void) { }\n',
    })
    return rc == 0 and "0 circle(s), 0 layer breach(es)" in out, out


@case
def static_names_are_private():
    rc, out = run({
        "mm/a.c": '#include "mm/b.h"\nstatic void helper(void) { }\nvoid a(void) { b(); helper(); }\n',
        "mm/b.h": "void b(void);\n",
        "mm/b.c": "static void helper(void) { }\nvoid b(void) { helper(); }\n",
    })
    return rc == 0 and "0 circle(s)" in out, out


@case
def long_file_fails():
    rc, out = run({"mm/big.c": "int x;\n" * 801}, "--max-lines", "800")
    return rc == 1 and "too long: mm/big.c has 801 lines" in out, out


def main():
    passed = failed = 0
    for fn in CASES:
        ok, out = fn()
        if ok:
            passed += 1
        else:
            failed += 1
            print(f"not ok: {fn.__name__}\n" + "".join("    " + l + "\n" for l in out.splitlines()))
    print(f"layers self-test: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
