"""The meta API across three router nodes sharing realm1 through one nats-server: a session
joining one node is seen by an on_join subscriber on another, and wamp.session.count on one
node counts the sessions of all three (docs/cluster.md "Sessions and the meta API")."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "wamp"))

from cluster_helpers import cluster_fixture  # noqa: E402
from wamp_helpers import autobahn_session, close_all, run  # noqa: E402

cluster = cluster_fixture()


async def until(condition, timeout: float = 8.0, what: str = "condition"):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_on_join_on_another_node_and_count_of_all_nodes(cluster):
    _nats, nodes = cluster

    async def scenario():
        watcher = await autobahn_session(nodes[0].url)
        joined, left = [], []
        await watcher.subscribe(lambda details: joined.append(details["session"]), "wamp.session.on_join")
        await watcher.subscribe(lambda session, *rest: left.append(session), "wamp.session.on_leave")
        second = await autobahn_session(nodes[1].url, serializers="msgpack")
        third = await autobahn_session(nodes[2].url, serializers="cbor")

        async def seen():
            return second._session_id in joined and third._session_id in joined
        await until(seen, what=f"on_join of the other nodes' sessions in {joined}")

        async def counted():
            return await watcher.call("wamp.session.count") == 3
        await until(counted, what="wamp.session.count of 3 across the nodes")
        listed = await watcher.call("wamp.session.list")
        assert sorted(listed) == sorted([watcher._session_id, second._session_id, third._session_id])
        details = await watcher.call("wamp.session.get", third._session_id)
        assert details["session"] == third._session_id

        gone = third._session_id
        await close_all(third)

        async def left_seen():
            return gone in left and await watcher.call("wamp.session.count") == 2
        await until(left_seen, what="on_leave and a count of 2 after a session left node 3")
        assert joined.count(second._session_id) == 1 and left.count(gone) == 1
        await close_all(watcher, second)

    run(scenario())


def test_one_subscription_id_and_its_subscribers_on_every_node(cluster):
    """Subscribers of one topic on two other nodes: the node asked knows the cluster's
    subscription ID (lookup) and lists and counts the subscribers of every node."""
    _nats, nodes = cluster
    topic = "com.meta.subscribers"

    async def scenario():
        asker = await autobahn_session(nodes[0].url)
        others = [await autobahn_session(nodes[1].url, serializers="msgpack"),
                  await autobahn_session(nodes[2].url, serializers="cbor")]
        ids = [(await session.subscribe(lambda *args: None, topic)).id for session in others]
        assert ids[0] == ids[1], ids

        async def known():
            return await asker.call("wamp.subscription.lookup", topic) == ids[0]
        await until(known, what="the cluster's subscription ID on the node without subscribers")
        listed = await asker.call("wamp.subscription.list_subscribers", ids[0])
        assert sorted(listed) == sorted(session._session_id for session in others)
        assert await asker.call("wamp.subscription.count_subscribers", ids[0]) == 2
        await close_all(asker, *others)

    run(scenario())
