#!/usr/bin/env bash
# Correctness smoke of wamp-bench against the release router: every mode for about a second with
# small sizes. Fails (exit 1) if any run reports errors, timeouts, lost events, gaps or
# duplicates. Asserts nothing about speed.
#   bench/smoke.sh            builds release first
#   SKIP_BUILD=1 bench/smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

[[ "${SKIP_BUILD:-0}" == 1 ]] || build_release

out=$(mktemp -d /tmp/wamp-bench-smoke.XXXXXX)
port=$(free_port)
testee=$(free_port)
router_pid=
cleanup() {
    if [[ -n "$router_pid" ]]; then stop_pid "$router_pid" 10; fi
    rm -rf "$out"
}
trap cleanup EXIT

"$BENCH_BIN_DIR/wamp-router" --host 127.0.0.1 --port "$port" --testee-port "$testee" --log-level warning \
    >"$out/router.log" 2>&1 &
router_pid=$!
wait_port "$port" 20
wait_port "$testee" 5

url="ws://127.0.0.1:$port/"
common=(--warmup 0.2 --duration 1 --setup-timeout 20 --router-pid "$router_pid")
failed=0
run() {
    local name=$1; shift
    if timeout 90 "$BENCH_BIN_DIR/wamp-bench" "$@" "${common[@]}" --label "smoke $name" >"$out/$name.txt" 2>&1; then
        echo "smoke $name: ok ($(grep -E '^  (calls|delivered|round_trips|sessions)_per_s' "$out/$name.txt" | awk '{print $2" "$1}'))"
    else
        echo "smoke $name: FAILED"
        cat "$out/$name.txt"
        failed=$((failed + 1))
    fi
}
run rpc            rpc      --url "$url" --callers 2 --window 4
run rpc-fixed      rpc      --url "$url" --callers 2 --window 4 --calls 2000
run pubsub-max     pubsub   --url "$url" --subscribers 10
run pubsub-rate    pubsub   --url "$url" --subscribers 5 --rate 500 --payload-bytes 100
run pubsub-ack     pubsub   --url "$url" --subscribers 5 --ack --window 8
run sessions       sessions --url "$url" --sessions 200 --hold 0.2
run echo           echo     --url "ws://127.0.0.1:$testee/" --connections 2 --window 4
# Non-matching wildcard patterns held by their own sessions (the bench/patterns.sh rows, small).
run pubsub-patterns pubsub  --url "$url" --subscribers 2 --ack --window 8 --patterns 300 --patterns-per-session 100
run rpc-patterns   rpc      --url "$url" --callers 1 --window 4 --callee-match wildcard --patterns 300 --patterns-per-session 100
# Serializers (issue 10): a MessagePack publisher to subscribers on JSON, MessagePack and CBOR.
run pubsub-mixed   pubsub   --url "$url" --subscribers 6 --publisher-serializer msgpack --subscriber-serializers json,msgpack,cbor

if ! kill -0 "$router_pid" 2>/dev/null; then
    echo "smoke: the router died"; cat "$out/router.log"; failed=$((failed + 1))
fi
stop_pid "$router_pid" 10

# The same router from a config file whose anonymous role allows exactly the bench URIs
# (bench/make-config.py static-roles): a denied REGISTER, CALL, SUBSCRIBE or PUBLISH shows as errors.
port=$(free_port)
python3 bench/make-config.py static-roles --port "$port" --out "$out/static-roles.json"
"$BENCH_BIN_DIR/wamp-router" --config "$out/static-roles.json" --no-compression --log-level warning \
    >"$out/router-static.log" 2>&1 &
router_pid=$!
if wait_port "$port" 20 "$router_pid"; then
    url="ws://127.0.0.1:$port/"
    common=(--warmup 0.2 --duration 1 --setup-timeout 20 --router-pid "$router_pid")
    run static-roles-rpc    rpc    --url "$url" --callers 2 --window 4
    run static-roles-pubsub pubsub --url "$url" --subscribers 5 --ack --window 8
    if ! kill -0 "$router_pid" 2>/dev/null; then
        echo "smoke: the router (--config static-roles) died"; cat "$out/router-static.log"; failed=$((failed + 1))
    fi
else
    echo "smoke static-roles: FAILED (the router did not start with --config)"; cat "$out/router-static.log"
    failed=$((failed + 2))
fi
echo "$((12 - failed)) passed, $failed failed"
[[ $failed -eq 0 ]]
