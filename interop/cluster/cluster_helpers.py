"""Helpers for the cluster interop tests (issue 12, docs/cluster.md): one `nats-server -js` and
three `wamp-router` processes sharing realm1 through it, all on loopback.

The routers come from interop/conftest.py's `start_router` (same binary, logs in
interop/reports); the NATS server's log is interop/reports/nats-server.log.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from conftest import REPORTS_DIR, _accepts, free_port, start_router, stop_and_check  # noqa: E402


def nats_server_bin() -> str:
    for candidate in (shutil.which("nats-server"), "/usr/sbin/nats-server", "/usr/local/bin/nats-server"):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail("nats-server not found: run scripts/deps.sh --test", pytrace=False)


class NATSServer:
    def __init__(self):
        self.port = free_port()
        self.monitor_port = free_port()
        self.store = tempfile.mkdtemp(prefix="nats-interop-")
        REPORTS_DIR.mkdir(parents=True, exist_ok=True)
        self.log = open(REPORTS_DIR / "nats-server.log", "w")
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            [nats_server_bin(), "-js", "-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor_port),
             "-sd", self.store],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not _accepts("127.0.0.1", self.port, None):
            time.sleep(0.05)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def connz(self) -> dict:
        import json
        import urllib.request
        with urllib.request.urlopen(f"http://127.0.0.1:{self.monitor_port}/connz?subs=1", timeout=2) as response:
            return json.loads(response.read())

    def kill(self):
        """SIGKILL, the server's loss as the routers see it; `start()` brings it back on its port."""
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()
        shutil.rmtree(self.store, ignore_errors=True)


def start_node(nats: NATSServer, name: str):
    admin_port = free_port()
    router = start_router(f"cluster-{name}", realms=("realm1",), extra_args=[
        "--cluster-nats", nats.url, "--node-name", name, "--cluster-node-timeout", "2",
        "--admin-port", str(admin_port)])
    router.admin_port = admin_port
    return router


def start_cluster():
    nats = NATSServer()
    return nats, [start_node(nats, f"n{index}") for index in (1, 2, 3)]


def stop_cluster(nats: NATSServer, nodes) -> None:
    try:
        for node in nodes:
            if node.alive():
                stop_and_check(node)
    finally:
        nats.stop()
