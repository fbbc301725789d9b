#!/usr/bin/env python3
"""The rows of bench/serializers.sh (issue 10) as Markdown: each configuration's median rate and
work per router CPU-second over the rounds, against WebSocket + JSON of the same run, and the
issue's targets.   bench/serializers_table.py OUT   (reads OUT/serializers/CONFIG-ROW-ROUND.json)"""
import glob
import json
import os
import re
import statistics
import sys

CONFIGS = {
    "wsjson": "WebSocket + JSON",
    "wsmsgpack": "WebSocket + MessagePack",
    "wscbor": "WebSocket + CBOR",
    "rsjson": "RawSocket + JSON",
    "rsmsgpack": "RawSocket + MessagePack",
    "mixed": "WebSocket, subscribers json/msgpack/cbor round robin, publisher JSON",
}
ROWS = {
    "rpc-8x16": ("rpc 8 callers x window 16", "calls_per_s"),
    "pubsub-100": ("pubsub max rate, 100 subscribers", "delivered_per_s"),
}
COUNTERS = ("errors", "timeouts", "lost", "gaps", "duplicates")


def load(out):
    """{(config, row): [record, ...]} over the rounds."""
    runs = {}
    for path in glob.glob(os.path.join(out, "serializers", "*.json")):
        match = re.match(r"([a-z]+)-(.+)-(\d+)\.json$", os.path.basename(path))
        if match and match.group(1) in CONFIGS and match.group(2) in ROWS:
            runs.setdefault((match.group(1), match.group(2)), []).append(json.load(open(path)))
    return runs


def median(records, key):
    values = [r.get(key) for r in records if r.get(key) is not None]
    return statistics.median(values) if values else None


def fmt(value, digits=0):
    return "n/a" if value is None else f"{value:,.{digits}f}"


def ratio(value, base):
    return "n/a" if value is None or not base else f"{value / base:.2f}x"


def table(out):
    runs = load(out)
    if not runs:
        return ""
    rounds = max(len(v) for v in runs.values())
    lines = [f"Medians of {rounds} round(s); `vs WS+JSON` is work per router CPU-second against the WebSocket + "
             "JSON row of the same run (above 1.00x = cheaper for the router).", "",
             "| row | configuration | /s | router CPU cores | per router CPU-s | vs WS+JSON | router CPU-us per unit | errors / lost |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for row, (title, metric) in ROWS.items():
        base = median(runs.get(("wsjson", row), []), "work_per_router_cpu_s")
        for config, name in CONFIGS.items():
            records = runs.get((config, row))
            if not records:
                continue
            per_cpu = median(records, "work_per_router_cpu_s")
            bad = sum(sum(r.get(k, 0) or 0 for k in COUNTERS) for r in records)
            lost = sum(r.get("lost", 0) or 0 for r in records)
            lines.append(f"| {title} | {name} | {fmt(median(records, metric))} | {fmt(median(records, 'router_cpu_cores'), 2)} | "
                         f"{fmt(per_cpu)} | {ratio(per_cpu, base)} | {fmt(1e6 / per_cpu if per_cpu else None, 2)} | "
                         f"{bad - lost} / {lost} |")
    figures = instruction_figures(out)
    if figures:
        lines += ["", "Router instructions (callgrind; not moved by machine noise): per RPC round trip (1 caller x "
                  "window 1, 1,000 calls warm-up then 5,000 measured) and per delivered EVENT (100 subscribers, "
                  "200 acknowledged publications one at a time, session set-up subtracted):", "",
                  "| configuration | per RPC | vs WS+JSON | per EVENT | vs WS+JSON |", "|---|---:|---:|---:|---:|"]
        for config, name in CONFIGS.items():
            rpc, event = figures.get(("rpc", config)), figures.get(("pubsub", config))
            if rpc is None and event is None:
                continue
            cells = []
            for kind, figure in (("rpc", rpc), ("pubsub", event)):
                base = figures.get((kind, "wsjson"))
                if isinstance(figure, int):
                    cells += [f"{figure:,}", f"{figure / base:.3f}x" if isinstance(base, int) else "n/a"]
                else:
                    cells += [figure or "-", "n/a"]
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def instruction_figures(out):
    """{(kind, config): instructions (int) or why there is none (str)} from instructions.txt."""
    path = os.path.join(out, "serializers", "instructions.txt")
    figures = {}
    if os.path.exists(path):
        for line in open(path).read().splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3:
                figures[(parts[0], parts[1])] = int(parts[2]) if parts[2].isdigit() else parts[2]
    return figures


def targets(out):
    """(label, measured, met?) rows for the Targets table of BENCHMARKS.md."""
    runs = load(out)
    if not runs:
        return []
    result = []
    for row, (title, _) in ROWS.items():
        base = median(runs.get(("wsjson", row), []), "work_per_router_cpu_s")
        for config in ("wsmsgpack", "rsmsgpack"):
            per_cpu = median(runs.get((config, row), []), "work_per_router_cpu_s")
            ok = None if per_cpu is None or not base else per_cpu >= base
            result.append((f"{title}: {CONFIGS[config]} per router CPU-s >= WebSocket + JSON", ratio(per_cpu, base), ok))
    base = median(runs.get(("wsjson", "pubsub-100"), []), "work_per_router_cpu_s")
    mixed = median(runs.get(("mixed", "pubsub-100"), []), "work_per_router_cpu_s")
    cost = None if not (base and mixed) else base / mixed
    result.append(("fan-out 100 split across json/msgpack/cbor: router CPU per event <= 1.5x all-JSON",
                   "n/a" if cost is None else f"{cost:.2f}x", None if cost is None else cost <= 1.5))
    return result


if __name__ == "__main__":
    print(table(sys.argv[1]))
    for label, measured, ok in targets(sys.argv[1]):
        print(f"{label}: {measured} ({'n/a' if ok is None else ('met' if ok else 'NOT met')})")
