#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/Sources) with libFuzzer + AddressSanitizer/LeakSanitizer and
# runs each for FUZZ_SECONDS on a fresh, writable copy of its seed corpus (fuzz/corpus/<target>;
# the committed corpus never grows by itself). Exits non-zero on any crash, trap, leak, timeout
# or out-of-memory, after printing the target, the reproducer file and the end of its log.
#
#   FUZZ_SECONDS=60        seconds per target (libFuzzer -max_total_time)
#   FUZZ_TARGETS="A B"     a subset of the targets (default: all of them)
#   FUZZ_WORK=dir          corpus copies, reproducers and logs (default .build-fuzz/work)
#   SKIP_BUILD=1           run what is already built
#   FUZZ_CONFIG=release    build configuration; `make fuzz-smoke` (part of `make test`) uses debug,
#                          which builds faster (the smoke: 338 s against 469 s in release) and runs fast enough for seconds per target
#
# Reproduce a finding: .build-fuzz/$FUZZ_CONFIG/<target> <reproducer file>
#
# Swift's toolchain ships libFuzzer and the sanitizer runtimes (usr/lib/clang/*/lib/linux) and
# llvm-symbolizer; nothing beyond scripts/deps.sh and Swift is needed.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS="${FUZZ_SECONDS:-60}"
FUZZ_TARGETS="${FUZZ_TARGETS:-FuzzMessageDecoder FuzzMsgpackDecoder FuzzCBORDecoder FuzzWebSocketFrames FuzzPerMessageDeflate FuzzUpgradeNegotiation FuzzOriginPolicy FuzzAuthentication FuzzRawSocketFramer FuzzHTTPBridgeRequest FuzzAdminCredentials FuzzNATSParser FuzzClusterEventCodec FuzzClusterTestamentCodec}"
SCRATCH=.build-fuzz
FUZZ_CONFIG="${FUZZ_CONFIG:-release}"
FUZZ_WORK="${FUZZ_WORK:-$SCRATCH/work}"
SWIFT="${SWIFT:-swift}"

if [ "${SKIP_BUILD:-0}" != 1 ]; then
    for target in $FUZZ_TARGETS; do
        echo "fuzz: building $target"
        # WAMP_FUZZ=1 makes Package.swift declare the fuzz targets. `--sanitize fuzzer` makes
        # SwiftPM link without its own entry point (libFuzzer has the main); the combined
        # -sanitize=fuzzer,address goes through -Xswiftc because two --sanitize options reach
        # swift-frontend as two -sanitize flags of which only the last one takes effect.
        WAMP_FUZZ=1 "$SWIFT" build -c "$FUZZ_CONFIG" --product "$target" --scratch-path "$SCRATCH" \
            --sanitize fuzzer -Xswiftc -sanitize=fuzzer,address 2>&1 \
            | grep -v "Cannot export local symbol '__asan" || true
        test -x "$SCRATCH/$FUZZ_CONFIG/$target" || { echo "fuzz: building $target failed" >&2; exit 1; }
    done
fi

failed=()
for target in $FUZZ_TARGETS; do
    work="$FUZZ_WORK/$target"
    rm -rf "$work"
    mkdir -p "$work/corpus" "$work/artifacts"
    cp fuzz/corpus/"$target"/* "$work/corpus/"
    dict=()
    [ -f "fuzz/dict/$target.dict" ] && dict=("-dict=fuzz/dict/$target.dict")
    echo "fuzz: $target for ${FUZZ_SECONDS}s ($(ls "$work/corpus" | wc -l) seeds)"
    set +e
    # Swift's own crash backtracer fights ASan's signal handling; libFuzzer reports instead.
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}" \
        "$SCRATCH/$FUZZ_CONFIG/$target" "$work/corpus" "${dict[@]}" \
        -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/artifacts/" >"$work/log.txt" 2>&1
    rc=$?
    set -e
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log.txt" | tail -1)
    if [ "$rc" -ne 0 ]; then
        reproducer=$(ls -t "$work"/artifacts/* 2>/dev/null | head -1 || true)
        echo "fuzz: FAILED $target (exit $rc) after ${executions:-?} executions" >&2
        echo "fuzz:   reproducer: ${reproducer:-none written}" >&2
        echo "fuzz:   what failed:" >&2
        grep -m 8 -E "Fatal error|ERROR:|SUMMARY:|ALARM:|out-of-memory|Direct leak" "$work/log.txt" | sed 's/^/    /' >&2 || true
        echo "fuzz:   log: $work/log.txt; last lines:" >&2
        grep -v "^#[0-9].*\(NEW\|REDUCE\|pulse\)" "$work/log.txt" | tail -40 | sed 's/^/    /' >&2
        failed+=("$target")
    else
        echo "fuzz: ok $target: $executions executions, corpus $(ls "$work/corpus" | wc -l) files"
    fi
done

if [ "${#failed[@]}" -ne 0 ]; then
    echo "fuzz: failed: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: all targets passed"
