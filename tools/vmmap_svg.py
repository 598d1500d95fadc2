#!/usr/bin/env python3
"""Render the study console's machine-readable dumps as one SVG image.

  tools/vmmap_svg.py DUMP [-o out.svg]

DUMP is any text holding the blocks `vmmap -m` and `heap -m HANDLE`
print (a whole console transcript is fine: other lines are skipped):

  vmmap-begin space=scratch cr3=0x... lo=0x00000000 hi=0x7ffeffff
  region base=0x10000000 size=0x00001000 state=commit protect=0x4 allocbase=...
         allocprotect=0x4 type=private resident=1 details=...
  vmmap-end regions=N
  heapmap-begin handle=0xc4900000 reserved=0x... committed=0x... inuse=0x... name=...
  entry kind=region|busy|free|uncommitted|large addr=0x... size=0x... overhead=N ...
  heapmap-end entries=N

Each address-space dump becomes a column of regions from the lowest
address down, each as tall as log2 of its size (a log axis: one page is
one step, 2 GiB is twenty), coloured by state: free, reserved, committed,
guard (committed with PAGE_GUARD); a dark strip inside a committed region
shows the share of its pages that have a frame.  Each heap dump becomes a
block map: the HeapWalk entries in address order, left to right in rows,
each as wide as log2 of its size.  Rectangles carry class and data-*
attributes (state, base, size) so the picture can be checked by a program.

Standard library only.
"""
import argparse
import math
import re
import sys
from xml.sax.saxutils import escape

COLOURS = {
    "free": "#d9d9d9",
    "reserve": "#f2c14e",
    "commit": "#4caf50",
    "guard": "#e53935",
    "resident": "#1b5e20",
    "stack": "#3949ab",             # a thread's stack (type=stack), marked beside the bar
    # heap block map
    "region": "#8d8d8d",
    "busy": "#1e88e5",
    "heapfree": "#a5d6a7",
    "uncommitted": "#f4f4f4",
    "large": "#7e57c2",
}
PAGE_GUARD = 0x100
PAGE = 4096

FIELD_RE = re.compile(r"(\w+)=(\S+)")


def parse_fields(line):
    """key=value words; 'details=' and 'name=' take the rest of the line."""
    out = {}
    for key in ("details", "name"):
        m = re.search(r"\b%s=(.*)$" % key, line)
        if m:
            out[key] = m.group(1).strip()
            line = line[:m.start()]
    for k, v in FIELD_RE.findall(line):
        out[k] = v
    return out


def num(v):
    return int(v, 16) if v.lower().startswith("0x") else int(v)


def parse_dump(text):
    """Returns (vmmaps, heaps): lists of dicts with 'head' and 'rows'."""
    vmmaps, heaps = [], []
    cur = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("vmmap-begin"):
            cur = {"kind": "vmmap", "head": parse_fields(line[len("vmmap-begin"):]), "rows": []}
        elif line.startswith("heapmap-begin"):
            cur = {"kind": "heap", "head": parse_fields(line[len("heapmap-begin"):]), "rows": []}
        elif cur is not None and line.startswith("region ") and cur["kind"] == "vmmap":
            f = parse_fields(line[len("region "):])
            cur["rows"].append({
                "base": num(f["base"]), "size": num(f["size"]), "state": f["state"],
                "protect": num(f.get("protect", "0")), "allocbase": num(f.get("allocbase", "0")),
                "allocprotect": num(f.get("allocprotect", "0")), "type": f.get("type", ""),
                "resident": num(f.get("resident", "0")), "details": f.get("details", "-"),
            })
        elif cur is not None and line.startswith("entry ") and cur["kind"] == "heap":
            f = parse_fields(line[len("entry "):])
            row = {"kind": f["kind"], "addr": num(f["addr"]), "size": num(f["size"]),
                   "overhead": num(f.get("overhead", "0"))}
            for k in ("committed", "uncommitted", "first", "last"):
                if k in f:
                    row[k] = num(f[k])
            cur["rows"].append(row)
        elif cur is not None and line.startswith(("vmmap-end", "heapmap-end")):
            (vmmaps if cur["kind"] == "vmmap" else heaps).append(cur)
            cur = None
    return vmmaps, heaps


def region_state(row):
    """free / reserve / commit / guard: what the colour says."""
    if row["state"] == "commit" and row["protect"] & PAGE_GUARD:
        return "guard"
    return row["state"]


def log_height(size, unit=4.5, base=14.0):
    """Height of a region: base + unit * log2(pages); one page = base."""
    pages = max(1, size // PAGE)
    return base + unit * math.log2(pages)


def log_width(size, unit=9.0, base=6.0):
    """Width of a heap entry: base + unit * log2(size in 8-byte granules)."""
    return base + unit * math.log2(max(1, size / 8.0) + 1)


def human(n):
    """Sizes as a person reads them: 64K, 1M, 1.5G, 200 B."""
    for unit, div in (("G", 1 << 30), ("M", 1 << 20)):
        if n >= div and n % div == 0:
            return "%d%s" % (n // div, unit)
    if n >= 1 << 30:
        return "%.1fG" % (n / float(1 << 30))
    if n >= 10 << 20:
        return "%.1fM" % (n / float(1 << 20))
    if n >= 1 << 10 and n % 1024 == 0:
        return "%dK" % (n // 1024)
    if n >= 1 << 10:
        return "%.1fK" % (n / 1024.0)
    return "%d B" % n


PROT_NAMES = [(0x01, "NOACCESS"), (0x02, "READONLY"), (0x04, "READWRITE"), (0x08, "WRITECOPY"),
              (0x10, "EXECUTE"), (0x20, "EXECUTE_READ"), (0x40, "EXECUTE_READWRITE"),
              (0x80, "EXECUTE_WRITECOPY")]


def prot_name(p):
    if p == 0:
        return "-"
    names = [n for v, n in PROT_NAMES if (p & 0xFF) == v]
    for v, n in ((0x100, "GUARD"), (0x200, "NOCACHE"), (0x400, "WRITECOMBINE")):
        if p & v:
            names.append(n)
    return "|".join(names) or hex(p)


class Svg:
    def __init__(self):
        self.parts = []

    def rect(self, x, y, w, h, fill, cls=None, stroke="#333", extra=None, title=None):
        attrs = 'x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" stroke="%s" stroke-width="0.6"' % (
            x, y, w, h, fill, stroke)
        if cls:
            attrs += ' class="%s"' % cls
        for k, v in (extra or {}).items():
            attrs += ' %s="%s"' % (k, escape(str(v), {'"': "&quot;"}))
        if title:
            self.parts.append("<rect %s><title>%s</title></rect>" % (attrs, escape(title)))
        else:
            self.parts.append("<rect %s/>" % attrs)

    def text(self, x, y, s, size=11, anchor="start", weight="normal", fill="#000"):
        self.parts.append('<text x="%.1f" y="%.1f" font-size="%d" text-anchor="%s" font-weight="%s" '
                          'fill="%s">%s</text>' % (x, y, size, anchor, weight, fill, escape(s)))

    def line(self, x1, y1, x2, y2, stroke="#999", dash=None):
        d = ' stroke-dasharray="%s"' % dash if dash else ""
        self.parts.append('<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s"%s/>' % (
            x1, y1, x2, y2, stroke, d))


def draw_legend(svg, x, y, items):
    for label, key in items:
        svg.rect(x, y - 9, 12, 10, COLOURS[key], cls="legend", extra={"data-key": key})
        svg.text(x + 16, y, label, size=10)
        x += 16 + 7 * len(label) + 14
    return y + 10


def draw_vmmap(svg, dump, x, y):
    """One address space; returns (width, height) used."""
    head = dump["head"]
    title = "%s address space (CR3 %s), %s-%s" % (head.get("space", "?"), head.get("cr3", "?"),
                                                  head.get("lo", "?"), head.get("hi", "?"))
    svg.text(x, y + 12, title, size=13, weight="bold")
    y0 = y + 24
    legend = [("free", "free"), ("reserved", "reserve"), ("committed", "commit"), ("guard", "guard"),
              ("has a frame", "resident")]
    if any(r["type"] == "stack" for r in dump["rows"]):
        legend.append(("thread stack", "stack"))
    y0 = draw_legend(svg, x, y0 + 10, legend) + 6
    svg.text(x, y0 + 8, "heights on a log axis: 14 px for a page, 4.5 px more for each doubling",
             size=9, fill="#555")
    y0 += 16
    bar_x, bar_w = x + 78, 150
    cy = y0
    for row in dump["rows"]:
        h = log_height(row["size"])
        state = region_state(row)
        pages = max(1, row["size"] // PAGE)
        tip = "%08x %s %s %s %s" % (row["base"], human(row["size"]), row["state"],
                                    prot_name(row["protect"]), row["details"])
        svg.rect(bar_x, cy, bar_w, h, COLOURS[state], cls="region state-%s" % state,
                 extra={"data-base": "0x%08x" % row["base"], "data-size": "0x%x" % row["size"],
                        "data-state": state}, title=tip)
        if row["type"] == "stack":
            svg.rect(bar_x - 5, cy, 4, h, COLOURS["stack"], cls="stack", stroke="none",
                     extra={"data-base": "0x%08x" % row["base"]}, title=row["details"])
        if row["state"] == "commit" and row["resident"] > 0:
            frac = min(1.0, row["resident"] / float(pages))
            svg.rect(bar_x + 2, cy + 2, max(1.0, (bar_w - 4) * frac), max(1.0, h - 4),
                     COLOURS["resident"], cls="resident", stroke="none",
                     extra={"data-base": "0x%08x" % row["base"], "data-pages": row["resident"]})
        svg.text(bar_x - 6, cy + 11, "%08x" % row["base"], size=10, anchor="end")
        label = "%s  %s" % (human(row["size"]), {"free": "Free", "reserve": "Reserve",
                                                 "commit": "Commit"}[row["state"]])
        if row["state"] == "commit":
            label += "  " + prot_name(row["protect"])
            label += "  (%d of %d page%s with a frame)" % (row["resident"], pages,
                                                          "" if pages == 1 else "s")
        if row["details"] not in ("", "-"):
            label += "  " + row["details"]
        svg.text(bar_x + bar_w + 8, cy + 11, label, size=10)
        cy += h
    end = (dump["rows"][-1]["base"] + dump["rows"][-1]["size"]) if dump["rows"] else 0
    svg.text(bar_x - 6, cy + 10, "%08x" % end, size=10, anchor="end")
    svg.line(bar_x, cy, bar_x + bar_w, cy, stroke="#333")
    longest = max([len(r["details"]) for r in dump["rows"]] + [0])
    return 640 + 6 * longest, cy + 16 - y


def heap_key(kind):
    return {"free": "heapfree"}.get(kind, kind)


def draw_heap(svg, dump, x, y, width=900):
    """One heap's block map; returns (width, height) used."""
    head = dump["head"]
    title = "heap %s (%s): reserved %s, committed %s, in use %s bytes" % (
        head.get("handle", "?"), head.get("name", "?"), human(num(head.get("reserved", "0"))),
        human(num(head.get("committed", "0"))), num(head.get("inuse", "0")))
    svg.text(x, y + 12, title, size=13, weight="bold")
    cy = draw_legend(svg, x, y + 34, [("heap header", "region"), ("busy", "busy"),
                                       ("free", "heapfree"), ("uncommitted", "uncommitted"),
                                       ("large block", "large")]) + 6
    svg.text(x, cy + 8, "block widths are log2(size): entries in address order, as HeapWalk "
             "returns them", size=9, fill="#555")
    cy += 16
    row_h, cx = 34, x
    for e in dump["rows"]:
        w = log_width(e["size"])
        if cx + w > x + width:
            cx = x
            cy += row_h
        key = heap_key(e["kind"])
        tip = "%08x %s %d bytes" % (e["addr"], e["kind"], e["size"])
        svg.rect(cx, cy, w, 22, COLOURS[key], cls="block kind-%s" % e["kind"],
                 extra={"data-addr": "0x%08x" % e["addr"], "data-size": "0x%x" % e["size"],
                        "data-kind": e["kind"]},
                 stroke="#999" if e["kind"] == "uncommitted" else "#333", title=tip)
        if w >= 40:
            svg.text(cx + w / 2, cy + 15, human(e["size"]), size=9, anchor="middle",
                     fill="#fff" if e["kind"] in ("busy", "region", "large") else "#000")
        cx += w + 2
    return width, cy + row_h + 4 - y


def render(text):
    vmmaps, heaps = parse_dump(text)
    if not vmmaps and not heaps:
        raise ValueError("no vmmap-begin/heapmap-begin block in the dump")
    svg = Svg()
    x, y, max_w, row_h = 20, 20, 0, 0
    for d in vmmaps:                        # address spaces side by side
        w, h = draw_vmmap(svg, d, x, y)
        x += w + 20
        row_h = max(row_h, h)
    max_w = x - 20
    x, y = 20, y + row_h + 24
    for d in heaps:
        w, h = draw_heap(svg, d, x, y)
        y += h + 24
        max_w = max(max_w, w)
    width, height = max_w + 60, y
    head = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
            'font-family="DejaVu Sans Mono, monospace">\n'
            '<rect x="0" y="0" width="%d" height="%d" fill="#ffffff" class="background"/>\n'
            % (width, height, width, height, width, height))
    return head + "\n".join(svg.parts) + "\n</svg>\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dump")
    ap.add_argument("-o", "--out", default=None)
    args = ap.parse_args()
    text = open(args.dump, errors="replace").read()
    try:
        out = render(text)
    except ValueError as e:
        sys.exit("vmmap_svg: %s: %s" % (args.dump, e))
    if args.out:
        with open(args.out, "w") as f:
            f.write(out)
        vmmaps, heaps = parse_dump(text)
        print("vmmap_svg: %s: %d address space%s, %d heap%s" % (
            args.out, len(vmmaps), "" if len(vmmaps) == 1 else "s", len(heaps),
            "" if len(heaps) == 1 else "s"))
    else:
        sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
