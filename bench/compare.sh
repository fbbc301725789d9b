#!/usr/bin/env bash
# Basic Profile rows against two router binaries in one run, alternating A B A B so that machine
# noise hits both alike. For "does this change make the Basic Profile slower?":
#   bench/compare.sh OLD_BINARY NEW_BINARY
# Prints the median rate and work per router CPU-second of each binary per row, then (where
# valgrind runs) router instructions per RPC round trip of each, from callgrind: a warm-up run of
# 1,000 calls, a dump (callgrind zeroes its counters at each dump), then 5,000 calls and a dump:
# instructions per call = the second dump's total / 5,000.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

[[ $# -eq 2 ]] || { echo "usage: $0 OLD_BINARY NEW_BINARY" >&2; exit 2; }
binaries=("$1" "$2")
names=(old new)
out=$(mktemp -d /tmp/wamp-bench-compare.XXXXXX)
router_pid=
cleanup() {
    if [[ -n "$router_pid" ]]; then stop_pid "$router_pid" 10; fi
    rm -rf "$out"
}
trap cleanup EXIT

rows=("rpc-1x1:rpc --callers 1 --window 1" "rpc-8x16:rpc --callers 8 --window 16"
      "pubsub-100:pubsub --subscribers 100" "pubsub-1000:pubsub --subscribers 1000")
for round in 1 2; do
    for index in 0 1; do
        port=$(free_port)
        "${binaries[$index]}" --host 127.0.0.1 --port "$port" --no-compression --log-level warning >"$out/router.log" 2>&1 &
        router_pid=$!
        wait_port "$port" 20
        for row in "${rows[@]}"; do
            name=${row%%:*}
            # shellcheck disable=SC2086
            timeout 120 "$BENCH_BIN_DIR/wamp-bench" ${row#*:} --url "ws://127.0.0.1:$port/" --warmup 1 --duration 4 \
                --router-pid "$router_pid" --json "$out/${names[$index]}-$name-$round.json" >/dev/null
        done
        stop_pid "$router_pid" 10
        router_pid=
    done
done
python3 - "$out" <<'PY'
import glob, json, statistics, sys
results = {}
for path in glob.glob(sys.argv[1] + "/*.json"):
    which, rest = path.rsplit("/", 1)[1].split("-", 1)
    row = rest.rsplit("-", 1)[0]
    record = json.load(open(path))
    flat = {}
    def walk(value, prefix=""):
        if isinstance(value, dict):
            for key, inner in value.items():
                walk(inner, key)
        else:
            flat.setdefault(prefix, value)
    walk(record)
    rate = flat.get("calls_per_s") or flat.get("delivered_per_s")
    per_cpu = flat.get("work_per_router_cpu_s")
    results.setdefault((row, which), []).append((rate, per_cpu))
print(f"{'row':<12} {'old /s':>12} {'new /s':>12} {'new/old':>8} {'old per CPU-s':>14} {'new per CPU-s':>14} {'new/old':>8}")
for row in ["rpc-1x1", "rpc-8x16", "pubsub-100", "pubsub-1000"]:
    old, new = results.get((row, "old"), []), results.get((row, "new"), [])
    if not old or not new:
        continue
    o_rate, n_rate = statistics.median(r for r, _ in old), statistics.median(r for r, _ in new)
    o_cpu, n_cpu = statistics.median(c for _, c in old), statistics.median(c for _, c in new)
    print(f"{row:<12} {o_rate:>12,.0f} {n_rate:>12,.0f} {n_rate / o_rate:>7.2f}x {o_cpu:>14,.0f} {n_cpu:>14,.0f} {n_cpu / o_cpu:>7.2f}x")
PY

callgrind_per_call() { # callgrind_per_call BINARY
    local copy="$out/cg-router" port pid
    cp "$1" "$copy" && strip --strip-debug "$copy"
    cc -shared -fPIC -O2 -o "$out/sigsuspend_shim.so" interop/leakcheck/sigsuspend_shim.c -ldl
    rm -f "$out"/cg.out.*
    port=$(free_port)
    SWIFT_BACKTRACE=enable=no LD_PRELOAD="$out/sigsuspend_shim.so" valgrind --tool=callgrind \
        --callgrind-out-file="$out/cg.out.%p" "$copy" --host 127.0.0.1 --port "$port" --no-compression \
        --log-level warning >"$out/cg.log" 2>&1 &
    pid=$!
    router_pid=$pid
    wait_port "$port" 60 "$pid"
    for calls in 1000 5000; do
        timeout 600 "$BENCH_BIN_DIR/wamp-bench" rpc --url "ws://127.0.0.1:$port/" --callers 1 --window 1 \
            --calls "$calls" --duration 500 >/dev/null
        callgrind_control -d "$pid" >/dev/null
    done
    stop_pid "$pid" 20
    router_pid=
    python3 - "$out" <<'PY'
import glob, sys
dumps = sorted(glob.glob(sys.argv[1] + "/cg.out.*.[0-9]*"), key=lambda p: int(p.rsplit(".", 1)[1]))
totals = []
for d in dumps:
    for line in open(d, errors="replace"):
        if line.startswith(("summary:", "totals:")):
            totals.append(int(line.split()[1]))
            break
print(f"{totals[-1] / 5000:.0f}" if len(totals) >= 2 else "n/a")
PY
}
if command -v valgrind >/dev/null && command -v cc >/dev/null; then
    echo "router instructions per RPC round trip (callgrind, 1x1): old $(callgrind_per_call "$1"), new $(callgrind_per_call "$2")"
fi
