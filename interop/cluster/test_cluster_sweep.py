"""Removed topics and procedures leave nothing that grows for good (docs/cluster.md "Bounded
state"): with --cluster-tombstone-grace 1 and --cluster-sweep-interval 1, the delete markers a
client's subscribe/unsubscribe and register/unregister of unique URIs leave are swept by one node
(the lowest live slot), counted in /metrics, and the URIs work again afterwards."""

from __future__ import annotations

import asyncio
import re
import sys
import urllib.request
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "wamp"))

from cluster_helpers import NATSServer, collector, start_node, stop_cluster, until  # noqa: E402
from wamp_helpers import autobahn_session, close_all, run, unique  # noqa: E402

SWEEP = ("--cluster-tombstone-grace", "1", "--cluster-sweep-interval", "1")


@pytest.fixture()
def cluster():
    nats = NATSServer()
    nodes = [start_node(nats, f"n{index}", extra_args=SWEEP) for index in (1, 2)]
    yield nats, nodes
    stop_cluster(nats, nodes)


def removed_markers(node) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{node.admin_port}/metrics", timeout=5) as response:
        text = response.read().decode()
    found = re.search(r"^wamp_cluster_delete_markers_removed_total(?:\{[^}]*\})? (\d+)", text, re.MULTILINE)
    assert found, "the metric is exported"
    return int(found.group(1))


def test_markers_of_removed_uris_are_swept_by_one_node(cluster):
    _nats, nodes = cluster
    topics = [unique("com.sweep.topic") for _ in range(10)]
    procedures = [unique("com.sweep.proc") for _ in range(10)]

    async def scenario():
        session = await autobahn_session(nodes[1].url)
        for topic, procedure in zip(topics, procedures):
            subscription = await session.subscribe(lambda *args: None, topic)
            registration = await session.register(lambda: "x", procedure)
            await subscription.unsubscribe()
            await registration.unregister()
        # 20 markers, older than 1 s after a second, swept within the next interval.
        await until(lambda: sum(removed_markers(node) for node in nodes) >= 20, timeout=10,
                    what="the sweep of 20 delete markers")
        counts = [removed_markers(node) for node in nodes]
        assert sorted(counts)[0] == 0, f"one node sweeps, not both: {counts}"
        # A swept URI is a new subscription and registration again, across nodes.
        other = await autobahn_session(nodes[0].url)
        got = []
        await other.subscribe(collector(got), topics[0])
        await session.register(lambda: "again", procedures[0])
        assert await other.call(procedures[0]) == "again"
        session.publish(topics[0], "hello")
        await until(lambda: len(got) == 1, what="the event on the other node")
        await close_all(session, other)

    run(scenario())
