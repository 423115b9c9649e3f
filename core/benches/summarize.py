#!/usr/bin/env python3
"""Median of several bench runs: reads the output of one or more runs of
`cargo bench -p honeylink-core` (concatenated, e.g. `for i in 1 2 3; do cargo
bench -p honeylink-core; done > runs.txt`) and prints, per table and row, the
median time per operation, the median of the runs' ratios, and each run's
ratio. Tables from an AVX2-compiled build are prefixed [native]."""
import collections
import re
import sys

rows = collections.OrderedDict()
title, native = None, False
for line in (l.rstrip("\n") for f in sys.argv[1:] or ["-"] for l in (sys.stdin if f == "-" else open(f))):
    if line.startswith("# ") and "rounds" in line:
        native = "AVX2: true" in line
    elif line.startswith("## "):
        title = ("[native] " if native else "") + line[3:]
    elif title:
        m = re.match(r"^(.{44}) +([\d.]+)(?: +([\d.]+))? +([\d.]+)  \[", line)
        if m:
            rows.setdefault((title, m.group(1).strip()), []).append((float(m.group(2)), float(m.group(4))))


def median(values):
    values = sorted(values)
    return values[len(values) // 2]


last = None
for (table, name), runs in rows.items():
    if table != last:
        print(f"\n## {table}\n| candidate | ns/op (median) | ratio (median) | ratio per run |\n|---|---:|---:|---|")
        last = table
    print(f"| {name} | {median([r[0] for r in runs]):.0f} | {median([r[1] for r in runs]):.3f} | "
          + " / ".join(f"{r[1]:.3f}" for r in runs) + " |")
