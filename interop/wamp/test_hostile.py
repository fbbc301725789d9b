"""Hostile raw peers: inputs meant to crash, exhaust or wedge the router. Each test checks the
router's answer and that it stays within bounds (memory read from /proc/<pid>/status)."""

from __future__ import annotations

import asyncio
import json

from wamp_helpers import (
    CALL, ERROR, EVENT, INVOCATION, PUBLISH, PUBLISHED, RESULT, YIELD, RawPeer, run, unique,
)


# --- decoding: memory bound, big-integer options ---

BIG = 18446744073709551616123  # beyond 64 bits: jansson cannot hold it as an integer
MiB = 1 << 20


def proc_status_kib(pid: int, field: str) -> int:
    """A memory field of /proc/<pid>/status (VmHWM, VmRSS) in KiB."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"/proc/{pid}/status has no {field}")


def test_sixteen_mib_of_empty_objects_as_call_arguments_stays_under_600_mib(router_factory):
    """4 MiB of `{},` once cost the router ~300 MiB (jansson built a tree of the payload);
    16 MiB must now cost far less than 600 MiB, and the CALL still gets its ERROR."""
    router = router_factory(extra_args=["--max-message-size", "20000000", "--no-compression"])
    prefix = f'[{CALL},1,{{}},"com.nothing.registered.here",['
    count = (16 * MiB - len(prefix) - 2) // 3
    text = prefix + ",".join(["{}"] * count) + "]]"
    assert 15 * MiB < len(text) <= 16 * MiB

    async def scenario():
        peer = await RawPeer.joined(router.url)
        before = proc_status_kib(router.proc.pid, "VmHWM")
        await peer.send(text)
        reply = await peer.recv(timeout=60)
        assert reply[:3] == [ERROR, CALL, 1] and reply[4] == "wamp.error.no_such_procedure", reply
        peak = proc_status_kib(router.proc.pid, "VmHWM")
        print(f"\n16 MiB CALL of {{}}: router VmHWM {before} KiB before, {peak} KiB after "
              f"(VmRSS now {proc_status_kib(router.proc.pid, 'VmRSS')} KiB)")
        assert peak < 600 * 1024, f"router peak RSS reached {peak} KiB decoding a {len(text)}-byte message"
        await peer.close()

    run(scenario())
    assert router.alive()


def test_big_integer_payload_leaves_exclude_and_eligible_working(router):
    async def scenario():
        topic = unique("com.hostile.bigint")
        publisher, wanted, excluded, not_eligible = [await RawPeer.joined(router.url) for _ in range(4)]
        subscriptions = {}
        for peer in (wanted, excluded, not_eligible):
            subscriptions[peer] = await peer.subscribe(topic)
        options = {"exclude": [excluded.session_id], "eligible": [wanted.session_id, excluded.session_id],
                   "acknowledge": True, "exclude_me": False}
        arguments_text = f"[{BIG},-{BIG},1.5]"
        await publisher.send(f'[{PUBLISH},7,{json.dumps(options)},"{topic}",{arguments_text},{{"n":{BIG}}}]')
        reply = await publisher.recv()
        assert reply[:2] == [PUBLISHED, 7], f"expected PUBLISHED, got {reply!r}"
        raw = await wanted.recv_raw()
        event = json.loads(raw)
        assert event[0] == EVENT and event[1] == subscriptions[wanted], event
        assert event[4] == [BIG, -BIG, 1.5] and event[5] == {"n": BIG}, event
        assert arguments_text in raw, f"payload bytes changed on the way: {raw!r}"
        for peer in (excluded, not_eligible):
            try:
                got = await peer.recv(timeout=0.5)
            except asyncio.TimeoutError:
                continue
            raise AssertionError(f"a peer outside exclude/eligible got {got!r}")
        for peer in (publisher, wanted, excluded, not_eligible):
            await peer.close()

    run(scenario())


def test_big_integer_payload_leaves_call_timeout_working(router):
    async def scenario():
        procedure = unique("com.hostile.slow")
        callee = await RawPeer.joined(router.url)
        caller = await RawPeer.joined(router.url)
        await callee.register(procedure)
        await caller.send(f'[{CALL},3,{{"timeout":300}},"{procedure}",[{BIG}]]')
        invocation = await callee.recv()
        assert invocation[0] == INVOCATION and invocation[4] == [BIG], invocation
        # The callee never answers: the router's timeout must fire.
        error = await caller.recv(timeout=5)
        assert error[:3] == [ERROR, CALL, 3] and error[4] == "wamp.error.timeout", error
        await callee.close()
        await caller.close()

    run(scenario())


def test_big_integer_timeout_is_an_invalid_timeout_and_spoils_nothing_else(router):
    """A `timeout` of 2^70 cannot be a timeout: the call runs without one, as with any invalid
    timeout, and the rest of the options (`receive_progress`) still read."""
    async def scenario():
        procedure = unique("com.hostile.bigtimeout")
        callee = await RawPeer.connect(router.url)
        await callee.hello(roles={"callee": {"features": {"progressive_call_results": True}}})
        caller = await RawPeer.connect(router.url)
        await caller.hello(roles={"caller": {"features": {"progressive_call_results": True}}})
        await callee.register(procedure)
        await caller.send(f'[{CALL},4,{{"timeout":{2**70},"receive_progress":true}},"{procedure}",[1]]')
        invocation = await callee.recv()
        assert invocation[0] == INVOCATION and invocation[4] == [1], invocation
        assert invocation[3].get("receive_progress") is True, f"receive_progress lost: {invocation!r}"
        await callee.send([YIELD, invocation[1], {}, ["done"]])
        result = await caller.recv()
        assert result[:2] == [RESULT, 4] and result[3] == ["done"], result
        await callee.close()
        await caller.close()

    run(scenario())
