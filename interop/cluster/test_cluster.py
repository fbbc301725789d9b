"""Three router nodes sharing realm1 through one nats-server: Autobahn|Python clients on
different nodes, pub/sub across them, and a node killed mid-traffic (docs/cluster.md)."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from autobahn.wamp.types import PublishOptions, SubscribeOptions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "wamp"))

from cluster_helpers import start_cluster, start_node, stop_cluster  # noqa: E402
from conftest import stop_and_check  # noqa: E402
from wamp_helpers import RawPeer, autobahn_session, close_all, run, unique  # noqa: E402

PUBLISH, PUBLISHED = 16, 17


@pytest.fixture(scope="module")
def cluster():
    nats, nodes = start_cluster()
    yield nats, nodes
    stop_cluster(nats, nodes)


def health(node) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{node.admin_port}/health", timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def collector(events: list):
    def on_event(*args, details=None, **kwargs):
        events.append((args, kwargs, details))
    return on_event


async def until(condition, timeout: float = 5.0, what: str = "condition"):
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def test_health_says_connected(cluster):
    _nats, nodes = cluster
    for node in nodes:
        status, body = health(node)
        assert status == 200 and body["cluster"] == "connected", body


def test_exact_prefix_wildcard_across_nodes(cluster):
    _nats, nodes = cluster
    topic = unique("com.cluster")

    async def scenario():
        publisher = await autobahn_session(nodes[0].url)
        exact = await autobahn_session(nodes[1].url)
        prefix = await autobahn_session(nodes[2].url, serializers="msgpack")
        wildcard = await autobahn_session(nodes[0].url, serializers="cbor")
        got = {"exact": [], "prefix": [], "wildcard": []}
        await exact.subscribe(collector(got["exact"]), topic)
        await prefix.subscribe(collector(got["prefix"]), topic, options=SubscribeOptions(match="prefix", details=True))
        await wildcard.subscribe(collector(got["wildcard"]), "com..", options=SubscribeOptions(match="wildcard", details=True))
        await publisher.publish(topic, 1, "ü", {"x": [1.5, None]}, k="v", options=PublishOptions(acknowledge=True))
        await publisher.publish(topic + "x.y", 2, options=PublishOptions(acknowledge=True))
        await until(lambda: len(got["exact"]) == 1 and len(got["prefix"]) == 2 and len(got["wildcard"]) == 1,
                    what=f"events {got}")
        assert got["exact"][0][0] == (1, "ü", {"x": [1.5, None]}) and got["exact"][0][1] == {"k": "v"}
        assert [event[0][0] for event in got["prefix"]] == [1, 2]
        assert got["prefix"][1][2].topic == topic + "x.y"
        assert got["wildcard"][0][0][0] == 1
        await close_all(publisher, exact, prefix, wildcard)

    run(scenario())


def test_exclusion_lists_and_disclosure_across_nodes(cluster):
    _nats, nodes = cluster
    topic = unique("com.lists")

    async def scenario():
        publisher = await autobahn_session(nodes[0].url)
        mine = await autobahn_session(nodes[0].url)
        a = await autobahn_session(nodes[1].url)
        b = await autobahn_session(nodes[2].url)
        # Autobahn|Python has no disclose_me for PUBLISH: the disclosing publisher is raw.
        raw = await RawPeer.joined(nodes[0].url)
        got = {"publisher": [], "mine": [], "a": [], "b": []}
        for name, session in (("publisher", publisher), ("mine", mine), ("a", a), ("b", b)):
            await session.subscribe(collector(got[name]), topic, options=SubscribeOptions(details=True))
        await publisher.publish(topic, 1, options=PublishOptions(acknowledge=True, exclude=[a._session_id]))
        await publisher.publish(topic, 2, options=PublishOptions(acknowledge=True, eligible=[b._session_id, mine._session_id]))
        await publisher.publish(topic, 3, options=PublishOptions(acknowledge=True, exclude_me=False,
                                                                 eligible_authid=[publisher.welcome_authid, a.welcome_authid]))
        await raw.send([PUBLISH, 4, {"acknowledge": True, "disclose_me": True, "eligible": [a._session_id]}, topic, [4]])
        published = await raw.recv_code(PUBLISHED)
        assert published[1] == 4, published
        await until(lambda: len(got["a"]) == 2 and len(got["b"]) == 2 and len(got["mine"]) == 2
                    and len(got["publisher"]) == 1, what=f"events {got}")
        await asyncio.sleep(0.2)
        assert [event[0][0] for event in got["a"]] == [3, 4]
        assert [event[0][0] for event in got["b"]] == [1, 2]
        assert [event[0][0] for event in got["mine"]] == [1, 2]
        assert [event[0][0] for event in got["publisher"]] == [3], "its own event once, never echoed back by NATS"
        assert got["a"][0][2].publisher is None
        assert got["a"][1][2].publisher == raw.session_id
        await raw.close()
        await close_all(publisher, mine, a, b)

    run(scenario())


def test_subscribed_then_publish_elsewhere_at_once(cluster):
    _nats, nodes = cluster

    async def scenario():
        publisher = await autobahn_session(nodes[2].url)
        subscriber = await autobahn_session(nodes[1].url)
        got = []
        topics = [unique("com.fresh") for _ in range(20)]
        for topic in topics:
            await subscriber.subscribe(collector(got), topic)
            await publisher.publish(topic, topic, options=PublishOptions(acknowledge=True))
        await until(lambda: len(got) == len(topics), what=f"{len(got)} of {len(topics)} events")
        assert [event[0][0] for event in got] == topics
        await close_all(publisher, subscriber)

    run(scenario())


def test_retained_event_across_nodes(cluster):
    """PUBLISHED for a retained event: a get_retained SUBSCRIBE on every other node gets it next,
    in each serializer; an unretained publication does not replace it."""
    _nats, nodes = cluster
    topic = unique("com.kept")

    async def scenario():
        publisher = await autobahn_session(nodes[0].url)
        await publisher.publish(topic, "first", options=PublishOptions(acknowledge=True, retain=True))
        await publisher.publish(topic, "latest", k=1, options=PublishOptions(acknowledge=True, retain=True))
        await publisher.publish(topic, "not kept", options=PublishOptions(acknowledge=True))
        sessions = []
        for node, serializer in ((nodes[1], "json"), (nodes[2], "msgpack"), (nodes[2], "cbor")):
            got = []
            session = await autobahn_session(node.url, serializers=serializer)
            sessions.append(session)
            await session.subscribe(collector(got), topic, options=SubscribeOptions(get_retained=True, details=True))
            await until(lambda: len(got) == 1, what=f"the retained event on {node.url} ({serializer})")
            await asyncio.sleep(0.1)
            assert len(got) == 1, got
            assert got[0][0] == ("latest",) and got[0][1] == {"k": 1}, got
            assert got[0][2].retained is True
        await close_all(publisher, *sessions)

    run(scenario())


def test_retained_event_on_a_node_that_starts_later(cluster):
    """A node started after a retained publication gets it from a live node's snapshot before it
    takes sessions, so its first get_retained SUBSCRIBE has it."""
    nats, nodes = cluster
    topic = unique("com.kept.late")

    async def publish():
        publisher = await autobahn_session(nodes[1].url)
        await publisher.publish(topic, "older", options=PublishOptions(acknowledge=True, retain=True))
        await publisher.publish(topic, "kept", k=2, options=PublishOptions(acknowledge=True, retain=True))
        await close_all(publisher)

    run(publish())
    late = start_node(nats, "n4")
    try:
        async def subscribe():
            got = []
            session = await autobahn_session(late.url, serializers="msgpack")
            await session.subscribe(collector(got), topic, options=SubscribeOptions(get_retained=True, details=True))
            await until(lambda: len(got) == 1, what="the retained event on the node that started later")
            assert got[0][0] == ("kept",) and got[0][1] == {"k": 2}, got
            assert got[0][2].retained is True
            await close_all(session)

        run(subscribe())
    finally:
        stop_and_check(late)


def test_node_killed_mid_traffic(cluster):
    """SIGKILL n3 while every node publishes: n3's NATS connection and subscriptions vanish, the
    others go on, and every acknowledged event arrives exactly once and in order per publisher."""
    nats, nodes = cluster
    topic = unique("com.kill")

    async def scenario():
        publishers = [await autobahn_session(node.url) for node in nodes]
        subscribers = [await autobahn_session(node.url) for node in nodes[:2]]
        victim_subscriber = await autobahn_session(nodes[2].url)
        got = [[], []]
        for index, session in enumerate(subscribers):
            await session.subscribe(collector(got[index]), topic)
        await victim_subscriber.subscribe(collector([]), topic)
        acknowledged = [[], [], []]

        async def publish(index: int, count: int):
            for sequence in range(count):
                try:
                    await publishers[index].publish(topic, index, sequence, options=PublishOptions(acknowledge=True))
                except Exception:
                    return
                acknowledged[index].append(sequence)

        async def kill_soon():
            await until(lambda: len(acknowledged[2]) >= 50, what="n3 traffic")
            nodes[2].stop(signal.SIGKILL, timeout=5)

        before = len(nats.connz()["connections"])
        await asyncio.gather(publish(0, 400), publish(1, 400), publish(2, 100_000), kill_soon())
        assert not nodes[2].alive()
        await until(lambda: all(len([e for e in events if e[0][0] in (0, 1)]) == 800 for events in got),
                    timeout=10, what="every acknowledged event of n1 and n2")
        await until(lambda: len(nats.connz()["connections"]) == before - 1, timeout=5, what="n3's NATS connection gone")
        for events in got:
            for index in range(3):
                sequences = [event[0][1] for event in events if event[0][0] == index]
                assert sequences == sorted(set(sequences)), f"publisher {index}: duplicates or out of order"
                missing = set(acknowledged[index]) - set(sequences)
                assert not missing, f"publisher {index}: acknowledged but not delivered: {sorted(missing)[:10]}"
        for session in subscribers + publishers[:2]:
            assert session.is_attached()
        status, body = health(nodes[0])
        assert status == 200 and body["cluster"] == "connected"
        await close_all(*(publishers[:2] + subscribers))

    run(scenario())


def test_nats_down_and_back(cluster):
    """NATS killed: every live node answers /health 503 "cluster":"disconnected" and still delivers
    locally; NATS back: 200 again and events cross nodes again."""
    nats, nodes = cluster
    live = [node for node in nodes if node.alive()]
    topic = unique("com.outage")

    async def scenario():
        publisher = await autobahn_session(live[0].url)
        local = await autobahn_session(live[0].url)
        remote = await autobahn_session(live[1].url)
        got_local, got_remote = [], []
        await local.subscribe(collector(got_local), topic)
        await remote.subscribe(collector(got_remote), topic)
        nats.kill()
        await until(lambda: all(health(node)[0] == 503 for node in live), timeout=10, what="503 from every node")
        assert all(health(node)[1]["cluster"] == "disconnected" for node in live)
        publisher.publish(topic, "while down")
        await until(lambda: len(got_local) == 1, what="local delivery while NATS is down")
        nats.start()
        await until(lambda: all(health(node)[0] == 200 for node in live), timeout=10, what="200 again")
        sent = 0

        async def crossed():
            nonlocal sent
            sent += 1
            await publisher.publish(topic, "back", options=PublishOptions(acknowledge=True))
            await asyncio.sleep(0.05)
            return any(event[0] == ("back",) for event in got_remote)

        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while not await crossed():
            assert loop.time() < deadline, "no event crossed nodes after NATS came back"
        assert all(event[0] != ("while down",) for event in got_remote)
        await close_all(publisher, local, remote)

    run(scenario())
