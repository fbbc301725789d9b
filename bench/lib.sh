# Shared helpers of bench/run.sh and bench/smoke.sh (sourced, not run).
# Everything here listens on and targets 127.0.0.1 only.

BENCH_BIN_DIR=${BENCH_BIN_DIR:-$PWD/.build/release}

# A TCP port that is free on 127.0.0.1 right now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# wait_port PORT SECONDS [PID]: until something accepts on 127.0.0.1:PORT (bounded; gives up
# early when PID is given and has exited).
wait_port() {
    local port=$1 limit=$2 pid=${3:-} i
    for ((i = 0; i < limit * 10; i++)); do
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
        if [[ -n "$pid" ]] && ! kill -0 "$pid" 2>/dev/null; then
            echo "process $pid exited before listening on $port" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "nothing listens on 127.0.0.1:$port after ${limit}s" >&2
    return 1
}

# stop_pid PID [SECONDS]: SIGTERM, wait (bounded), then SIGKILL. Only for PIDs this script started.
stop_pid() {
    local pid=$1 limit=${2:-10} i
    kill -TERM "$pid" 2>/dev/null || return 0
    for ((i = 0; i < limit * 10; i++)); do
        kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null || true; return 0; }
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# bench_workdir NAME: a fresh temporary folder in $out, and an EXIT trap that stops the router
# in $router_pid and the callgrind router in $BENCH_CALLGRIND_PID (when set) and removes $out.
bench_workdir() {
    out=$(mktemp -d "/tmp/wamp-bench-$1.XXXXXX")
    router_pid=
    BENCH_CALLGRIND_PID=
    trap bench_cleanup EXIT
}

bench_cleanup() {
    if [[ -n "$router_pid" ]]; then stop_pid "$router_pid" 10; fi
    if [[ -n "$BENCH_CALLGRIND_PID" ]]; then stop_pid "$BENCH_CALLGRIND_PID" 20; fi
    rm -rf "$out"
}

build_release() {
    swift build -c release --product wamp-router
    swift build -c release --product wamp-bench
}

# callgrind_rpc_instructions WORK PORT WARM CALLS BINARY ARGS...: router instructions per RPC round
# trip (wamp-bench rpc, 1 caller, window 1) of BINARY started with ARGS, which must make it listen
# on 127.0.0.1:PORT. Under callgrind (a `strip --strip-debug` copy: valgrind 3.19 cannot read the
# DWARF 5 debug info; the leak check's sigsuspend shim preloaded, which keeps it alive in
# dispatch_main()): WARM calls and a dump, then CALLS calls and a dump. callgrind zeroes its
# counters at each dump, so the figure is the second dump's total / CALLS. Sets
# BENCH_CALLGRIND_FIGURE to the figure, or to why there is none and returns 1. WORK keeps the logs
# (callgrind.log, callgrind-runs.log). While the router runs its PID is in BENCH_CALLGRIND_PID,
# for the caller's EXIT trap (so call it directly, not in a command substitution).
# BENCH_CALLGRIND_CLIENT, when set, replaces wamp-bench's `--url ws://127.0.0.1:PORT/` (e.g.
# `--transport rawsocket --url tcp://127.0.0.1:RSPORT --serializer msgpack`; split on spaces).
callgrind_rpc_instructions() {
    local work=$1 port=$2 warm=$3 calls=$4 binary=$5 pid ok=1 n
    shift 5
    BENCH_CALLGRIND_FIGURE="n/a (valgrind or cc not installed)"
    if ! command -v valgrind >/dev/null || ! command -v callgrind_control >/dev/null || ! command -v cc >/dev/null; then
        return 1
    fi
    cp "$binary" "$work/cg-router" && strip --strip-debug "$work/cg-router"
    [[ -f "$work/sigsuspend_shim.so" ]] ||
        cc -shared -fPIC -O2 -o "$work/sigsuspend_shim.so" interop/leakcheck/sigsuspend_shim.c -ldl
    rm -f "$work"/cg.out.*
    SWIFT_BACKTRACE=enable=no LD_PRELOAD="$work/sigsuspend_shim.so" valgrind --tool=callgrind \
        --callgrind-out-file="$work/cg.out.%p" "$work/cg-router" "$@" >"$work/callgrind.log" 2>&1 &
    pid=$!
    BENCH_CALLGRIND_PID=$pid
    if wait_port "$port" 60 "$pid" 2>>"$work/callgrind.log"; then
        for n in "$warm" "$calls"; do
            # shellcheck disable=SC2086
            if ! timeout 600 "$BENCH_BIN_DIR/wamp-bench" rpc ${BENCH_CALLGRIND_CLIENT:---url ws://127.0.0.1:$port/} --callers 1 --window 1 \
                --calls "$n" --duration 500 --label "callgrind $n" >>"$work/callgrind-runs.log" 2>&1 \
                || ! callgrind_control -d "$pid" >/dev/null 2>&1; then
                ok=0; break
            fi
        done
    else
        ok=0
    fi
    stop_pid "$pid" 20
    BENCH_CALLGRIND_PID=
    if [[ $ok == 0 ]]; then
        local why
        why=$(grep -h -m1 -E 'INTERNAL ERROR|impossible|error|exited' "$work/callgrind.log" "$work/callgrind-runs.log" \
            2>/dev/null | head -1 || true)
        BENCH_CALLGRIND_FIGURE="n/a (valgrind $(valgrind --version | sed 's/valgrind-//'), stripped release binary: ${why:-no figure})"
        return 1
    fi
    BENCH_CALLGRIND_FIGURE=$(python3 - "$work" "$calls" <<'PY'
import glob, sys
dumps = sorted(glob.glob(sys.argv[1] + "/cg.out.*.[0-9]*"), key=lambda p: int(p.rsplit(".", 1)[1]))
totals = []
for d in dumps:
    for line in open(d, errors="replace"):
        if line.startswith(("summary:", "totals:")):
            totals.append(int(line.split()[1]))
            break
print(f"{totals[-1] / int(sys.argv[2]):.0f}" if len(totals) >= 2 else "n/a (callgrind dumps not found)")
PY
)
    [[ $BENCH_CALLGRIND_FIGURE != n/a* ]]
}

# basic_profile_rows OUT WHICH ROUND PORT PID: the Basic Profile rows of bench/compare.sh,
# bench/authz-compare.sh and bench/metrics-compare.sh (rpc 1x1 and 8x16, pubsub at max rate to
# 100 and 1,000 subscribers, BENCH_WARMUP s warm-up (1), BENCH_DURATION s measured (4); shorter
# only to check that a script runs) against the router on 127.0.0.1:PORT, each into
# OUT/WHICH-ROW-ROUND.json (bench/compare_table.py reads them). A row that reports errors or does
# not finish is noted in OUT/failed-runs and the rows go on.
basic_profile_rows() {
    local out=$1 which=$2 round=$3 port=$4 pid=$5 row name
    local rows=("rpc-1x1:rpc --callers 1 --window 1" "rpc-8x16:rpc --callers 8 --window 16"
                "pubsub-100:pubsub --subscribers 100" "pubsub-1000:pubsub --subscribers 1000")
    for row in "${rows[@]}"; do
        name=${row%%:*}
        # shellcheck disable=SC2086
        if ! timeout 120 "$BENCH_BIN_DIR/wamp-bench" ${row#*:} --url "ws://127.0.0.1:$port/" --warmup "${BENCH_WARMUP:-1}" \
            --duration "${BENCH_DURATION:-4}" \
            --router-pid "$pid" --label "$which $name $round" --json "$out/$which-$name-$round.json" \
            >"$out/$which-$name-$round.txt" 2>&1; then
            echo "$which $name round $round: failed or did not finish ($(tail -1 "$out/$which-$name-$round.txt"))" \
                | tee -a "$out/failed-runs" >&2
        fi
    done
}

# callgrind_pubsub_instructions WORK PORT SUBSCRIBERS PUBLICATIONS BINARY ARGS...: router
# instructions per delivered EVENT of BINARY (started with ARGS, listening on 127.0.0.1:PORT) under
# callgrind, like callgrind_rpc_instructions: wamp-bench pubsub with SUBSCRIBERS subscribers,
# acknowledged publications one at a time (--ack --window 1, so each publication's fan-out and
# flushes happen alike in every run), fixed work (--publications). Three runs, a dump after each:
# a warm-up of 20 publications, one of 0 (session set-up and teardown only) and one of
# PUBLICATIONS; the figure is (third - second) / (PUBLICATIONS x SUBSCRIBERS). Client options as
# BENCH_CALLGRIND_CLIENT there. Sets BENCH_CALLGRIND_FIGURE; returns 1 without a figure.
callgrind_pubsub_instructions() {
    local work=$1 port=$2 subscribers=$3 publications=$4 binary=$5 pid ok=1 n
    shift 5
    BENCH_CALLGRIND_FIGURE="n/a (valgrind or cc not installed)"
    if ! command -v valgrind >/dev/null || ! command -v callgrind_control >/dev/null || ! command -v cc >/dev/null; then
        return 1
    fi
    cp "$binary" "$work/cg-router" && strip --strip-debug "$work/cg-router"
    [[ -f "$work/sigsuspend_shim.so" ]] ||
        cc -shared -fPIC -O2 -o "$work/sigsuspend_shim.so" interop/leakcheck/sigsuspend_shim.c -ldl
    rm -f "$work"/cg.out.*
    SWIFT_BACKTRACE=enable=no LD_PRELOAD="$work/sigsuspend_shim.so" valgrind --tool=callgrind \
        --callgrind-out-file="$work/cg.out.%p" "$work/cg-router" "$@" >"$work/callgrind.log" 2>&1 &
    pid=$!
    BENCH_CALLGRIND_PID=$pid
    if wait_port "$port" 60 "$pid" 2>>"$work/callgrind.log"; then
        for n in 20 0 "$publications"; do
            # shellcheck disable=SC2086
            if ! timeout 600 "$BENCH_BIN_DIR/wamp-bench" pubsub ${BENCH_CALLGRIND_CLIENT:---url ws://127.0.0.1:$port/} \
                --subscribers "$subscribers" --ack --window 1 --publications "$n" --duration 500 --setup-timeout 120 \
                --label "callgrind pubsub $n" >>"$work/callgrind-runs.log" 2>&1 \
                || ! callgrind_control -d "$pid" >/dev/null 2>&1; then
                ok=0; break
            fi
        done
    else
        ok=0
    fi
    stop_pid "$pid" 20
    BENCH_CALLGRIND_PID=
    if [[ $ok == 0 ]]; then
        BENCH_CALLGRIND_FIGURE="n/a (callgrind run failed: $(grep -h -m1 -E 'error' "$work/callgrind-runs.log" 2>/dev/null | head -1 || true))"
        return 1
    fi
    BENCH_CALLGRIND_FIGURE=$(python3 - "$work" "$((publications * subscribers))" <<'PY'
import glob, sys
dumps = sorted(glob.glob(sys.argv[1] + "/cg.out.*.[0-9]*"), key=lambda p: int(p.rsplit(".", 1)[1]))
totals = []
for d in dumps:
    for line in open(d, errors="replace"):
        if line.startswith(("summary:", "totals:")):
            totals.append(int(line.split()[1]))
            break
print(f"{(totals[2] - totals[1]) / int(sys.argv[2]):.0f}" if len(totals) >= 3 else "n/a (callgrind dumps not found)")
PY
)
    [[ $BENCH_CALLGRIND_FIGURE != n/a* ]]
}

# compare_configurations BINARY OUT NAME...: one router binary in several configurations,
# alternating A B C A B C for ROUNDS rounds (3) so that machine noise hits all alike, the Basic
# Profile rows against each (basic_profile_rows), the median table with every configuration's
# ratio to the first (bench/compare_table.py), then, where valgrind runs and CALLGRIND is not 0,
# router instructions per RPC round trip of each (callgrind_rpc_instructions: 1,000 calls
# warm-up, 5,000 measured). The calling script defines `router_args NAME PORT`, which prints
# the command line of configuration NAME (no '-' in it) listening on 127.0.0.1:PORT; every
# configuration also gets --no-compression and --log-level warning. Its caller's EXIT trap
# stops `router_pid` and BENCH_CALLGRIND_PID. Returns 1 when a run failed or reported
# errors/lost.
compare_configurations() {
    local binary=$1 out=$2 round name port
    shift 2
    local names=("$@") args figures=()
    echo "load average at start: $(cat /proc/loadavg)"
    for ((round = 1; round <= ${ROUNDS:-3}; round++)); do
        for name in "${names[@]}"; do
            port=$(free_port)
            read -r -a args <<<"$(router_args "$name" "$port")"
            "$binary" "${args[@]}" --no-compression --log-level warning >"$out/router-$name.log" 2>&1 &
            router_pid=$!
            if ! wait_port "$port" 20 "$router_pid"; then
                echo "router ($name) did not start:"; cat "$out/router-$name.log"; return 1
            fi
            basic_profile_rows "$out" "$name" "$round" "$port" "$router_pid"
            stop_pid "$router_pid" 10
            router_pid=
        done
    done
    echo "load average at end of the rate runs: $(cat /proc/loadavg)"
    python3 bench/compare_table.py "$out" "${names[@]}" | tee "$out/table.txt"

    if [[ ${CALLGRIND:-1} != 0 ]] && command -v valgrind >/dev/null && command -v cc >/dev/null; then
        for name in "${names[@]}"; do
            port=$(free_port)
            read -r -a args <<<"$(router_args "$name" "$port")"
            callgrind_rpc_instructions "$out" "$port" 1000 5000 "$binary" "${args[@]}" \
                --no-compression --log-level warning || true
            figures+=("$name $BENCH_CALLGRIND_FIGURE")
        done
        echo "router instructions per RPC round trip (callgrind, 1x1): $(IFS=,; echo "${figures[*]}" | sed 's/,/, /g')"
    fi
    if [[ -s "$out/failed-runs" ]] || grep -q 'NON-ZERO' "$out/table.txt"; then
        echo "some runs failed or reported errors (see above)"
        return 1
    fi
}
