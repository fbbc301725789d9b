#!/usr/bin/env bash
# Fan-out with and without permessage-deflate in one run (issue 10), alternating the three router
# set-ups (plain shared takeover plain shared takeover ...) so machine noise hits them alike:
#   bench/deflate-compare.sh [ROUTER_BINARY]     (default .build/release/wamp-router; ROUNDS=3)
# plain: --no-compression. shared: compression on, default policy (the router answers
# server_no_context_takeover; each EVENT is compressed once and the frame shared). takeover:
# --deflate-context-takeover (each subscriber compresses its own copy, as before issue 10).
# wamp-bench offers deflate as browsers do. Rows: pubsub at max rate to 100 and 1,000 subscribers
# (PAYLOAD_BYTES, default 0: wamp-bench's small events; try 1000 for a larger message);
# prints the median rate and work per router CPU-second of each, and their ratios to plain.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

binary=${1:-.build/release/wamp-router}
rounds=${ROUNDS:-3}
payload=${PAYLOAD_BYTES:-0}
out=$(mktemp -d /tmp/wamp-bench-deflate.XXXXXX)
router_pid=
cleanup() {
    if [[ -n "$router_pid" ]]; then stop_pid "$router_pid" 10; fi
    rm -rf "$out"
}
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"

declare -A setup=([plain]="--no-compression" [shared]="" [takeover]="--deflate-context-takeover")
for round in $(seq 1 "$rounds"); do
    for which in plain shared takeover; do
        port=$(free_port)
        # shellcheck disable=SC2086
        "$binary" --host 127.0.0.1 --port "$port" ${setup[$which]} --log-level warning >"$out/router-$which.log" 2>&1 &
        router_pid=$!
        wait_port "$port" 20 "$router_pid"
        for row in 100 1000; do
            if ! timeout 120 "$BENCH_BIN_DIR/wamp-bench" pubsub --subscribers "$row" --payload-bytes "$payload" \
                --url "ws://127.0.0.1:$port/" --warmup 1 --duration 4 --router-pid "$router_pid" \
                --label "$which pubsub-$row $round" --json "$out/$which-pubsub-$row-$round.json" \
                >"$out/$which-pubsub-$row-$round.txt" 2>&1; then
                echo "$which pubsub-$row round $round: failed ($(tail -1 "$out/$which-pubsub-$row-$round.txt"))" >&2
            fi
        done
        stop_pid "$router_pid" 10
        router_pid=
    done
done
echo "payload bytes: $payload, rounds: $rounds"
python3 bench/compare_table.py "$out" plain shared takeover --rows pubsub-100,pubsub-1000
