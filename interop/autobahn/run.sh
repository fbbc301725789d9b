#!/usr/bin/env bash
# Runs the Autobahn TestSuite (kosoku fuzzingclient) against the router's testee endpoint.
#
#   interop/autobahn/run.sh [ROUTER_BINARY] [VENV_PYTHON]
#
# ROUTER_BINARY defaults to .build/release/wamp-router, VENV_PYTHON to .venv/bin/python (created
# with `python3 -m venv .venv` and `pip install kosoku` when missing). The router is started as
#   ROUTER --port P1 --testee-port P2
# on free loopback ports; set ROUTER_CMD to start something else instead (it gets
# "--port P1 --testee-port P2" appended), e.g. ROUTER_CMD=.build/release/WebSocketTestee.
# Extra kosoku arguments (e.g. "-i 9.*") can be passed in KOSOKU_ARGS. Cases run two at a time
# (kosoku -p, KOSOKU_PARALLELISM=2): the 12.x/13.x compression cases are CPU bound on both sides
# and one at a time the whole suite takes about 5.5 minutes on 2 cores.
# Reports go to interop/autobahn/reports/<timestamp>/ (gitignored).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cd "$ROOT"

ROUTER="${1:-.build/release/wamp-router}"
PYTHON="${2:-.venv/bin/python}"

if [[ ! -x "$PYTHON" ]]; then
    echo "creating venv for $PYTHON"
    VENV_DIR="$(dirname "$(dirname "$PYTHON")")"
    python3 -m venv "$VENV_DIR"
fi
if ! "$PYTHON" -c "import kosoku" 2>/dev/null; then
    "$PYTHON" -m pip install --quiet kosoku
fi
KOSOKU="$(dirname "$PYTHON")/kosoku"

free_port() {
    "$PYTHON" - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}
P1="$(free_port)"
P2="$(free_port)"
while [[ "$P2" == "$P1" ]]; do P2="$(free_port)"; done

if [[ -n "${ROUTER_CMD:-}" ]]; then
    read -r -a CMD <<<"$ROUTER_CMD"
else
    [[ -x "$ROUTER" ]] || { echo "router binary $ROUTER not found (build with swift build -c release)" >&2; exit 2; }
    CMD=("$ROUTER")
fi

OUTDIR="$HERE/reports/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$OUTDIR"
LOG="$OUTDIR/router.log"

"${CMD[@]}" --port "$P1" --testee-port "$P2" >"$LOG" 2>&1 &
ROUTER_PID=$!
cleanup() {
    if kill -0 "$ROUTER_PID" 2>/dev/null; then
        kill "$ROUTER_PID" 2>/dev/null || true
        wait "$ROUTER_PID" 2>/dev/null || true
    fi
}
trap cleanup EXIT INT TERM

# Wait for the testee port.
for _ in $(seq 1 100); do
    if "$PYTHON" -c "import socket,sys; s=socket.socket(); s.settimeout(0.2); sys.exit(s.connect_ex(('127.0.0.1', $P2)))" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$ROUTER_PID" 2>/dev/null; then
        echo "router exited early; log:" >&2
        cat "$LOG" >&2
        exit 2
    fi
    sleep 0.1
done

echo "testee on 127.0.0.1:$P2 (router pid $ROUTER_PID), reports in $OUTDIR"
START=$(date +%s)
# kosoku's own exit status is not used: summarize.py decides from index.json.
# shellcheck disable=SC2086
"$KOSOKU" -m fuzzingclient -p "${KOSOKU_PARALLELISM:-2}" -o "$OUTDIR" ${KOSOKU_ARGS:-} "127.0.0.1:$P2" >"$OUTDIR/kosoku.log" 2>&1 || true
END=$(date +%s)
echo "kosoku run took $((END - START)) s"

MIN_CASES=517
if [[ -n "${KOSOKU_ARGS:-}" ]]; then MIN_CASES=1; fi
"$PYTHON" "$HERE/summarize.py" "$OUTDIR" "$MIN_CASES"
