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

build_release() {
    swift build -c release --product wamp-router
    swift build -c release --product wamp-bench
}
