#!/usr/bin/env python3
"""Median table of alternating runs (bench/compare.sh, bench/authz-compare.sh).

    bench/compare_table.py DIR BASELINE [OTHER...] [--rows ROW,ROW...]

DIR holds wamp-bench JSON records named WHICH-ROW-ROUND.json (WHICH without '-'). Per row it
prints the median rate and median work per router CPU-second of each WHICH and the ratio of each
OTHER to BASELINE; then every record whose errors, timeouts, lost, gaps or duplicates are not 0.
"""
import glob
import json
import statistics
import sys

COUNTERS = ("errors", "timeouts", "lost", "gaps", "duplicates")
DEFAULT_ROWS = ["rpc-1x1", "rpc-8x16", "pubsub-100", "pubsub-1000"]


def flatten(record):
    """wamp-bench records may nest; the first value seen under each key wins."""
    flat = {}

    def walk(value, key=""):
        if isinstance(value, dict):
            for inner_key, inner in value.items():
                walk(inner, inner_key)
        else:
            flat.setdefault(key, value)

    walk(record)
    return flat


def load(folder):
    results, bad = {}, []
    for path in sorted(glob.glob(folder + "/*.json")):
        name = path.rsplit("/", 1)[1][: -len(".json")]
        which, rest = name.split("-", 1)
        row = rest.rsplit("-", 1)[0]
        flat = flatten(json.load(open(path)))
        rate = flat.get("calls_per_s") or flat.get("delivered_per_s")
        per_cpu = flat.get("work_per_router_cpu_s")
        results.setdefault((row, which), []).append((rate, per_cpu))
        counts = {k: flat.get(k, 0) or 0 for k in COUNTERS}
        if any(counts.values()):
            bad.append(f"{name}: " + ", ".join(f"{k} {v}" for k, v in counts.items() if v))
    return results, bad


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def number(value):
    return "n/a" if value is None else f"{value:,.0f}"


def ratio(value, base):
    return "n/a" if value is None or not base else f"{value / base:.3f}x"


def main():
    args = sys.argv[1:]
    rows = DEFAULT_ROWS
    if "--rows" in args:
        at = args.index("--rows")
        rows = args[at + 1].split(",")
        del args[at:at + 2]
    if len(args) < 2:
        raise SystemExit(__doc__)
    folder, base, others = args[0], args[1], args[2:]
    names = [base] + others
    results, bad = load(folder)
    header = [f"{'row':<12}"]
    header += [f"{n + ' /s':>14}" for n in names] + [f"{o + '/' + base:>16}" for o in others]
    header += [f"{n + ' per CPU-s':>18}" for n in names] + [f"{o + '/' + base:>16}" for o in others]
    print(" ".join(header))
    for row in rows:
        rates = {n: median(r for r, _ in results.get((row, n), [])) for n in names}
        per_cpu = {n: median(c for _, c in results.get((row, n), [])) for n in names}
        if all(v is None for v in rates.values()):
            continue
        cells = [f"{row:<12}"]
        cells += [f"{number(rates[n]):>14}" for n in names]
        cells += [f"{ratio(rates[o], rates[base]):>16}" for o in others]
        cells += [f"{number(per_cpu[n]):>18}" for n in names]
        cells += [f"{ratio(per_cpu[o], per_cpu[base]):>16}" for o in others]
        print(" ".join(cells))
    runs = {n: len(results.get((rows[0], n), [])) for n in names}
    print("runs per row and configuration: " + ", ".join(f"{n} {c}" for n, c in runs.items()))
    if bad:
        print("RUNS WITH NON-ZERO COUNTERS:")
        for line in bad:
            print("  " + line)


if __name__ == "__main__":
    main()
