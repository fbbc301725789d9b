#!/usr/bin/env bash
# Pattern rows (issue 8): does PUBLISH / CALL cost grow with wildcard subscriptions or
# registrations that do not match? Each row gets a fresh router, so tearing down one row's
# patterns never runs into the next row.
#   bench/patterns.sh OUT NAME ROUTER_BINARY
# writes OUT/patterns.NAME.ROW-pN.json per row and prints the table (bench/patterns_table.py).
# Environment: PATTERN_COUNTS ("0 10000 100000"), PATTERN_ROWS ("pubsub-ack rpc-exact rpc-wildcard"),
# PATTERNS_PER_SESSION (1000), WARMUP (1), DURATION (5), SETUP_TIMEOUT (600) seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

[[ $# -eq 3 ]] || { echo "usage: $0 OUT NAME ROUTER_BINARY" >&2; exit 2; }
out=$1 name=$2 binary=$3
mkdir -p "$out"
counts=${PATTERN_COUNTS:-0 10000 100000}
rows=${PATTERN_ROWS:-pubsub-ack rpc-exact rpc-wildcard}
per_session=${PATTERNS_PER_SESSION:-1000}
router_pid=
cleanup() { if [[ -n "$router_pid" ]]; then stop_pid "$router_pid" 10; fi; }
trap cleanup EXIT

for row in $rows; do
    case $row in
        pubsub-ack) args=(pubsub --subscribers 1 --ack --window 16) ;;
        rpc-exact) args=(rpc --callers 2 --window 16) ;;
        rpc-wildcard) args=(rpc --callers 2 --window 16 --callee-match wildcard) ;;
        *) echo "unknown row $row" >&2; exit 2 ;;
    esac
    for count in $counts; do
        port=$(free_port)
        "$binary" --host 127.0.0.1 --port "$port" --no-compression --log-level warning >"$out/patterns.$name.router.log" 2>&1 &
        router_pid=$!
        wait_port "$port" 20 "$router_pid"
        echo "--- patterns $name $row $count"
        if ! timeout $(( ${SETUP_TIMEOUT:-600} + 120 )) "$BENCH_BIN_DIR/wamp-bench" "${args[@]}" --url "ws://127.0.0.1:$port/" \
            --router-pid "$router_pid" --warmup "${WARMUP:-1}" --duration "${DURATION:-5}" \
            --setup-timeout "${SETUP_TIMEOUT:-600}" --patterns "$count" --patterns-per-session "$per_session" \
            --label "patterns $name $row $count" --json "$out/patterns.$name.$row-p$count.json" \
            >"$out/patterns.$name.$row-p$count.txt" 2>&1; then
            echo "row patterns $name $row $count reported failures or did not finish"
            tail -5 "$out/patterns.$name.$row-p$count.txt"
            echo "patterns $name $row $count" >>"$out/failed-rows"
        fi
        stop_pid "$router_pid" 10
        router_pid=
    done
done
python3 bench/patterns_table.py "$out" "$name"
