#!/usr/bin/env bash
# Basic Profile rows against two router binaries in one run, alternating A B A B so that machine
# noise hits both alike. For "does this change make the Basic Profile slower?":
#   bench/compare.sh OLD_BINARY NEW_BINARY        (ROUNDS=N: rounds, default 2)
# Prints the median rate and work per router CPU-second of each binary per row
# (bench/compare_table.py), then (where valgrind runs) router instructions per RPC round trip of
# each, from callgrind: a warm-up run of 1,000 calls, a dump, then 5,000 calls and a dump
# (callgrind_rpc_instructions in bench/lib.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

[[ $# -eq 2 ]] || { echo "usage: $0 OLD_BINARY NEW_BINARY" >&2; exit 2; }
binaries=("$1" "$2")
names=(old new)
bench_workdir compare

for ((round = 1; round <= ${ROUNDS:-2}; round++)); do
    for index in 0 1; do
        port=$(free_port)
        "${binaries[$index]}" --host 127.0.0.1 --port "$port" --no-compression --log-level warning >"$out/router.log" 2>&1 &
        router_pid=$!
        wait_port "$port" 20
        basic_profile_rows "$out" "${names[$index]}" "$round" "$port" "$router_pid"
        stop_pid "$router_pid" 10
        router_pid=
    done
done
python3 bench/compare_table.py "$out" old new

if command -v valgrind >/dev/null && command -v cc >/dev/null; then
    figures=()
    for binary in "$1" "$2"; do
        port=$(free_port)
        callgrind_rpc_instructions "$out" "$port" 1000 5000 "$binary" --host 127.0.0.1 --port "$port" \
            --no-compression --log-level warning || true
        figures+=("$BENCH_CALLGRIND_FIGURE")
    done
    echo "router instructions per RPC round trip (callgrind, 1x1): old ${figures[0]}, new ${figures[1]}"
fi
