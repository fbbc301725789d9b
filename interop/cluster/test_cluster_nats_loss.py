"""One server of a three-server NATS cluster killed under traffic: three router nodes, each
preferring a different NATS server (buckets with three replicas), pub/sub and RPC across them;
the node whose server died fails over to another one (docs/cluster.md, failure modes)."""

from __future__ import annotations

import asyncio
import signal
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import PublishOptions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "wamp"))

from cluster_helpers import NATSCluster, start_node, stop_cluster  # noqa: E402
from wamp_helpers import autobahn_session, close_all, run, unique  # noqa: E402


@pytest.fixture(scope="module")
def nats_cluster():
    nats = NATSCluster()
    nodes = [start_node(nats.urls_from(index), f"m{index + 1}", extra_args=["--cluster-kv-replicas", "3"])
             for index in range(3)]
    yield nats, nodes
    stop_cluster(nats, nodes)


def health_status(node) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{node.admin_port}/health", timeout=2) as response:
            return response.status
    except (urllib.error.HTTPError, urllib.error.URLError) as error:
        return getattr(error, "code", 0)


async def until(condition, timeout: float, what: str):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_nats_server_lost_under_traffic(nats_cluster):
    """Every call gets a RESULT or an ERROR; every event acknowledged by a publisher whose NATS
    server stayed up arrives exactly once and in order at subscribers whose server stayed up;
    nothing arrives twice or out of order anywhere; afterwards all three nodes serve the cluster."""
    nats, nodes = nats_cluster
    topic, procedure = unique("com.natsloss"), unique("com.natsloss.echo")

    async def scenario():
        subscribers = [await autobahn_session(node.url) for node in nodes[:2]]
        publishers = [await autobahn_session(node.url) for node in nodes]
        callee = await autobahn_session(nodes[1].url)
        callers = [await autobahn_session(nodes[0].url), await autobahn_session(nodes[2].url)]
        await callee.register(lambda n: n, procedure)
        got = [[], []]
        for index, session in enumerate(subscribers):
            await session.subscribe(lambda origin, sequence, index=index: got[index].append((origin, sequence)), topic)
        acknowledged = [[], [], []]
        outcomes = {"result": 0, "error": 0}
        stop = asyncio.Event()

        async def publish(index: int):
            sequence = 0
            while not stop.is_set():
                try:
                    await asyncio.wait_for(publishers[index].publish(topic, index, sequence,
                                                                     options=PublishOptions(acknowledge=True)), 10)
                    acknowledged[index].append(sequence)
                except ApplicationError:
                    pass  # cluster_unavailable while its NATS server is gone: said, not silent
                sequence += 1

        async def call(caller):
            count = 0
            while not stop.is_set():
                try:
                    assert await asyncio.wait_for(caller.call(procedure, count), 10) == count
                    outcomes["result"] += 1
                except ApplicationError:
                    outcomes["error"] += 1
                count += 1

        async def kill_then_stop():
            await until(lambda: len(acknowledged[2]) >= 50, 10, "traffic through s3")
            nats.servers[2].kill()
            await asyncio.sleep(3)
            stop.set()

        await asyncio.gather(*(publish(index) for index in range(3)), *(call(caller) for caller in callers),
                             kill_then_stop())
        await until(lambda: all(all(set(acknowledged[origin]) <= {s for o, s in events if o == origin}
                                    for origin in (0, 1)) for events in got), 10,
                    "every event acknowledged by n1's and n2's publishers")
        for events in got:
            for origin in range(3):
                sequences = [s for o, s in events if o == origin]
                assert sequences == sorted(set(sequences)), f"publisher {origin}: duplicates or out of order"
        assert outcomes["result"] > 0
        assert all(session.is_attached() for session in subscribers + publishers + callers + [callee])
        await until(lambda: all(health_status(node) == 200 for node in nodes), 10, "200 from every node")
        # The node whose server died serves the cluster through another one.
        assert await callers[1].call(procedure, "after") == "after"
        before = len(got[0])
        await publishers[2].publish(topic, 2, -1, options=PublishOptions(acknowledge=True))
        await until(lambda: len(got[0]) > before, 5, "an event from the failed-over node")
        await close_all(*(subscribers + publishers + callers + [callee]))

    run(scenario())
