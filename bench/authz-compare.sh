#!/usr/bin/env bash
# What authorization costs the Basic Profile (issue 9): one router binary in three
# configurations, alternating A B C A B C in one run so that machine noise hits all alike:
#   flags     no --config (the embedded development default: anonymous may do anything)
#   static    --config static-roles     (bench/make-config.py: a handful of permissions)
#   perm1000  --config permissions-1000 (1,000 permissions, the bench allowed by a short prefix)
#   bench/authz-compare.sh BINARY
# Prints the median rate and work per router CPU-second per row and configuration and each
# configuration's ratio to `flags` (bench/compare_table.py), then, where valgrind runs, router
# instructions per RPC round trip of each (callgrind_rpc_instructions in bench/lib.sh: 1,000
# calls warm-up, then 5,000 measured). Every configuration also gets --no-compression and
# --log-level warning on the command line (compare_configurations in bench/lib.sh).
# Environment: ROUNDS (3), CONFIGS ("flags static perm1000"; the first is the baseline of the
# ratios), CALLGRIND (0: no callgrind figures), BENCH_DURATION and BENCH_WARMUP (seconds per row).
# Exit status 1 when a run failed or reported errors/lost (a denied CALL or PUBLISH shows there).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

[[ $# -eq 1 ]] || { echo "usage: $0 ROUTER_BINARY" >&2; exit 2; }
binary=$1
read -r -a names <<<"${CONFIGS:-flags static perm1000}"
bench_workdir authz

# router_args NAME PORT: the command line of configuration NAME listening on 127.0.0.1:PORT
# (writes its config file into $out).
router_args() {
    local name=$1 port=$2
    case $name in
        flags) echo "--host 127.0.0.1 --port $port" ;;
        static) python3 bench/make-config.py static-roles --port "$port" --out "$out/static-roles.json"
                echo "--config $out/static-roles.json" ;;
        perm1000) python3 bench/make-config.py permissions-1000 --port "$port" --out "$out/permissions-1000.json"
                  echo "--config $out/permissions-1000.json" ;;
    esac
}

compare_configurations "$binary" "$out" "${names[@]}"
