#!/usr/bin/env bash
# Leak check: run the router under valgrind (from interop/leakcheck/config.json: realm1 open to
# anonymous peers, plus ticket, WAMP-CRA, cryptosign users and a dynamic authorizer role, so the
# authentication and authorization paths run too), drive a short scenario (drive.py), SIGTERM it, and
# fail if valgrind reports definitely-lost bytes, any error (exit code 99), or the router does not
# exit 0.
#
#   LEAK_BIN   router binary (default .build/release/wamp-router; .build/debug/wamp-router works too)
#   VENV       Python virtualenv with websockets (default .venv)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

BIN="${LEAK_BIN:-.build/release/wamp-router}"
PY="${VENV:-.venv}/bin/python"
OUT=interop/leakcheck/reports
mkdir -p "$OUT"
VG_LOG="$OUT/valgrind.log"
ROUTER_LOG="$OUT/router.log"
START_TIMEOUT=120

[ -x "$BIN" ] || { echo "leakcheck: $BIN not built" >&2; exit 1; }
command -v valgrind >/dev/null || { echo "leakcheck: valgrind missing (scripts/deps.sh --test installs it)" >&2; exit 1; }

# valgrind 3.19 cannot read the DWARF 5 debug info the Swift toolchain emits ("Possibly
# corrupted debuginfo file ... Giving up"): run a copy without debug info (symbols stay, so
# stacks still name functions). And it crashes on dispatch_main()'s sigsuspend unless the
# mask is writable: sigsuspend_shim.c, preloaded into the router only.
RUN_BIN="$OUT/wamp-router.nodebug"
objcopy --strip-debug "$BIN" "$RUN_BIN"
CC_BIN="$(command -v cc || command -v gcc || command -v clang)" || { echo "leakcheck: no C compiler" >&2; exit 1; }
SHIM="$OUT/sigsuspend_shim.so"
"$CC_BIN" -shared -fPIC -O2 -o "$SHIM" interop/leakcheck/sigsuspend_shim.c -ldl

PORT=$("$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
echo "leakcheck: $BIN under valgrind on 127.0.0.1:$PORT"
t0=$(date +%s)

SWIFT_BACKTRACE=enable=no LD_PRELOAD="$SHIM" \
valgrind --leak-check=full --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --error-exitcode=99 --num-callers=30 --log-file="$VG_LOG" \
    --suppressions=interop/leakcheck/valgrind.supp \
    "$RUN_BIN" --config interop/leakcheck/config.json --host 127.0.0.1 --port "$PORT" --auth-failure-delay 0 \
    --log-level notice >"$ROUTER_LOG" 2>&1 &
PID=$!

cleanup() {
    if kill -0 "$PID" 2>/dev/null; then kill -KILL "$PID" 2>/dev/null || true; fi
}
trap cleanup EXIT

fail() {
    echo "leakcheck: FAILED: $*" >&2
    echo "--- $ROUTER_LOG (tail)" >&2; tail -n 40 "$ROUTER_LOG" >&2 || true
    echo "--- $VG_LOG (tail)" >&2; tail -n 60 "$VG_LOG" >&2 || true
    exit 1
}

# wait until the port accepts TCP
ready=0
for _ in $(seq 1 $((START_TIMEOUT * 4))); do
    if ! kill -0 "$PID" 2>/dev/null; then break; fi
    if "$PY" -c "import socket,sys; s=socket.socket(); s.settimeout(0.5); sys.exit(s.connect_ex(('127.0.0.1', $PORT)))" 2>/dev/null; then
        ready=1; break
    fi
    sleep 0.25
done
if [ "$ready" != 1 ]; then
    kill -0 "$PID" 2>/dev/null || fail "router under valgrind exited before listening"
    fail "router did not start listening within ${START_TIMEOUT} s"
fi

# The driver sends SIGTERM itself at the end, while two sessions are still attached.
if ! timeout 150 "$PY" interop/leakcheck/drive.py "ws://127.0.0.1:$PORT/" "$PID"; then
    kill -TERM "$PID" 2>/dev/null || true
    fail "scenario failed against the router"
fi

rc=0
for _ in $(seq 1 120); do
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.5
done
if kill -0 "$PID" 2>/dev/null; then
    fail "router still running 60 s after SIGTERM"
fi
wait "$PID" || rc=$?
trap - EXIT

echo "leakcheck: router exited with $rc after $(( $(date +%s) - t0 )) s"
grep -E "definitely lost:|indirectly lost:|possibly lost:|ERROR SUMMARY:|All heap blocks were freed" "$VG_LOG" | sed 's/^==[0-9]*== */leakcheck: /'

if grep -Eq "definitely lost: [1-9]" "$VG_LOG"; then
    fail "valgrind reports definitely lost bytes (see $VG_LOG)"
fi
[ "$rc" -ne 99 ] || fail "valgrind reported errors (exit code 99; see $VG_LOG)"
[ "$rc" -eq 0 ] || fail "router exited with code $rc"
grep -q "ERROR SUMMARY:" "$VG_LOG" || fail "no valgrind summary in $VG_LOG"
echo "leakcheck: passed (no definitely lost bytes)"
