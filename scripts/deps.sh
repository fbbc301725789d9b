#!/usr/bin/env bash
# Install the system packages the build (and, with --test, the test suite) needs.
# Does nothing when everything is already there; otherwise runs `apt-get update` once
# and installs only what is missing. Uses sudo only when not root.
#
#   scripts/deps.sh          build deps: libjansson-dev, zlib1g-dev, pkg-config
#   scripts/deps.sh --test   also: valgrind and binutils (leak check), curl (HTTP bridge tests), python3-venv if
#                            venv/ensurepip is missing, chromium (the status page test drives it headless over
#                            the DevTools protocol), nats-server (the NATSClient tests start their own)
set -euo pipefail

want_test=0
for arg in "$@"; do
    case "$arg" in
        --test) want_test=1 ;;
        *) echo "usage: $0 [--test]" >&2; exit 2 ;;
    esac
done

installed() { dpkg -s "$1" >/dev/null 2>&1; }

missing=()
if ! installed libjansson-dev && ! pkg-config --exists jansson 2>/dev/null; then
    missing+=(libjansson-dev)
fi
if ! installed zlib1g-dev && ! pkg-config --exists zlib 2>/dev/null; then
    missing+=(zlib1g-dev)
fi
if ! command -v pkg-config >/dev/null 2>&1; then
    missing+=(pkg-config)
fi
if [ "$want_test" = 1 ]; then
    command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
    command -v objcopy >/dev/null 2>&1 || missing+=(binutils)
    command -v curl >/dev/null 2>&1 || missing+=(curl)  # the HTTP bridge tests
    if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
        missing+=(python3-venv)
    fi
    if ! command -v chromium >/dev/null 2>&1 && ! installed chromium; then
        missing+=(chromium)
    fi
    # The NATSClient tests; Debian puts it in /usr/sbin, which a user's PATH may lack.
    if ! command -v nats-server >/dev/null 2>&1 && ! installed nats-server; then
        missing+=(nats-server)
    fi
fi

if [ "${#missing[@]}" -eq 0 ]; then
    echo "deps: all present"
    exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update
"${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
