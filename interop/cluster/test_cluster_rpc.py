"""Cross-node RPC: three router nodes sharing realm1 through one nats-server, Autobahn|Python
callers and callees on different nodes (docs/cluster.md, "Registrations and calls")."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import CallDetails, CallOptions, RegisterOptions

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "wamp"))

from cluster_helpers import start_cluster, start_node, stop_cluster  # noqa: E402
from wamp_helpers import autobahn_session, close_all, run, unique  # noqa: E402


@pytest.fixture(scope="module")
def cluster():
    nats, nodes = start_cluster()
    yield nats, nodes
    stop_cluster(nats, nodes)


def test_call_across_nodes_with_progressive_results(cluster):
    """(Caller disclosure across nodes is in ClusterTests: Autobahn|Python has no disclose_me.)"""
    _nats, nodes = cluster
    procedure = unique("com.rpc.add")

    async def scenario():
        callee = await autobahn_session(nodes[1].url)
        caller = await autobahn_session(nodes[0].url, serializers="msgpack")
        async def add(a, b, details: CallDetails = None):
            if details.progress:
                details.progress(a)
                details.progress(b)
            return a + b

        await callee.register(add, procedure, options=RegisterOptions(details_arg="details"))
        assert await caller.call(procedure, 2, 3) == 5
        progress = []
        result = await caller.call(procedure, "x", "y", options=CallOptions(on_progress=progress.append))
        assert result == "xy" and progress == ["x", "y"]
        await close_all(callee, caller)

    run(scenario())


def test_registrations_are_unique_and_shared_ones_rotate_across_nodes(cluster):
    _nats, nodes = cluster
    single, shared = unique("com.rpc.single"), unique("com.rpc.shared")

    async def scenario():
        first = await autobahn_session(nodes[0].url)
        second = await autobahn_session(nodes[2].url)
        caller = await autobahn_session(nodes[1].url)
        await first.register(lambda: "first", single)
        with pytest.raises(ApplicationError) as refused:
            await second.register(lambda: "second", single)
        assert refused.value.error == "wamp.error.procedure_already_exists"
        assert await caller.call(single) == "first"
        for name, session in (("n1", first), ("n3", second)):
            await session.register(lambda name=name: name, shared, options=RegisterOptions(invoke="roundrobin"))
        answers = [await caller.call(shared) for _ in range(6)]
        assert sorted(set(answers)) == ["n1", "n3"] and answers[:2] != [answers[0]] * 2, answers
        assert answers == answers[:2] * 3, f"roundrobin alternates: {answers}"
        await close_all(first, second, caller)

    run(scenario())


def test_unregistered_elsewhere_is_gone_at_once(cluster):
    _nats, nodes = cluster
    procedure = unique("com.rpc.gone")

    async def scenario():
        callee = await autobahn_session(nodes[2].url)
        caller = await autobahn_session(nodes[0].url)
        registration = await callee.register(lambda: "here", procedure)
        assert await caller.call(procedure) == "here"
        await registration.unregister()
        with pytest.raises(ApplicationError) as missing:
            await caller.call(procedure)
        assert missing.value.error == "wamp.error.no_such_procedure"
        await close_all(callee, caller)

    run(scenario())


def test_callee_node_killed_cancels_pending_calls(cluster):
    """SIGKILL a node whose callee holds calls: the callers on other nodes get
    wamp.error.canceled once the node is declared lost (--cluster-node-timeout 2 s here), and the
    procedure is free again cluster-wide."""
    nats, nodes = cluster
    victim = start_node(nats, "n4")
    procedure = unique("com.rpc.stuck")

    async def scenario():
        callee = await autobahn_session(victim.url)

        async def never():
            await asyncio.sleep(60)

        await callee.register(never, procedure)
        caller = await autobahn_session(nodes[0].url)
        calls = [asyncio.ensure_future(caller.call(procedure)) for _ in range(3)]
        await asyncio.sleep(0.3)
        victim.stop(signal.SIGKILL, timeout=5)
        loop = asyncio.get_running_loop()
        killed = loop.time()
        for call in calls:
            with pytest.raises(ApplicationError) as ended:
                await asyncio.wait_for(call, timeout=10)
            assert ended.value.error == "wamp.error.canceled"
        assert loop.time() - killed < 10, "within the node timeout and a tick"
        successor = await autobahn_session(nodes[1].url)
        await successor.register(lambda: "successor", procedure)
        assert await caller.call(procedure) == "successor"
        await close_all(caller, successor)

    run(scenario())
