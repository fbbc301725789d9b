#!/usr/bin/env python3
"""Summarise an Autobahn TestSuite (kosoku) fuzzingclient report directory.

Reads OUTDIR/index.json and prints: per-behaviour counts, per-section counts, the 9.x timings,
and a final line "N passed, M failed". Exits non-zero when any case is FAILED, UNIMPLEMENTED or
NON-STRICT, when any behaviorClose is not OK/INFORMATIONAL, or when fewer than MIN_CASES ran.
"""
import json
import sys
from collections import Counter, defaultdict

MIN_CASES = 517
BAD_BEHAVIOURS = {"FAILED", "UNIMPLEMENTED", "NON-STRICT"}
GOOD_CLOSE = {"OK", "INFORMATIONAL"}


def case_key(case_id):
    return [int(p) for p in case_id.split(".")]


def main():
    if len(sys.argv) < 2:
        print("usage: summarize.py OUTDIR [MIN_CASES]", file=sys.stderr)
        return 2
    outdir = sys.argv[1]
    min_cases = int(sys.argv[2]) if len(sys.argv) > 2 else MIN_CASES
    with open(f"{outdir}/index.json") as f:
        index = json.load(f)
    cases = {}
    for agent, results in index.items():
        for case_id, result in results.items():
            cases[case_id] = result

    behaviours = Counter(r["behavior"] for r in cases.values())
    closes = Counter(r["behaviorClose"] for r in cases.values())
    print(f"cases run: {len(cases)}")
    print("behaviour:      " + ", ".join(f"{k}={v}" for k, v in sorted(behaviours.items())))
    print("behaviorClose:  " + ", ".join(f"{k}={v}" for k, v in sorted(closes.items())))

    sections = defaultdict(Counter)
    for case_id, r in cases.items():
        sections[case_id.split(".")[0]][r["behavior"]] += 1
    print("per section:")
    for section in sorted(sections, key=int):
        counts = sections[section]
        print(f"  {section:>3}: {sum(counts.values()):4d} cases  " + ", ".join(f"{k}={v}" for k, v in sorted(counts.items())))

    nine = sorted((c for c in cases if c.startswith("9.")), key=case_key)
    if nine:
        print("9.x timings (ms):")
        line = []
        for case_id in nine:
            line.append(f"{case_id}={cases[case_id].get('duration', '?')}")
            if len(line) == 8:
                print("  " + "  ".join(line))
                line = []
        if line:
            print("  " + "  ".join(line))
        print(f"  9.x total: {sum(cases[c].get('duration', 0) for c in nine)} ms")

    informational = sorted((c for c, r in cases.items() if r["behavior"] == "INFORMATIONAL"), key=case_key)
    if informational:
        print("INFORMATIONAL: " + ", ".join(informational))

    problems = []
    for case_id in sorted(cases, key=case_key):
        r = cases[case_id]
        if r["behavior"] in BAD_BEHAVIOURS:
            problems.append(f"{case_id}: behavior {r['behavior']}")
        if r["behaviorClose"] not in GOOD_CLOSE:
            problems.append(f"{case_id}: behaviorClose {r['behaviorClose']}")
    for problem in problems:
        print("PROBLEM " + problem)

    failed_ids = {p.split(":")[0] for p in problems}
    failed = len(failed_ids)
    passed = len(cases) - failed
    ok = failed == 0 and len(cases) >= min_cases
    if len(cases) < min_cases:
        print(f"PROBLEM only {len(cases)} cases ran, expected at least {min_cases}")
    print(f"{passed} passed, {failed} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
