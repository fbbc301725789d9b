#!/usr/bin/env python3
"""The pattern rows of bench/patterns.sh as a Markdown table: each row against its own 0-pattern
row of the same run (wall-clock rate and work per router CPU-second), plus how long making the
patterns took.   bench/patterns_table.py OUT NAME"""
import glob
import json
import os
import re
import sys

TITLES = {
    "pubsub-ack": "PUBLISH acknowledged (window 16) to an exact topic, 1 subscriber",
    "rpc-exact": "CALL to an exact registration, 2 callers x window 16",
    "rpc-wildcard": "CALL routed to a wildcard registration (`bench.`), 2 callers x window 16",
}


def load(out, name):
    rows = {}
    for path in glob.glob(os.path.join(out, f"patterns.{name}.*-p*.json")):
        match = re.match(rf"patterns\.{re.escape(name)}\.(.+)-p(\d+)\.json$", os.path.basename(path))
        if match:
            rows[(match.group(1), int(match.group(2)))] = json.load(open(path))
    return rows


def fmt(value, digits=0):
    return "n/a" if value is None else f"{value:,.{digits}f}"


def table(out, name):
    rows = load(out, name)
    lines = ["| row | non-matching wildcard patterns | /s | per router CPU-s | /s vs 0 | per CPU-s vs 0 | making the patterns (s) | errors |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row, title in TITLES.items():
        base = rows.get((row, 0))
        for count in sorted(c for r, c in rows if r == row):
            rec = rows[(row, count)]
            rate = rec.get("calls_per_s") or rec.get("delivered_per_s")
            per_cpu = rec.get("work_per_router_cpu_s")
            base_rate = base and (base.get("calls_per_s") or base.get("delivered_per_s"))
            base_cpu = base and base.get("work_per_router_cpu_s")
            ratio = lambda a, b: "n/a" if not (a and b) else (f"{a / b:.2f}x" if a / b >= 0.1 else f"{a / b:.2g}x")
            bad = sum(rec.get(k, 0) or 0 for k in ("errors", "timeouts", "lost", "gaps", "duplicates"))
            lines.append(f"| {title} | {count:,} | {fmt(rate)} | {fmt(per_cpu)} | {ratio(rate, base_rate)} | "
                         f"{ratio(per_cpu, base_cpu)} | {fmt(rec.get('pattern_setup_seconds'), 1) if count else '-'} | {bad} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(sys.argv[1], sys.argv[2]))
