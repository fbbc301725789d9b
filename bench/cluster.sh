#!/usr/bin/env bash
# The cluster rows of issue 12 beside the single-node rows, alternating single cluster single
# cluster for ROUNDS rounds (3) so that machine noise hits both alike:
#   bench/cluster.sh [ROUTER_BINARY]        (default .build/release/wamp-router)
# - single:  one router, no cluster; rpc 8x16 and pubsub to 100 subscribers at max rate.
# - cluster: `nats-server -js` and three routers (--cluster-nats, --node-name n1/n2/n3);
#            rpc 8x16 with the callee on n2 and every caller on n1 (each call crosses nodes);
#            pubsub with the publisher on n1 and the 100 subscribers spread over n1, n2, n3.
# "per router CPU-s" sums the three nodes' CPU; the NATS server's CPU is measured apart and
# printed per row (cores, and work per NATS CPU-second). Everything listens on 127.0.0.1.
# Environment: ROUNDS (3), BENCH_DURATION and BENCH_WARMUP (seconds per row; 4 and 1).
# Exit status 1 when a run failed or reported errors/lost.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

[[ $# -le 1 ]] || { echo "usage: $0 [ROUTER_BINARY]" >&2; exit 2; }
binary=${1:-$BENCH_BIN_DIR/wamp-router}
nats=$(command -v nats-server || echo /usr/sbin/nats-server)
[[ -x "$nats" ]] || { echo "nats-server not found (scripts/deps.sh --test installs it)" >&2; exit 2; }
bench_workdir cluster
cluster_pids=()
cluster_stop() {
    local pid
    for pid in "${cluster_pids[@]}"; do stop_pid "$pid" 10; done
    cluster_pids=()
}
trap 'cluster_stop; bench_cleanup' EXIT

cpu_seconds() {  # utime + stime of PID in seconds
    awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

# row OUT WHICH NAME ROUND PIDS NATS_PID ARGS...: one wamp-bench run into OUT/WHICH-NAME-ROUND.json,
# with the NATS server's CPU over the same run in OUT/nats-WHICH-NAME-ROUND.txt.
row() {
    local out=$1 which=$2 name=$3 round=$4 pids=$5 nats_pid=$6 before after started ended
    shift 6
    [[ -n "$nats_pid" ]] && before=$(cpu_seconds "$nats_pid") && started=$(date +%s.%N)
    if ! timeout 120 "$BENCH_BIN_DIR/wamp-bench" "$@" --warmup "${BENCH_WARMUP:-1}" --duration "${BENCH_DURATION:-4}" \
        --router-pid "$pids" --label "$which $name $round" --json "$out/$which-$name-$round.json" \
        >"$out/$which-$name-$round.txt" 2>&1; then
        echo "$which $name round $round: failed or did not finish ($(tail -1 "$out/$which-$name-$round.txt"))" \
            | tee -a "$out/failed-runs" >&2
    fi
    if [[ -n "$nats_pid" ]]; then
        after=$(cpu_seconds "$nats_pid")
        ended=$(date +%s.%N)
        echo "$before $after $started $ended" >"$out/nats-$which-$name-$round.txt"
    fi
}

start_router() {  # start_router LOG ARGS...: sets started_pid
    "$binary" "${@:2}" --no-compression --log-level warning >"$1" 2>&1 &
    started_pid=$!
    cluster_pids+=("$started_pid")
}

echo "load average at start: $(cat /proc/loadavg)"
for ((round = 1; round <= ${ROUNDS:-3}; round++)); do
    port=$(free_port)
    start_router "$out/single.log" --host 127.0.0.1 --port "$port"
    wait_port "$port" 20 "$started_pid" || { cat "$out/single.log"; exit 1; }
    url="ws://127.0.0.1:$port/"
    row "$out" single rpc-8x16 "$round" "$started_pid" "" rpc --callers 8 --window 16 --url "$url"
    row "$out" single pubsub-100 "$round" "$started_pid" "" pubsub --subscribers 100 --url "$url"
    cluster_stop

    nats_port=$(free_port)
    "$nats" -js -a 127.0.0.1 -p "$nats_port" -sd "$out/nats-store-$round" >"$out/nats.log" 2>&1 &
    nats_pid=$!
    cluster_pids+=("$nats_pid")
    wait_port "$nats_port" 20 "$nats_pid" || { cat "$out/nats.log"; exit 1; }
    urls=() node_pids=()
    for node in n1 n2 n3; do
        port=$(free_port)
        start_router "$out/$node.log" --host 127.0.0.1 --port "$port" \
            --cluster-nats "nats://127.0.0.1:$nats_port" --node-name "$node"
        wait_port "$port" 30 "$started_pid" || { cat "$out/$node.log"; exit 1; }
        urls+=("ws://127.0.0.1:$port/")
        node_pids+=("$started_pid")
    done
    pids=$(IFS=,; echo "${node_pids[*]}")
    row "$out" cluster rpc-8x16 "$round" "$pids" "$nats_pid" rpc --callers 8 --window 16 \
        --url "${urls[0]}" --callee-url "${urls[1]}"
    row "$out" cluster pubsub-100 "$round" "$pids" "$nats_pid" pubsub --subscribers 100 \
        --url "${urls[0]}" --subscriber-urls "$(IFS=,; echo "${urls[*]}")"
    cluster_stop
done
echo "load average at end: $(cat /proc/loadavg)"

python3 bench/compare_table.py "$out" single cluster --rows rpc-8x16,pubsub-100 | tee "$out/table.txt"
python3 - "$out" <<'PY'
import glob, json, statistics, sys
out = sys.argv[1]
print("\nNATS server CPU during the cluster rows (median of rounds):")
print("| row | NATS cores | work per NATS CPU-s |")
print("|---|---:|---:|")
for row in ("rpc-8x16", "pubsub-100"):
    cores, per = [], []
    for path in sorted(glob.glob(f"{out}/nats-cluster-{row}-*.txt")):
        before, after, started, ended = map(float, open(path).read().split())
        record = json.load(open(path.replace("/nats-cluster-", "/cluster-").replace(".txt", ".json")))
        flat = {}
        def walk(value, key=""):
            if isinstance(value, dict):
                for k, v in value.items(): walk(v, k)
            else:
                flat.setdefault(key, value)
        walk(record)
        # NATS CPU is read over the whole wamp-bench run (set-up and drain too), so its rate in
        # cores, against the row's measured rate, gives the work per NATS CPU-second.
        rate = flat.get("calls_per_s") or flat.get("delivered_per_s") or 0
        used = (after - before) / (ended - started)
        cores.append(used)
        if used > 0: per.append(rate / used)
    if cores:
        print(f"| {row} | {statistics.median(cores):.3f} | {statistics.median(per):,.0f} |" if per else f"| {row} | {statistics.median(cores):.3f} | - |")
PY
if [[ -s "$out/failed-runs" ]] || grep -q 'NON-ZERO' "$out/table.txt"; then
    echo "some runs failed or reported errors (see above)"
    exit 1
fi
