"""Testaments that outlive their node (docs/cluster.md "Testaments"): a session on n1 adds a
testament, n1 is SIGKILLed, and a subscriber on n2 gets the event, once, within the node-timeout
bound, as a publication of the dead session; a session that leaves normally fires its testament
once, and not again when its node dies later."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest
from autobahn.wamp.types import SubscribeOptions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "wamp"))

from cluster_helpers import collector, start_cluster, stop_cluster, until  # noqa: E402
from wamp_helpers import autobahn_session, close_all, run, unique  # noqa: E402

# --cluster-node-timeout 2 (cluster_helpers), a heartbeat (0.4 s), and the key-value round trips.
FIRE_BOUND = 2 + 0.4 + 2.6


@pytest.fixture()
def cluster():
    nats, nodes = start_cluster()
    yield nats, nodes
    stop_cluster(nats, nodes)


def test_testament_of_a_killed_node_fires_once_on_the_others(cluster):
    _nats, nodes = cluster
    topic = unique("com.testament")

    async def scenario():
        leaver = await autobahn_session(nodes[0].url)
        watchers = [await autobahn_session(node.url) for node in nodes[1:]]
        got = [[], []]
        for index, session in enumerate(watchers):
            await session.subscribe(collector(got[index]), topic, options=SubscribeOptions(details=True))
        await leaver.call("wamp.session.add_testament", topic, ["gone"], {}, publish_options={"disclose_me": True})
        await asyncio.sleep(0.5)  # the list reaches the key-value store
        leaver_id = leaver.session_id
        loop = asyncio.get_running_loop()
        killed_at = loop.time()
        nodes[0].stop(signal.SIGKILL, timeout=5)
        await until(lambda: all(len(events) == 1 for events in got), timeout=FIRE_BOUND + 2,
                    what="the testament on n2 and n3")
        assert loop.time() - killed_at <= FIRE_BOUND + 2
        await asyncio.sleep(1.0)
        for events in got:
            assert len(events) == 1, events
            args, _kwargs, details = events[0]
            assert list(args) == ["gone"]
            assert details.publisher == leaver_id
        await close_all(*watchers)

    run(scenario())


def test_normal_leave_fires_once_and_not_again_when_the_node_dies(cluster):
    _nats, nodes = cluster
    topic = unique("com.testament")

    async def scenario():
        leaver = await autobahn_session(nodes[0].url)
        watcher = await autobahn_session(nodes[1].url)
        got = []
        await watcher.subscribe(collector(got), topic)
        await leaver.call("wamp.session.add_testament", topic, ["bye"], {})
        await asyncio.sleep(0.5)
        await close_all(leaver)
        await until(lambda: len(got) == 1, what="the testament of the leaving session")
        await asyncio.sleep(0.5)  # its key is removed
        nodes[0].stop(signal.SIGKILL, timeout=5)
        await asyncio.sleep(FIRE_BOUND + 1)
        assert len(got) == 1, got
        await close_all(watcher)

    run(scenario())
