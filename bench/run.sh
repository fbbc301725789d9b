#!/usr/bin/env bash
# Full benchmark on loopback (`make bench`): builds release, then runs the same wamp-bench matrix
# against this router, Crossbar.io (a separate venv, .venv-bench) and the router's plain WebSocket
# echo endpoint (--testee-port: same WebSocketIO stack and NIO, echo handler, no WAMP), tries the
# instruction-count regression figure, profiles the router with perf, and writes BENCHMARKS.md.
# Also the Basic Profile rows with a 1,000-permission role config (`-authz1000`, issue 9), and the
# serializer and transport rows (bench/serializers.sh, issue 10).
#
# Environment: WARMUP (1) and DURATION (5) seconds per row, SKIP_BUILD=1, SKIP_CROSSBAR=1,
# PROFILE=0 to skip perf record, BENCH_OUT (bench/results) for the raw results, SERIALIZER_ROUNDS (1).
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
source bench/lib.sh

WARMUP=${WARMUP:-1}
DURATION=${DURATION:-5}
OUT=${BENCH_OUT:-bench/results}
CROSSBAR_VERSION=26.10.1
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "$started" >"$OUT/started"
echo "$DURATION" >"$OUT/duration"
cat /proc/loadavg >"$OUT/loadavg.start"

# 10,000 sessions need 10,000 descriptors in the generator and as many in the router.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
ulimit -n >"$OUT/nofile"

started_pids=()
BENCH_CALLGRIND_PID=
cleanup() {
    local pid
    for pid in "${started_pids[@]}"; do stop_pid "$pid" 10; done
    if [[ -n "$BENCH_CALLGRIND_PID" ]]; then stop_pid "$BENCH_CALLGRIND_PID" 20; fi
}
trap cleanup EXIT

[[ "${SKIP_BUILD:-0}" == 1 ]] || build_release

# perf (Debian linux-perf) for the profile and the instruction count; optional.
if [[ "${PROFILE:-1}" == 1 ]] && ! command -v perf >/dev/null && [[ "$(id -u)" == 0 ]]; then
    (export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && apt-get install -y -qq --no-install-recommends linux-perf) \
        >"$OUT/apt-perf.log" 2>&1 || echo "perf not installable; profile skipped" >&2
fi

if [[ "${SKIP_CROSSBAR:-0}" != 1 && ! -x .venv-bench/bin/crossbar ]]; then
    python3 -m venv .venv-bench
    .venv-bench/bin/pip install -q "crossbar==$CROSSBAR_VERSION"
fi

# row TARGET NAME URL PID MODE ARGS...: one wamp-bench run; a failed row is recorded, not fatal.
row() {
    local target=$1 name=$2 url=$3 pid=$4 mode=$5
    shift 5
    echo "--- $target $name" | tee -a "$OUT/bench.log"
    if ! timeout 300 "$BENCH_BIN_DIR/wamp-bench" "$mode" --url "$url" --router-pid "$pid" \
        --warmup "$WARMUP" --duration "$DURATION" --label "$target $name" \
        --json "$OUT/$target.$name.json" "$@" 2>&1 | tee -a "$OUT/bench.log"; then
        echo "row $target $name reported failures or did not finish" | tee -a "$OUT/bench.log"
        echo "$target $name" >>"$OUT/failed-rows"
    fi
}

wamp_matrix() {
    local target=$1 url=$2 pid=$3
    row "$target" rpc-1x1 "$url" "$pid" rpc --callers 1 --window 1
    row "$target" rpc-8x16 "$url" "$pid" rpc --callers 8 --window 16
    row "$target" rpc-64x16 "$url" "$pid" rpc --callers 64 --window 16
    row "$target" pubsub-max-1 "$url" "$pid" pubsub --subscribers 1
    row "$target" pubsub-max-100 "$url" "$pid" pubsub --subscribers 100
    row "$target" pubsub-max-1000 "$url" "$pid" pubsub --subscribers 1000
    row "$target" pubsub-rate1000-10 "$url" "$pid" pubsub --subscribers 10 --rate 1000
    row "$target" pubsub-rate100-100 "$url" "$pid" pubsub --subscribers 100 --rate 100
    row "$target" pubsub-ack16-10 "$url" "$pid" pubsub --subscribers 10 --ack --window 16
    row "$target" sessions-10000 "$url" "$pid" sessions --sessions 10000 --setup-timeout 120
}

# --- this router (permessage-deflate off, like the Crossbar config below, so both send plain
# frames; the echo endpoint always offers deflate but wamp-bench's 40-byte messages stay below
# the 64-byte compression threshold).
port=$(free_port)
testee=$(free_port)
"$BENCH_BIN_DIR/wamp-router" --host 127.0.0.1 --port "$port" --testee-port "$testee" \
    --no-compression --log-level warning >"$OUT/router.log" 2>&1 &
router_pid=$!
started_pids+=("$router_pid")
wait_port "$port" 20
wait_port "$testee" 5
wamp_matrix router "ws://127.0.0.1:$port/" "$router_pid"
row echo echo-1x1 "ws://127.0.0.1:$testee/" "$router_pid" echo --connections 1 --window 1
row echo echo-8x16 "ws://127.0.0.1:$testee/" "$router_pid" echo --connections 8 --window 16
row echo echo-64x16 "ws://127.0.0.1:$testee/" "$router_pid" echo --connections 64 --window 16

# --- authorization (issue 9): the Basic Profile rows against a router started from a config whose
# anonymous role has 1,000 permissions (bench/make-config.py permissions-1000), next to the rows
# above; bench/authz-compare.sh measures no config, a static role and this one alternately.
authz_port=$(free_port)
python3 bench/make-config.py permissions-1000 --port "$authz_port" --out "$OUT/permissions-1000.json"
"$BENCH_BIN_DIR/wamp-router" --config "$OUT/permissions-1000.json" --no-compression --log-level warning \
    >"$OUT/router-authz1000.log" 2>&1 &
authz_pid=$!
started_pids+=("$authz_pid")
if wait_port "$authz_port" 20 "$authz_pid"; then
    authz_url="ws://127.0.0.1:$authz_port/"
    row router rpc-1x1-authz1000 "$authz_url" "$authz_pid" rpc --callers 1 --window 1
    row router rpc-8x16-authz1000 "$authz_url" "$authz_pid" rpc --callers 8 --window 16
    row router pubsub-max-100-authz1000 "$authz_url" "$authz_pid" pubsub --subscribers 100
    row router pubsub-max-1000-authz1000 "$authz_url" "$authz_pid" pubsub --subscribers 1000
else
    echo "router --config permissions-1000 did not start: $(tail -3 "$OUT/router-authz1000.log")" | tee -a "$OUT/bench.log"
    echo "router authz1000 rows (the router did not start)" >>"$OUT/failed-rows"
fi
stop_pid "$authz_pid" 10

# --- permessage-deflate fan-out (issue 10): the fan-out rows once more with deflate negotiated
# (wamp-bench offers it as browsers do, `permessage-deflate; client_max_window_bits`), against a
# router with compression on: `-deflate` with the default policy (the router answers
# server_no_context_takeover, so each EVENT is compressed once and the frame shared), and
# `-deflate-takeover` with --deflate-context-takeover (every subscriber compresses its own copy).
# The uncompressed rows are the main matrix's, from this run.
for policy in deflate deflate-takeover; do
    deflate_args=()
    [[ "$policy" == deflate-takeover ]] && deflate_args=(--deflate-context-takeover)
    deflate_port=$(free_port)
    "$BENCH_BIN_DIR/wamp-router" --host 127.0.0.1 --port "$deflate_port" "${deflate_args[@]}" --log-level warning \
        >"$OUT/router-$policy.log" 2>&1 &
    deflate_pid=$!
    started_pids+=("$deflate_pid")
    if wait_port "$deflate_port" 20 "$deflate_pid"; then
        row router "pubsub-max-100-$policy" "ws://127.0.0.1:$deflate_port/" "$deflate_pid" pubsub --subscribers 100
        row router "pubsub-max-1000-$policy" "ws://127.0.0.1:$deflate_port/" "$deflate_pid" pubsub --subscribers 1000
    else
        echo "router ($policy) did not start: $(tail -3 "$OUT/router-$policy.log")" | tee -a "$OUT/bench.log"
        echo "router $policy rows (the router did not start)" >>"$OUT/failed-rows"
    fi
    stop_pid "$deflate_pid" 10
done

# --- pattern rows (issue 8): PUBLISH and CALL with 0 / 10,000 / 100,000 non-matching wildcard
# subscriptions or registrations; a fresh router per row (bench/patterns.sh).
bench/patterns.sh "$OUT" router "$BENCH_BIN_DIR/wamp-router" | tee -a "$OUT/bench.log"

# --- serializer and transport rows (issue 10): WebSocket and RawSocket, JSON / MessagePack / CBOR,
# and fan-out to subscribers split across the three, against WebSocket + JSON of the same run, on a
# router of their own with --rawsocket-port (bench/serializers.sh; ROUNDS alternates them).
ROUNDS=${SERIALIZER_ROUNDS:-1} bench/serializers.sh "$OUT" "$BENCH_BIN_DIR/wamp-router" | tee -a "$OUT/bench.log"

# --- profile of the router under rpc 8x16 and pubsub 100 (perf record, software clock).
if [[ "${PROFILE:-1}" == 1 ]] && command -v perf >/dev/null; then
    profile() {
        local name=$1
        shift
        perf record -e cpu-clock -F 999 -g -p "$router_pid" -o "$OUT/perf.$name.data" -- sleep "$DURATION" \
            >"$OUT/perf.$name.log" 2>&1 &
        local perf_pid=$!
        timeout 120 "$BENCH_BIN_DIR/wamp-bench" "$@" --url "ws://127.0.0.1:$port/" --router-pid "$router_pid" \
            --warmup 0 --duration "$DURATION" --label "profile $name" >>"$OUT/perf.$name.log" 2>&1 || true
        wait "$perf_pid" || true
        perf report -i "$OUT/perf.$name.data" --stdio --no-children -g none --sort dso,symbol --percent-limit 0.3 \
            2>/dev/null | grep -E '^ +[0-9]' | head -40 | swift demangle --simplified \
            | sed -E 's/ +- +- *$//; s/^ +//; s/ +$//; s/  +/  /g' >"$OUT/profile.$name.txt" || true
        perf report -i "$OUT/perf.$name.data" --stdio --no-children -g none --sort dso \
            2>/dev/null | grep -E '^ +[0-9]' | head -15 | sed -E 's/^ +//; s/ +$//' >"$OUT/profile.$name.dso.txt" || true
        perf report -i "$OUT/perf.$name.data" --stdio --children -g none --sort symbol \
            --percent-limit 1 2>/dev/null | grep -E '^ +[0-9]' | grep -v '\[k\]' | swift demangle --simplified \
            | sed -E 's/ +- +- *$//; s/^ +//; s/ +$//; s/  +/  /g' \
            | grep -vE 'start_thread|ThreadOpsPosix|setupThreadAndEventLoop|NIOThread|SelectableEventLoop\.run\(\)|__GI___' \
            | head -30 >"$OUT/profile.$name.inclusive.txt" || true
        grep -m1 -o 'Captured.*samples)' "$OUT/perf.$name.log" >"$OUT/profile.$name.samples" || true
        rm -f "$OUT/perf.$name.data"
    }
    profile rpc-8x16 rpc --callers 8 --window 16
    profile pubsub-max-100 pubsub --subscribers 100
fi
stop_pid "$router_pid" 10

# --- regression figure: router instructions per RPC round trip over fixed runs.
# callgrind zeroes its counters at every dump: a warm-up run of 2,000 calls and a dump, then a
# fixed run of 20,000 calls (1 caller, window 1) and a dump: instructions per call = the second
# dump's total / 20,000 (the one session set-up in it costs under 50 instructions per call).
instructions_note="$OUT/instructions.txt"
: >"$instructions_note"
if command -v valgrind >/dev/null; then
    mkdir -p "$OUT/callgrind"
    cg_port=$(free_port)
    if callgrind_rpc_instructions "$OUT/callgrind" "$cg_port" 2000 20000 "$BENCH_BIN_DIR/wamp-router" \
        --host 127.0.0.1 --port "$cg_port" --no-compression --log-level warning; then
        echo "callgrind: $BENCH_CALLGRIND_FIGURE router instructions per RPC round trip" >>"$instructions_note"
    else
        echo "callgrind: $BENCH_CALLGRIND_FIGURE" >>"$instructions_note"
    fi
    # The same with the 1,000-permission role (issue 9): the check is a cached lookup per call.
    cg_port=$(free_port)
    python3 bench/make-config.py permissions-1000 --port "$cg_port" --out "$OUT/callgrind/permissions-1000.json"
    if callgrind_rpc_instructions "$OUT/callgrind" "$cg_port" 2000 20000 "$BENCH_BIN_DIR/wamp-router" \
        --config "$OUT/callgrind/permissions-1000.json" --no-compression --log-level warning; then
        echo "callgrind: $BENCH_CALLGRIND_FIGURE router instructions per RPC round trip with --config permissions-1000" >>"$instructions_note"
    else
        echo "callgrind (--config permissions-1000): $BENCH_CALLGRIND_FIGURE" >>"$instructions_note"
    fi
    rm -f "$OUT/callgrind/cg-router"
else
    echo "callgrind: valgrind not installed" >>"$instructions_note"
fi
# (Captured first: with pipefail, `perf ... | grep -q` fails on grep's early exit.)
perf_probe=$(command -v perf >/dev/null && perf stat -e instructions true 2>&1 || true)
if command -v perf >/dev/null && [[ "$perf_probe" != *"not supported"* ]]; then
    ps_port=$(free_port)
    "$BENCH_BIN_DIR/wamp-router" --host 127.0.0.1 --port "$ps_port" --no-compression --log-level warning \
        >"$OUT/perfstat-router.log" 2>&1 &
    ps_pid=$!
    started_pids+=("$ps_pid")
    wait_port "$ps_port" 20
    count() { # count CALLS -> instructions of the router during one fixed run
        # perf counts the router (-p) for exactly as long as the fixed run (the command) lasts.
        perf stat -x, -e instructions -p "$ps_pid" -o "$OUT/perfstat.$1.csv" -- \
            timeout 300 "$BENCH_BIN_DIR/wamp-bench" rpc --url "ws://127.0.0.1:$ps_port/" --callers 1 --window 1 \
            --calls "$1" --duration 240 --label "perf $1" >>"$OUT/instructions.log" 2>&1 || true
        grep instructions "$OUT/perfstat.$1.csv" | cut -d, -f1 | grep -E '^[0-9]+$' || true
    }
    a=$(count 2000); b=$(count 22000)
    if [[ -n "$a" && -n "$b" ]]; then
        echo "perf stat: $(( (b - a) / 20000 )) router instructions per RPC round trip" >>"$instructions_note"
    else
        echo "perf stat: no instruction count (the event is not counted on this machine)" >>"$instructions_note"
    fi
    stop_pid "$ps_pid" 10
else
    echo "perf stat: the instructions event is <not supported> on this machine (no hardware PMU exposed)" >>"$instructions_note"
fi
cat "$instructions_note"

# --- Crossbar.io: one router worker, realm1, anonymous role allowed everything, JSON over
# WebSocket, no compression configured (so none is negotiated).
if [[ "${SKIP_CROSSBAR:-0}" != 1 ]]; then
    cb_port=$(free_port)
    cb_dir="$OUT/crossbar/.crossbar"
    mkdir -p "$cb_dir"
    cat >"$cb_dir/config.json" <<JSON
{
  "version": 2,
  "controller": {},
  "workers": [
    {
      "type": "router",
      "realms": [
        {
          "name": "realm1",
          "roles": [
            {
              "name": "anonymous",
              "permissions": [
                {
                  "uri": "",
                  "match": "prefix",
                  "allow": {"call": true, "register": true, "publish": true, "subscribe": true},
                  "disclose": {"caller": false, "publisher": false},
                  "cache": true
                }
              ]
            }
          ]
        }
      ],
      "transports": [
        {
          "type": "websocket",
          "endpoint": {"type": "tcp", "interface": "127.0.0.1", "port": $cb_port, "backlog": 4096},
          "serializers": ["json"],
          "options": {"max_message_size": 16777216, "auto_ping_interval": 0},
          "auth": {"anonymous": {"type": "static", "role": "anonymous"}}
        }
      ]
    }
  ]
}
JSON
    (cd "$OUT/crossbar" && exec "$REPO/.venv-bench/bin/crossbar" start --cbdir "$cb_dir" --loglevel warn) \
        >"$OUT/crossbar.log" 2>&1 &
    cb_pid=$!
    started_pids+=("$cb_pid")
    wait_port "$cb_port" 60 "$cb_pid"
    worker_pid=$(pgrep -P "$cb_pid" -f crossbar-worker | head -1 || true)
    [[ -n "$worker_pid" ]] || worker_pid=$(pgrep -P "$cb_pid" | head -1)
    echo "crossbar controller $cb_pid, router worker $worker_pid" >>"$OUT/bench.log"
    wamp_matrix crossbar "ws://127.0.0.1:$cb_port/" "$worker_pid"
    stop_pid "$cb_pid" 20
fi

# --- versions and machine
{
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "kernel: $(uname -sr)"
    echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "swift: $(swift --version 2>&1 | head -1)"
    echo "router: $(git rev-parse --short HEAD) ($(git rev-parse --abbrev-ref HEAD))"
    echo "swift-nio: $(grep -A6 '"identity" : "swift-nio"' Package.resolved 2>/dev/null | grep -m1 '"version"' | sed 's/.*: *"\(.*\)".*/\1/')"
    echo "jansson: $(pkg-config --modversion jansson 2>/dev/null)"
    if [[ -x .venv-bench/bin/python ]]; then
        echo "crossbar: $(.venv-bench/bin/pip show crossbar 2>/dev/null | awk '/^Version/ {print $2}'), $(.venv-bench/bin/python --version 2>&1) ($(.venv-bench/bin/python -c 'import platform; print(platform.python_implementation())'))"
    fi
    echo "load average at start: $(cat "$OUT/loadavg.start")"
    echo "load average at end: $(cat /proc/loadavg)"
    echo "open-file limit: $(cat "$OUT/nofile")"
    echo "warmup/duration per row: ${WARMUP} s / ${DURATION} s"
} >"$OUT/machine.txt"

# The hand-kept sections of the current BENCHMARKS.md are carried over (bench/report.py).
python3 bench/report.py "$OUT" BENCHMARKS.md >"$OUT/BENCHMARKS.md"
cp "$OUT/BENCHMARKS.md" BENCHMARKS.md
echo "wrote BENCHMARKS.md (raw results in $OUT)"
