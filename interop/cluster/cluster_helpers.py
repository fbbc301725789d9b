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
    """`extra_args`: e.g. the name, cluster and routes of one server of a NATS cluster."""

    def __init__(self, extra_args=(), log_name: str = "nats-server", port: int | None = None):
        self.port = port or free_port()
        self.monitor_port = free_port()
        self.extra_args = list(extra_args)
        self.store = tempfile.mkdtemp(prefix="nats-interop-")
        REPORTS_DIR.mkdir(parents=True, exist_ok=True)
        self.log = open(REPORTS_DIR / f"{log_name}.log", "w")
        self.start()

    def start(self):
        self.proc = subprocess.Popen(
            [nats_server_bin(), "-js", "-a", "127.0.0.1", "-p", str(self.port), "-m", str(self.monitor_port),
             "-sd", self.store] + self.extra_args,
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


class NATSCluster:
    """Three nats-servers joined by routes into one NATS cluster with clustered JetStream
    (servers s1...s3, cluster `wamp-interop`)."""

    def __init__(self):
        ports = [free_port() for _ in range(3)]
        route_ports = [free_port() for _ in range(3)]
        routes = ",".join(f"nats://127.0.0.1:{port}" for port in route_ports)
        self.servers = [NATSServer(["-n", f"s{index + 1}", "--cluster_name", "wamp-interop",
                                    "--cluster", f"nats://127.0.0.1:{route_ports[index]}", "--routes", routes],
                                   log_name=f"nats-server-s{index + 1}", port=ports[index])
                        for index in range(3)]

    def urls_from(self, first: int) -> list[str]:
        """Every server's URL, starting with server `first` (0-based): a node's preference."""
        return [self.servers[(first + offset) % 3].url for offset in range(3)]

    def stop(self):
        for server in self.servers:
            if server.proc.poll() is None:
                server.stop()
            else:
                server.log.close()
                shutil.rmtree(server.store, ignore_errors=True)


def start_node(nats, name: str, extra_args=()):
    """A router node on `nats`: a NATSServer, or a list of NATS URLs (tried in that order)."""
    urls = [nats.url] if isinstance(nats, NATSServer) else list(nats)
    admin_port = free_port()
    router = start_router(f"cluster-{name}", realms=("realm1",), extra_args=[
        arg for url in urls for arg in ("--cluster-nats", url)] + [
        "--node-name", name, "--cluster-node-timeout", "2", "--admin-port", str(admin_port)] + list(extra_args))
    router.admin_port = admin_port
    return router


def cluster_fixture():
    """A test module's `cluster` fixture (`cluster = cluster_fixture()`): one nats-server and
    nodes n1...n3 for the whole module, stopped (and their shutdown checked) after it."""
    @pytest.fixture(scope="module")
    def cluster():
        nats, nodes = start_cluster()
        yield nats, nodes
        stop_cluster(nats, nodes)
    return cluster


def start_cluster():
    nats = NATSServer()
    return nats, [start_node(nats, f"n{index}") for index in (1, 2, 3)]


def stop_cluster(nats, nodes) -> None:
    """Stops the live nodes (checking their shutdown), then `nats` (a NATSServer or NATSCluster)."""
    try:
        for node in nodes:
            if node.alive():
                stop_and_check(node)
    finally:
        nats.stop()
