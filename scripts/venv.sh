#!/usr/bin/env bash
# Create the Python virtualenv (default .venv) for the interop tests if it is missing, and
# `pip install -r interop/requirements.txt` only when a pinned requirement is not installed
# at its pinned version.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${VENV:-.venv}"
REQ="interop/requirements.txt"

if [ ! -x "$VENV/bin/python" ]; then
    echo "venv: creating $VENV"
    python3 -m venv "$VENV"
fi

# Exit 0 when every `name==version` line of the requirements file is satisfied.
check='
import re, sys
from importlib.metadata import version, PackageNotFoundError
bad = []
for line in open(sys.argv[1]):
    line = line.split("#", 1)[0].strip()
    if not line:
        continue
    m = re.match(r"^([A-Za-z0-9_.-]+)(\[[^\]]*\])?==([^\s;]+)$", line)
    if not m:
        bad.append(line + " (unpinned)")
        continue
    name, _, want = m.groups()
    try:
        have = version(name)
    except PackageNotFoundError:
        have = None
    if have != want:
        bad.append(f"{name}=={want} (have {have})")
if bad:
    print("venv: missing: " + ", ".join(bad))
    sys.exit(1)
'
if "$VENV/bin/python" -c "$check" "$REQ"; then
    echo "venv: requirements satisfied"
else
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$REQ"
    "$VENV/bin/python" -c "$check" "$REQ"
fi
