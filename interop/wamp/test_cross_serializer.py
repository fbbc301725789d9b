"""Sessions on different serializers and transports talk to each other (issue 10): a callee on
RawSocket + MessagePack serves a caller on WebSocket + JSON, an event published over CBOR reaches
JSON, MessagePack and CBOR subscribers, and every value class converts losslessly both ways as
the spec defines (binary <-> the JSON string "\\u0000" + base64 of RFC 4648 section 4, integers
from -2^63 to 2^64-1, floats, unicode, nested and empty containers). A value the receiver's
serializer cannot represent is an ERROR to the sender (`wamp.error.invalid_argument`), never a
silently changed value.

Values are compared with their types (1, 1.0 and True differ; bytes and str differ): see
`typed`. Raw peers see exactly what the router sent; Autobahn peers see what their serializer
makes of it (Autobahn's JSON serializer itself turns "\\u0000..." strings into bytes)."""

from __future__ import annotations

import asyncio
import base64
import itertools

import pytest
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import CallResult, PublishOptions

from rawsocket_peer import RawSocketPeer
from wamp_helpers import (
    CALL, ERROR, EVENT, INVOCATION, PUBLISH, PUBLISHED, RESULT, SERIALIZERS, YIELD, RawPeer,
    autobahn_session, close_all, rawsocket_session, run, unique,
)

ACK = PublishOptions(acknowledge=True)

# The spec's own example (section "Binary support in JSON").
SPEC_BYTES = bytes.fromhex("10e3ff9053075c526f5fc06d4fe37cdb")
SPEC_BYTES_JSON = "\u0000EOP/kFMHXFJvX8BtT+N82w=="

# Every value class of the issue, as a MessagePack or CBOR peer sends and receives it.
ARGS = [
    SPEC_BYTES,
    b"",
    b"\x00\x01\x02binary\xff\xfe",
    2**64 - 1,
    -(2**63),
    2**53 + 1,
    0,
    -1,
    0.1,
    1.0,
    -2.5e-300,
    1e100,
    "unicode: h\u00e9llo w\u00f6rld \u2603 \u4e2d\u6587 \U0001F600 \u202e rtl",
    "a\u0000b",  # a NUL inside a string (not first) is just a character
    "",
    True,
    False,
    None,
    [],
    {},
    {"nested": {"map": {"deeper": [1, {"deepest": [None, [], {}]}]}}, "list": [[[]]]},
]
KWARGS = {
    "bytes": b"\xff" * 3,
    "max_u64": 2**64 - 1,
    "min_i64": -(2**63),
    "float": 0.1,
    "\u00fcnic\u00f8de \u2603": "\U0001F680",
    "empty_map": {},
    "empty_list": [],
}


def as_json_peer_sees(value):
    """The value as a raw JSON peer reads it: bytes become "\\u0000" + base64 strings."""
    if isinstance(value, bytes):
        return "\u0000" + base64.b64encode(value).decode("ascii")
    if isinstance(value, list):
        return [as_json_peer_sees(v) for v in value]
    if isinstance(value, dict):
        return {k: as_json_peer_sees(v) for k, v in value.items()}
    return value


def view(serializer: str, value):
    return as_json_peer_sees(value) if serializer == "json" else value


def typed(value):
    """A comparable tree that keeps the type of every value (json.loads and the binary decoders
    agree on Python types: int, float, bool, str, bytes, None, list, dict)."""
    if value is None:
        return ("null",)
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", value)
    if isinstance(value, float):
        return ("float", value.hex())
    if isinstance(value, str):
        return ("str", value)
    if isinstance(value, (bytes, bytearray)):
        return ("bytes", bytes(value))
    if isinstance(value, (list, tuple)):
        return ("list", [typed(v) for v in value])
    if isinstance(value, dict):
        return ("map", {repr(typed(k)): typed(v) for k, v in value.items()})
    raise AssertionError(f"unexpected decoded type {type(value)}: {value!r}")


def assert_same(got, want, what: str):
    if typed(got) != typed(want):
        diffs = []
        if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
            diffs = [f"  [{i}] got {g!r} want {w!r}" for i, (g, w) in enumerate(zip(got, want)) if typed(g) != typed(w)]
        elif isinstance(got, dict) and isinstance(want, dict):
            diffs = [f"  [{k!r}] got {got.get(k)!r} want {want.get(k)!r}" for k in set(got) | set(want)
                     if k not in got or k not in want or typed(got[k]) != typed(want[k])]
        raise AssertionError(f"{what}: values changed in conversion\n" + "\n".join(diffs or [f"  got {got!r}\n  want {want!r}"]))


# Peers on every (transport, serializer): WebSocket for all three, RawSocket for all three.
TRANSPORTS = [("ws", s) for s in SERIALIZERS] + [("rs", s) for s in SERIALIZERS]


async def joined(router, transport: str, serializer: str):
    if transport == "ws":
        return await RawPeer.joined(router.url, serializer=serializer)
    return await RawSocketPeer.joined(router.rawsocket_tcp, serializer=serializer)


PAIRS = [(a, b) for a, b in itertools.product(SERIALIZERS, SERIALIZERS) if a != b]


# ---------------------------------------------------------------------------------------------
# RPC across serializers: every value class, both directions (CALL -> INVOCATION, YIELD -> RESULT)


def router_for(request, callee_transport: str):
    """The shared WebSocket-only router, or the RawSocket one when a peer needs RawSocket (so
    that the WebSocket cases do not depend on RawSocket)."""
    return request.getfixturevalue("rawsocket_router" if callee_transport == "rs" else "router")


@pytest.mark.parametrize("callee_transport", ["ws", "rs"])
@pytest.mark.parametrize("caller_ser,callee_ser", PAIRS, ids=[f"{a}_caller-{b}_callee" for a, b in PAIRS])
def test_call_and_result_values_convert_losslessly(request, caller_ser, callee_ser, callee_transport):
    r = router_for(request, callee_transport)

    async def scenario():
        # the caller on WebSocket, the callee on WebSocket or RawSocket
        callee = await joined(r, callee_transport, callee_ser)
        caller = await joined(r, "ws", caller_ser)
        proc = unique("com.cross.echo")
        await callee.register(proc)
        await caller.send([CALL, 3, {}, proc, view(caller_ser, ARGS), view(caller_ser, KWARGS)])
        inv = await callee.recv_code(INVOCATION)
        assert_same(inv[4], view(callee_ser, ARGS), f"INVOCATION args ({caller_ser} -> {callee_ser})")
        assert_same(inv[5], view(callee_ser, KWARGS), f"INVOCATION kwargs ({caller_ser} -> {callee_ser})")
        await callee.send([YIELD, inv[1], {}, view(callee_ser, ARGS), view(callee_ser, KWARGS)])
        res = await caller.recv()
        assert res[:2] == [RESULT, 3], res
        assert_same(res[3], view(caller_ser, ARGS), f"RESULT args ({callee_ser} -> {caller_ser})")
        assert_same(res[4], view(caller_ser, KWARGS), f"RESULT kwargs ({callee_ser} -> {caller_ser})")
        await callee.close()
        await caller.close()

    run(scenario())


@pytest.mark.parametrize("callee_transport", ["ws", "rs"])
def test_msgpack_callee_serves_websocket_json_caller_with_exact_json(request, callee_transport):
    """The issue's example (with the callee on RawSocket, and on WebSocket), checked on the JSON
    text itself: binary arrives as the spec's example string, 0.1 is written 0.1, 2^64-1 and
    -2^63 as plain integers."""
    r = router_for(request, callee_transport)

    async def scenario():
        callee = await joined(r, callee_transport, "msgpack")
        caller = await RawPeer.joined(r.url)
        proc = unique("com.cross.exact")
        await callee.register(proc)
        await caller.send([CALL, 4, {}, proc, []])
        inv = await callee.recv_code(INVOCATION)
        await callee.send([YIELD, inv[1], {}, [SPEC_BYTES, 0.1, 2**64 - 1, -(2**63), 1.0]])
        text = await caller.recv_raw()
        assert isinstance(text, str), text
        for token in ('"\\u0000EOP/kFMHXFJvX8BtT+N82w=="', "0.1", "18446744073709551615", "-9223372036854775808"):
            assert token in text, f"RESULT text {text!r} lacks {token}"
        assert "0.1000" not in text and "1e-1" not in text.lower(), f"0.1 not written as 0.1: {text!r}"
        await callee.close()
        await caller.close()

    run(scenario())


# ---------------------------------------------------------------------------------------------
# Pub/sub across serializers and transports


@pytest.mark.parametrize("transports", ["ws", "ws_and_rs"])
@pytest.mark.parametrize("publisher_ser", SERIALIZERS)
def test_event_reaches_subscribers_on_every_serializer_and_transport(request, publisher_ser, transports):
    r = router_for(request, "rs" if transports == "ws_and_rs" else "ws")
    subscriber_transports = TRANSPORTS if transports == "ws_and_rs" else [t for t in TRANSPORTS if t[0] == "ws"]

    async def scenario():
        subscribers = [await joined(r, t, s) for t, s in subscriber_transports]
        publisher = await RawPeer.joined(r.url, serializer=publisher_ser)
        topic = unique("com.cross.fanout")
        for sub in subscribers:
            await sub.subscribe(topic)
        await publisher.send([PUBLISH, 9, {"acknowledge": True}, topic, view(publisher_ser, ARGS),
                              view(publisher_ser, KWARGS)])
        ack = await publisher.recv()
        assert ack[:2] == [PUBLISHED, 9], ack
        for (transport, ser), sub in zip(subscriber_transports, subscribers):
            event = await sub.recv_code(EVENT)
            assert_same(event[4], view(ser, ARGS), f"EVENT args {publisher_ser} -> {transport}+{ser}")
            assert_same(event[5], view(ser, KWARGS), f"EVENT kwargs {publisher_ser} -> {transport}+{ser}")
        for peer in subscribers + [publisher]:
            await peer.close()

    run(scenario())


@pytest.mark.parametrize("transports", ["ws", "ws_and_rs"])
def test_autobahn_cbor_publisher_reaches_autobahn_subscribers_of_every_serializer(request, transports):
    """The same with Autobahn|Python on both ends (its JSON serializer turns the "\\u0000" strings
    back into bytes): WebSocket subscribers for json, msgpack and cbor, and RawSocket ones too."""
    r = router_for(request, "rs" if transports == "ws_and_rs" else "ws")

    async def scenario():
        subs = [await autobahn_session(r.url, serializers=s) for s in SERIALIZERS]
        if transports == "ws_and_rs":
            host, port = r.rawsocket_tcp
            subs += [await rawsocket_session(host, port, serializer=s) for s in SERIALIZERS]
        pub = await autobahn_session(r.url, serializers="cbor")
        try:
            topic = unique("com.cross.autobahn")
            loop = asyncio.get_running_loop()
            got = [loop.create_future() for _ in subs]
            for sub, fut in zip(subs, got):
                await sub.subscribe(lambda *a, fut=fut, **kw: fut.done() or fut.set_result((a, kw)), topic)
            await pub.publish(topic, *ARGS, options=ACK, **KWARGS)
            for i, fut in enumerate(got):
                args, kwargs = await asyncio.wait_for(fut, 5)
                assert_same(list(args), ARGS, f"Autobahn subscriber {i} args")
                assert_same(kwargs, KWARGS, f"Autobahn subscriber {i} kwargs")
        finally:
            await close_all(*subs, pub)

    run(scenario())


@pytest.mark.parametrize("callee_transport", ["ws", "rs"])
def test_autobahn_msgpack_callee_serves_autobahn_websocket_json_caller(request, callee_transport):
    r = router_for(request, callee_transport)

    async def scenario():
        if callee_transport == "rs":
            callee = await rawsocket_session(*r.rawsocket_tcp, serializer="msgpack")
        else:
            callee = await autobahn_session(r.url, serializers="msgpack")
        caller = await autobahn_session(r.url, serializers="json")
        try:
            proc = unique("com.cross.autobahn_echo")
            seen = {}

            def echo(*args, **kwargs):
                seen["args"], seen["kwargs"] = list(args), kwargs
                return CallResult(*args, **kwargs)

            await callee.register(echo, proc)
            result = await caller.call(proc, *ARGS, **KWARGS)
            assert_same(seen["args"], ARGS, "msgpack callee args")
            assert_same(seen["kwargs"], KWARGS, "msgpack callee kwargs")
            assert_same(list(result.results), ARGS, "json caller results")
            assert_same(result.kwresults, KWARGS, "json caller kwresults")
        finally:
            await close_all(callee, caller)

    run(scenario())


# ---------------------------------------------------------------------------------------------
# Values the receiver's serializer cannot represent: ERROR wamp.error.invalid_argument

# CBOR can carry integer map keys, JSON cannot. (MessagePack input with a non-string map key is
# refused as bad input altogether: WAMP dicts have string keys, see test_serializers_websocket.py.)
INT_KEY_MAP = {1: "one", "two": 2}
NOT_REPRESENTABLE = {
    # (sender, receiver, args the sender sends)
    "msgpack_nan_to_json": ("msgpack", "json", [float("nan")]),
    "msgpack_infinity_to_json": ("msgpack", "json", [{"x": float("inf")}]),
    "cbor_nan_to_json": ("cbor", "json", [float("nan")]),
    "cbor_int_key_map_to_json": ("cbor", "json", [{"nested": [INT_KEY_MAP]}]),
    "json_2p64_to_msgpack": ("json", "msgpack", [2**64]),
    "json_below_min_i64_to_msgpack": ("json", "msgpack", [-(2**63) - 1]),
}


def _error_uri(msg, request_type: int, request_id: int) -> str:
    assert isinstance(msg, list) and msg[:3] == [ERROR, request_type, request_id] and len(msg) >= 5, \
        f"expected [8, {request_type}, {request_id}, {{}}, <uri>, ...], got {str(msg)[:300]}"
    return msg[4]


@pytest.mark.parametrize("case", list(NOT_REPRESENTABLE))
def test_call_with_unrepresentable_argument_is_invalid_argument_for_the_caller(router, case):
    sender_ser, receiver_ser, args = NOT_REPRESENTABLE[case]

    async def scenario():
        callee = await RawPeer.joined(router.url, serializer=receiver_ser)
        caller = await RawPeer.joined(router.url, serializer=sender_ser)
        proc = unique("com.cross.unrepresentable")
        await callee.register(proc)
        await caller.send([CALL, 41, {}, proc, args])
        err = await caller.recv()
        assert _error_uri(err, CALL, 41) == "wamp.error.invalid_argument", err
        # the callee never saw it: the next call is the first INVOCATION it gets
        await caller.send([CALL, 42, {}, proc, ["fine"]])
        inv = await callee.recv_code(INVOCATION)
        assert inv[4] == ["fine"], f"the callee got {inv!r} (the unrepresentable call must not reach it)"
        await callee.send([YIELD, inv[1], {}, ["ok"]])
        res = await caller.recv()
        assert res[:2] == [RESULT, 42], res
        await callee.close()
        await caller.close()

    run(scenario())


@pytest.mark.parametrize("case", list(NOT_REPRESENTABLE))
def test_yield_with_unrepresentable_result_ends_the_call_with_an_error(router, case):
    """Here the callee is the sender: the caller must get an ERROR for its CALL
    (wamp.error.invalid_argument), not a changed RESULT and not silence."""
    sender_ser, receiver_ser, args = NOT_REPRESENTABLE[case]

    async def scenario():
        callee = await RawPeer.joined(router.url, serializer=sender_ser)
        caller = await RawPeer.joined(router.url, serializer=receiver_ser)
        proc = unique("com.cross.unrepresentable_result")
        await callee.register(proc)
        await caller.send([CALL, 43, {}, proc, []])
        inv = await callee.recv_code(INVOCATION)
        await callee.send([YIELD, inv[1], {}, args])
        err = await caller.recv()
        assert _error_uri(err, CALL, 43) == "wamp.error.invalid_argument", err
        # the callee goes on: its next INVOCATION arrives (the router may first tell it that
        # the YIELD was not delivered: [ERROR, YIELD, request, {}, wamp.error.invalid_argument])
        await caller.send([CALL, 44, {}, proc, ["fine"]])
        msg = await callee.recv()
        if msg[:2] == [ERROR, YIELD]:
            assert msg[4] == "wamp.error.invalid_argument", msg
            msg = await callee.recv()
        assert msg[0] == INVOCATION and msg[4] == ["fine"], msg
        await callee.send([YIELD, msg[1], {}, ["ok"]])
        res = await caller.recv()
        assert res[:2] == [RESULT, 44] and res[3] == ["ok"], res
        await callee.close()
        await caller.close()

    run(scenario())


@pytest.mark.parametrize("case", list(NOT_REPRESENTABLE))
def test_acknowledged_publish_with_unrepresentable_argument_is_an_error_and_the_subscriber_gets_nothing(
        router, case):
    sender_ser, receiver_ser, args = NOT_REPRESENTABLE[case]

    async def scenario():
        subscriber = await RawPeer.joined(router.url, serializer=receiver_ser)
        publisher = await RawPeer.joined(router.url, serializer=sender_ser)
        topic = unique("com.cross.unrepresentable_event")
        await subscriber.subscribe(topic)
        await publisher.send([PUBLISH, 51, {"acknowledge": True}, topic, args])
        err = await publisher.recv()
        assert _error_uri(err, PUBLISH, 51) == "wamp.error.invalid_argument", err
        await publisher.send([PUBLISH, 52, {"acknowledge": True}, topic, ["fine"]])
        ack = await publisher.recv()
        assert ack[:2] == [PUBLISHED, 52], ack
        event = await subscriber.recv_code(EVENT)
        assert event[4] == ["fine"], f"the {receiver_ser} subscriber got {event!r} first"
        await subscriber.close()
        await publisher.close()

    run(scenario())


def test_unacknowledged_publish_with_unrepresentable_argument_skips_that_subscriber_only(router):
    """Without acknowledge the publisher has nothing to get an ERROR for: the JSON subscriber must
    not get a changed event (the next event it gets is the next publication), the CBOR
    subscriber, which can take the value, gets it unchanged, and the publisher's session goes
    on. (CBOR, not MessagePack: this router refuses non-string map keys in MessagePack input
    altogether, see NOT_REPRESENTABLE.)"""

    async def scenario():
        json_sub = await RawPeer.joined(router.url)
        cbor_sub = await RawPeer.joined(router.url, serializer="cbor")
        publisher = await RawPeer.joined(router.url, serializer="cbor")
        topic = unique("com.cross.unacked")
        await json_sub.subscribe(topic)
        await cbor_sub.subscribe(topic)
        await publisher.send([PUBLISH, 61, {}, topic, [INT_KEY_MAP]])
        await publisher.send([PUBLISH, 62, {"acknowledge": True}, topic, ["next"]])
        ack = await publisher.recv()
        assert ack[:2] == [PUBLISHED, 62], f"the publisher's session must go on: got {ack!r}"
        event = await json_sub.recv_code(EVENT)
        assert event[4] == ["next"], f"the JSON subscriber got {event!r} first"
        first = await cbor_sub.recv_code(EVENT)
        assert_same(first[4], [INT_KEY_MAP], "the CBOR subscriber's event")
        second = await cbor_sub.recv_code(EVENT)
        assert second[4] == ["next"], second
        for peer in (json_sub, cbor_sub, publisher):
            await peer.close()

    run(scenario())


def test_autobahn_callee_whose_result_cannot_be_delivered_keeps_its_session(router):
    """An Autobahn|Python CBOR callee returns a map with an integer key to an Autobahn JSON
    caller: the caller gets ApplicationError wamp.error.invalid_argument, and the callee must
    stay connected and keep serving. (Autobahn|Python treats an ERROR whose request type is
    YIELD as a protocol error and drops its transport: the spec's ERROR request types are
    SUBSCRIBE, UNSUBSCRIBE, PUBLISH, REGISTER, UNREGISTER, CALL and INVOCATION.)"""

    async def scenario():
        callee = await autobahn_session(router.url, serializers="cbor")
        caller = await autobahn_session(router.url, serializers="json")
        try:
            proc = unique("com.cross.autobahn_unrepresentable")
            await callee.register(lambda bad: INT_KEY_MAP if bad else {"two": 2}, proc)
            with pytest.raises(ApplicationError) as info:
                await caller.call(proc, True)
            assert info.value.error == "wamp.error.invalid_argument", info.value
            assert await caller.call(proc, False) == {"two": 2}
            await asyncio.sleep(0.2)
            assert callee.is_attached(), "the Autobahn callee lost its session after its result was refused"
            assert await caller.call(proc, False) == {"two": 2}
        finally:
            await close_all(callee, caller)

    run(scenario())
