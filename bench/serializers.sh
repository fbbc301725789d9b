#!/usr/bin/env bash
# Serializer and transport rows (issue 10): RPC 8x16 and fan-out to 100 subscribers over
# WebSocket + JSON (the baseline), WebSocket + MessagePack, WebSocket + CBOR, RawSocket + JSON and
# RawSocket + MessagePack, and fan-out to 100 subscribers split across JSON, MessagePack and CBOR
# (round robin; the publisher speaks JSON). One router process serves every row, with a WebSocket
# and a RawSocket port; the configurations alternate within each round (A B C ... A B C ...), so
# machine noise hits them alike, and the table gives medians (bench/serializers_table.py).
#   bench/serializers.sh OUT ROUTER_BINARY
# writes OUT/serializers/CONFIG-ROW-ROUND.json and prints the table. Environment: ROUNDS (1),
# WARMUP (1), DURATION (5) seconds. A router without --rawsocket-port skips the RawSocket rows.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

[[ $# -eq 2 ]] || { echo "usage: $0 OUT ROUTER_BINARY" >&2; exit 2; }
out=$1/serializers binary=$2
rm -rf "$out"
mkdir -p "$out"
rounds=${ROUNDS:-1}
router_pid=
cleanup() { if [[ -n "$router_pid" ]]; then stop_pid "$router_pid" 10; fi; }
trap cleanup EXIT

port=$(free_port)
rs_args=()
# (Captured first: with pipefail, `--help | grep -q` fails when grep exits early.)
router_help=$("$binary" --help 2>&1 || true)
if [[ $router_help == *--rawsocket-port* ]]; then
    rs_port=$(free_port)
    rs_args=(--rawsocket-port "$rs_port")
else
    echo "serializers: $binary has no --rawsocket-port; the RawSocket rows are skipped" | tee "$out/skipped"
fi
"$binary" --host 127.0.0.1 --port "$port" "${rs_args[@]}" --no-compression --log-level warning >"$out/router.log" 2>&1 &
router_pid=$!
wait_port "$port" 20 "$router_pid"
[[ ${#rs_args[@]} -eq 0 ]] || wait_port "$rs_port" 10 "$router_pid"
echo "$binary --host 127.0.0.1 --port $port ${rs_args[*]} --no-compression --log-level warning" >"$out/router-command"

ws=(--url "ws://127.0.0.1:$port/")
configs=(wsjson wsmsgpack wscbor)
[[ ${#rs_args[@]} -eq 0 ]] || configs+=(rsjson rsmsgpack)
configs+=(mixed)
config_args() {
    case $1 in
        wsjson) echo "${ws[@]} --serializer json" ;;
        wsmsgpack) echo "${ws[@]} --serializer msgpack" ;;
        wscbor) echo "${ws[@]} --serializer cbor" ;;
        rsjson) echo "--transport rawsocket --url tcp://127.0.0.1:$rs_port --serializer json" ;;
        rsmsgpack) echo "--transport rawsocket --url tcp://127.0.0.1:$rs_port --serializer msgpack" ;;
        mixed) echo "${ws[@]} --serializer json --subscriber-serializers json,msgpack,cbor" ;;
    esac
}
for round in $(seq 1 "$rounds"); do
    for row in rpc-8x16 pubsub-100; do
        case $row in
            rpc-8x16) row_args=(rpc --callers 8 --window 16) ;;
            pubsub-100) row_args=(pubsub --subscribers 100) ;;
        esac
        for config in "${configs[@]}"; do
            [[ $config != mixed || $row == pubsub-100 ]] || continue
            name="$config-$row-$round"
            echo "--- serializers $name"
            # shellcheck disable=SC2046
            if ! timeout 120 "$BENCH_BIN_DIR/wamp-bench" "${row_args[@]}" $(config_args "$config") \
                --router-pid "$router_pid" --warmup "${WARMUP:-1}" --duration "${DURATION:-5}" \
                --label "serializers $name" --json "$out/$name.json" >"$out/$name.txt" 2>&1; then
                echo "row serializers $name reported failures or did not finish"
                tail -5 "$out/$name.txt"
                echo "serializers $name" >>"$1/failed-rows"
            fi
            grep -E '^  (calls|delivered)_per_s|^  work_per_router_cpu_s' "$out/$name.txt" | tr -s ' ' | tr '\n' ' ' || true
            echo
        done
    done
done
if ! kill -0 "$router_pid" 2>/dev/null; then
    echo "serializers: the router died"; tail -20 "$out/router.log"
    echo "serializers router died" >>"$1/failed-rows"
fi
stop_pid "$router_pid" 10
router_pid=

# Router instructions per RPC round trip (callgrind, 1 caller x window 1, 1,000 calls warm-up then
# 5,000 measured; callgrind_rpc_instructions in bench/lib.sh) and per delivered EVENT (100
# subscribers, 200 acknowledged publications one at a time; callgrind_pubsub_instructions) per
# configuration: the figures machine noise does not move. CALLGRIND=0 skips them.
: >"$out/instructions.txt"
if [[ "${CALLGRIND:-1}" == 1 ]] && command -v valgrind >/dev/null && command -v cc >/dev/null; then
    BENCH_CALLGRIND_PID=
    trap 'cleanup; if [[ -n "$BENCH_CALLGRIND_PID" ]]; then stop_pid "$BENCH_CALLGRIND_PID" 20; fi' EXIT
    for kind in rpc pubsub; do
        for config in wsjson wsmsgpack rsmsgpack mixed; do
            [[ $config != rs* || ${#rs_args[@]} -gt 0 ]] || continue
            [[ $config != mixed || $kind == pubsub ]] || continue
            cg_port=$(free_port) cg_rs_port=$(free_port)
            case $config in
                wsjson) BENCH_CALLGRIND_CLIENT="--url ws://127.0.0.1:$cg_port/ --serializer json" ;;
                wsmsgpack) BENCH_CALLGRIND_CLIENT="--url ws://127.0.0.1:$cg_port/ --serializer msgpack" ;;
                rsmsgpack) BENCH_CALLGRIND_CLIENT="--transport rawsocket --url tcp://127.0.0.1:$cg_rs_port --serializer msgpack" ;;
                mixed) BENCH_CALLGRIND_CLIENT="--url ws://127.0.0.1:$cg_port/ --serializer json --subscriber-serializers json,msgpack,cbor" ;;
            esac
            cg_args=(--host 127.0.0.1 --port "$cg_port" --no-compression --log-level warning)
            [[ ${#rs_args[@]} -eq 0 ]] || cg_args+=(--rawsocket-port "$cg_rs_port")
            work="$out/callgrind-$kind-$config"
            mkdir -p "$work"
            if [[ $kind == rpc ]]; then
                callgrind_rpc_instructions "$work" "$cg_port" 1000 5000 "$binary" "${cg_args[@]}" || true
            else
                callgrind_pubsub_instructions "$work" "$cg_port" 100 200 "$binary" "${cg_args[@]}" || true
            fi
            echo "$kind $config $BENCH_CALLGRIND_FIGURE" | tee -a "$out/instructions.txt"
            rm -f "$work/cg-router" "$work"/cg.out.*
        done
    done
    unset BENCH_CALLGRIND_CLIENT
fi
python3 bench/serializers_table.py "$1"
