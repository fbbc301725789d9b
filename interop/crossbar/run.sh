#!/usr/bin/env bash
# The issue 9 interop tests (interop/wamp/test_auth_*.py) against Crossbar.io instead of this
# router: the fixtures start `crossbar start --cbdir DIR` on the very same example configs
# (interop/configs), so that "means the same as in Crossbar" is measured. Where the two differ
# on purpose, the tests expect each router's own answer (interop/crossbar/DIFFERENCES.md).
#
# Crossbar comes from PyPI into .venv-crossbar, created only when neither it nor bench/run.sh's
# .venv-bench has crossbar (about 4 minutes on a 2-core machine). The test clients use the
# interop venv (.venv, scripts/venv.sh). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/../.."

# The version bench/run.sh measures, so both use one Crossbar.
CROSSBAR_VERSION=$(sed -n 's/^CROSSBAR_VERSION=//p' bench/run.sh)
[[ -n "$CROSSBAR_VERSION" ]] || { echo "CROSSBAR_VERSION not found in bench/run.sh" >&2; exit 1; }

if [[ -z "${CROSSBAR_BIN:-}" ]]; then
    for venv in .venv-crossbar .venv-bench; do
        if [[ -x "$venv/bin/crossbar" ]]; then
            CROSSBAR_BIN="$PWD/$venv/bin/crossbar"
            break
        fi
    done
fi
if [[ -z "${CROSSBAR_BIN:-}" ]]; then
    echo "crossbar: installing crossbar==$CROSSBAR_VERSION into .venv-crossbar"
    python3 -m venv .venv-crossbar
    .venv-crossbar/bin/pip install -q --disable-pip-version-check "crossbar==$CROSSBAR_VERSION"
    CROSSBAR_BIN="$PWD/.venv-crossbar/bin/crossbar"
fi
have=$("$(dirname "$CROSSBAR_BIN")/python" -c 'from importlib.metadata import version; print(version("crossbar"))')
[[ "$have" == "$CROSSBAR_VERSION" ]] || echo "crossbar: note: $CROSSBAR_BIN is $have, bench/run.sh pins $CROSSBAR_VERSION" >&2

VENV="${VENV:-.venv}" scripts/venv.sh
mkdir -p interop/reports
export ROUTER_IMPL=crossbar CROSSBAR_BIN
exec "${VENV:-.venv}/bin/python" -m pytest interop/wamp/test_auth_*.py -q -rfE \
    --junitxml=interop/reports/junit-crossbar.xml "$@"
