#!/usr/bin/env bash
# What metrics cost the Basic Profile (issue 11: "within 3% with metrics on, same run"): the SAME
# router binary with metrics on (the default) and with --no-metrics, alternating on off on off
# in one run so that machine noise hits both alike:
#   bench/metrics-compare.sh [BINARY]        (default .build/release/wamp-router)
# Prints the median rate and work per router CPU-second per row and configuration and the
# off/on ratios (bench/compare_table.py; a ratio of 1.03x in the per CPU-s column means metrics
# cost 3% of the router's CPU on that row), then, where valgrind runs, router instructions per
# RPC round trip of each (compare_configurations in bench/lib.sh). Environment: ROUNDS (3),
# CALLGRIND (0: no callgrind figures), BENCH_DURATION and BENCH_WARMUP (seconds per row; a
# second or two only to check the script runs). Exit status 1 when a run failed or reported
# errors/lost.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

[[ $# -le 1 ]] || { echo "usage: $0 [ROUTER_BINARY]" >&2; exit 2; }
binary=${1:-$BENCH_BIN_DIR/wamp-router}
bench_workdir metrics

# router_args NAME PORT (for compare_configurations).
router_args() {
    case $1 in
        on) echo "--host 127.0.0.1 --port $2" ;;
        off) echo "--host 127.0.0.1 --port $2 --no-metrics" ;;
    esac
}

compare_configurations "$binary" "$out" on off
