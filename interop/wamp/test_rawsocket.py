"""WAMP over RawSocket (issue 10), exactly as the spec's section "RawSocket Transport" words it:
the four-octet handshake `7F (LENGTH<<4 | SERIALIZER) 00 00` and its reply, the error replies
`7F (code<<4) 00 00` then close, connections failed without a reply (bad magic, serializer 0),
framing `RRRR XTTT` + 24-bit length with PING/PONG, both directions of the maximum message
length, no router PINGs, and Autobahn|Python's RawSocket client on TCP and on a Unix socket.

The shared `rawsocket_router` listens on a TCP port and a Unix socket next to its WebSocket port;
tests that need other flags start a private router."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from autobahn.exception import PayloadExceededError
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import CallResult, PublishOptions

from rawsocket_peer import (
    ERR_CONNECTION_LIMIT, ERR_RESERVED_BITS, ERR_SERIALIZER_UNSUPPORTED, FRAME_PING, FRAME_PONG, MAGIC,
    RawSocketPeer, RouterClosed, assert_rawsocket_serves, frame, handshake, max_length,
)
from test_hostile import UPGRADE_REQUEST, masked_frame
from wamp_helpers import (
    CALL, ERROR, EVENT, HELLO_REALM1, INVOCATION, PUBLISH, PUBLISHED, RAWSOCKET_SERIALIZER_IDS,
    RESULT, SERIALIZERS, SUBSCRIBE, SUBSCRIBED, WELCOME, YIELD, RawPeer, assert_router_serves, close_all,
    encode, is_id, rawsocket_session, run, unique,
)

ACK = PublishOptions(acknowledge=True)


def tcp(router):
    return router.rawsocket_tcp


# ---------------------------------------------------------------------------------------------
# Handshake: success


@pytest.mark.parametrize("serializer", SERIALIZERS)
@pytest.mark.parametrize("length", [1, 9, 15])
def test_handshake_reply_echoes_the_serializer_with_the_routers_length_and_hello_works(
        rawsocket_router, serializer, length):
    async def scenario():
        peer = await RawSocketPeer.connect(tcp(rawsocket_router))
        reply = await peer.handshake(RAWSOCKET_SERIALIZER_IDS[serializer], length)
        assert reply[0] == MAGIC and reply[1] & 0x0F == RAWSOCKET_SERIALIZER_IDS[serializer] \
            and reply[2:] == b"\0\0", f"handshake {handshake(RAWSOCKET_SERIALIZER_IDS[serializer], length).hex(' ')}: " \
                                      f"reply {reply.hex(' ')}"
        peer.accept_reply(reply, serializer)
        welcome = await peer.hello()
        assert welcome[0] == WELCOME and is_id(welcome[1])
        await peer.close()

    run(scenario())


def test_every_length_value_is_accepted(rawsocket_router):
    """The spec leaves open when a router answers error 2 (maximum message length
    unacceptable); every LENGTH is a valid request (512 octets to 16 MiB) and this router takes
    all sixteen: no error 2 for any of them."""

    async def scenario():
        for length in range(16):
            peer = await RawSocketPeer.connect(tcp(rawsocket_router))
            reply = await peer.handshake(1, length)
            assert reply[0] == MAGIC and reply[1] & 0x0F == 1 and reply[2:] == b"\0\0", \
                f"LENGTH {length} ({max_length(length)} octets): reply {reply.hex(' ')}"
            await peer.close()

    run(scenario())


def test_length_0_peer_joins_and_every_message_it_gets_fits_512_octets(rawsocket_router):
    """LENGTH 0 announces 512 octets. The router's usual WELCOME (roles with every feature) is
    longer than that in JSON: it must still let the peer join without ever sending it a longer
    message (RawSocketPeer checks the size of every message it receives)."""

    async def scenario():
        peer = await RawSocketPeer.opened(tcp(rawsocket_router), "json", 0)
        await peer.hello()
        proc = unique("com.rs.small")
        await peer.register(proc)
        await peer.close()

    run(scenario())


def test_handshake_split_across_writes_then_hello(rawsocket_router):
    async def scenario():
        peer = await RawSocketPeer.connect(tcp(rawsocket_router))
        for octet in handshake(2, 15):
            await peer.write(bytes([octet]))
            await asyncio.sleep(0.05)
        peer.accept_reply(await peer.read_exactly(4), "msgpack")
        # the HELLO frame split too: prefix in two pieces, then the payload
        data = frame(encode("msgpack", HELLO_REALM1))
        for piece in (data[:2], data[2:4], data[4:9], data[9:]):
            await peer.write(piece)
            await asyncio.sleep(0.05)
        welcome = await peer.recv()
        assert welcome[0] == WELCOME and is_id(welcome[1]), welcome
        await peer.close()

    run(scenario())


def test_handshake_and_hello_in_one_write(rawsocket_router):
    async def scenario():
        peer = await RawSocketPeer.connect(tcp(rawsocket_router))
        await peer.write(handshake(3, 15) + frame(encode("cbor", HELLO_REALM1)))
        peer.accept_reply(await peer.read_exactly(4), "cbor")
        welcome = await peer.recv()
        assert welcome[0] == WELCOME and is_id(welcome[1]), welcome
        await peer.close()

    run(scenario())


def test_several_messages_in_one_write_are_each_handled(rawsocket_router):
    async def scenario():
        peer = await RawSocketPeer.joined(tcp(rawsocket_router))
        topic = unique("com.rs.batch")
        await peer.write(frame(encode("json", [SUBSCRIBE, 1, {}, topic]).encode())
                         + frame(encode("json", [PUBLISH, 2, {"acknowledge": True, "exclude_me": False}, topic, [7]]).encode()))
        got = [await peer.recv() for _ in range(3)]
        codes = sorted(m[0] for m in got)
        assert codes == [PUBLISHED, SUBSCRIBED, EVENT], got
        event = next(m for m in got if m[0] == EVENT)
        assert event[4] == [7], event
        await peer.close()

    run(scenario())


# ---------------------------------------------------------------------------------------------
# Handshake: error replies and failed connections


async def expect_error_reply(endpoint, request: bytes, code: int):
    peer = await RawSocketPeer.connect(endpoint)
    await peer.write(request)
    try:
        reply = await peer.read_exactly(4)
    except RouterClosed as e:
        raise AssertionError(f"handshake {request.hex(' ')}: expected error reply 7f {code << 4:02x} 00 00, "
                             f"but {e}") from None
    assert reply == bytes([MAGIC, code << 4, 0, 0]), \
        f"handshake {request.hex(' ')}: expected error reply 7f {code << 4:02x} 00 00, got {reply.hex(' ')}"
    rest = await peer.expect_closed()
    assert rest == b"", f"router sent {rest!r} after the error reply instead of closing"
    await peer.close()


@pytest.mark.parametrize("serializer_id", [4, 5, 6, 15])
def test_unsupported_serializer_gets_error_1_then_close(rawsocket_router, serializer_id):
    async def scenario():
        await expect_error_reply(tcp(rawsocket_router), handshake(serializer_id, 15), ERR_SERIALIZER_UNSUPPORTED)
        await assert_rawsocket_serves(tcp(rawsocket_router))

    run(scenario())


@pytest.mark.parametrize("reserved", [b"\x00\x01", b"\x80\x00", b"\xff\xff"], ids=["low", "high", "all"])
def test_reserved_octets_not_zero_get_error_3_then_close(rawsocket_router, reserved):
    async def scenario():
        await expect_error_reply(tcp(rawsocket_router), handshake(1, 15, reserved=reserved), ERR_RESERVED_BITS)
        await assert_rawsocket_serves(tcp(rawsocket_router))

    run(scenario())


@pytest.mark.parametrize("request_octets", [
    handshake(1, 15, magic=0x00), handshake(1, 15, magic=0x7E), handshake(1, 15, magic=0xFF), b"GET / HTTP/1.1\r\n\r\n",
    handshake(0, 15), handshake(0, 0),
], ids=["magic_00", "magic_7e", "magic_ff", "http_request", "serializer_0", "serializer_0_length_0"])
def test_bad_magic_or_serializer_0_fails_the_connection_without_a_reply(rawsocket_router, request_octets):
    """Spec: a first octet other than 0x7F "MUST fail the connection"; serializer 0 is illegal
    ("fail the connection: illegal serializer value"): closed, not one octet sent."""

    async def scenario():
        peer = await RawSocketPeer.connect(tcp(rawsocket_router))
        await peer.write(request_octets)
        got = await peer.expect_closed()
        assert got == b"", f"handshake {request_octets[:4].hex(' ')}: router answered {got.hex(' ')} instead of closing"
        await assert_rawsocket_serves(tcp(rawsocket_router))

    run(scenario())


async def joined_when_free(endpoint, seconds: float = 5.0) -> RawSocketPeer:
    """A joined JSON session, retrying while the router still counts a connection that was just
    closed (a readiness probe, a previous peer) against --max-connections."""
    deadline = time.monotonic() + seconds
    while True:
        peer = await RawSocketPeer.connect(endpoint)
        reply = await peer.handshake(1, 15)
        if reply[1] & 0x0F == 1:
            peer.accept_reply(reply, "json")
            await peer.hello()
            return peer
        await peer.close()
        assert time.monotonic() < deadline, f"no connection accepted within {seconds} s (last reply {reply.hex(' ')})"
        await asyncio.sleep(0.1)


def test_connection_past_max_connections_gets_error_4_then_close(router_factory):
    async def scenario(r):
        first = await joined_when_free(r.rawsocket_tcp)
        await expect_error_reply(r.rawsocket_tcp, handshake(1, 15), ERR_CONNECTION_LIMIT)
        await first.close()
        # once the first is gone, a new connection is served (the limit counts open connections)
        again = await joined_when_free(r.rawsocket_tcp)
        await again.close()

    r = router_factory(rawsocket_tcp=True, extra_args=["--max-connections", "1"])
    run(scenario(r))


# ---------------------------------------------------------------------------------------------
# Framing: PING/PONG, reserved bits, frame types, the router's maximum length


@pytest.mark.parametrize("when", ["before_hello", "established"])
def test_ping_is_answered_by_one_pong_with_the_same_payload(rawsocket_router, when):
    async def scenario():
        peer = await RawSocketPeer.opened(tcp(rawsocket_router), "json", 15)
        if when == "established":
            await peer.hello()
        for payload in (b"", b"ping-1", bytes(range(256)) * 4):
            await peer.send_frame(payload, FRAME_PING)
            frame_type, got = await peer.recv_frame()
            assert (frame_type, got) == (FRAME_PONG, payload), \
                f"PING with {len(payload)} octets: got frame type {frame_type} with {got[:40]!r}"
        if when == "before_hello":
            await peer.hello()
        await peer.close()

    run(scenario())


@pytest.mark.parametrize("prefix", [b"\x10", b"\x80", b"\x03", b"\x07", b"\x08"],
                         ids=["reserved_bit_4", "reserved_bit_7", "frame_type_3", "frame_type_7", "x_bit_with_length"])
def test_bad_frame_prefix_fails_the_connection(rawsocket_router, prefix):
    """Reserved bits set, a reserved frame type, or the X bit with non-zero length bits (X marks
    exactly 2^24 octets, the other 24 bits then clear): the router fails the connection (an ABORT
    before the close is allowed) and keeps serving."""

    async def scenario():
        peer = await RawSocketPeer.joined(tcp(rawsocket_router))
        payload = encode("json", [CALL, 1, {}, "com.example.a"]).encode()
        await peer.write(prefix + len(payload).to_bytes(3, "big") + payload)
        got = await peer.expect_closed()
        assert got == b"" or got[:1] == b"\x00" and b'"wamp.error.protocol_violation"' in got, \
            f"prefix {prefix.hex()}: router sent {got[:200]!r} before closing"
        await assert_rawsocket_serves(tcp(rawsocket_router))

    run(scenario())


def test_message_longer_than_the_routers_length_fails_the_connection(router_factory):
    """With --max-message-size 65536 the router announces at most 2^16 (LENGTH 7); a message of
    exactly its maximum is taken, one octet more fails the connection."""

    async def scenario(r):
        peer = await RawSocketPeer.opened(r.rawsocket_tcp, "json", 15)
        assert peer.router_max <= 65536, \
            f"router announced {peer.router_max} octets with --max-message-size 65536"
        await peer.hello()
        limit = peer.router_max

        def call_of_size(n: int, request_id: int) -> bytes:
            base = encode("json", [CALL, request_id, {}, "com.example.nobody_home", [""]]).encode()
            pad = n - len(base)
            return encode("json", [CALL, request_id, {}, "com.example.nobody_home", ["x" * pad]]).encode()

        exact = call_of_size(limit, 1)
        assert len(exact) == limit
        await peer.send(exact)
        err = await peer.recv()
        assert err[:3] == [ERROR, CALL, 1] and err[4] == "wamp.error.no_such_procedure", err
        over = call_of_size(limit + 1, 2)
        await peer.send(over)
        got = await peer.expect_closed()
        assert got == b"" or b'"wamp.error.protocol_violation"' in got, \
            f"after a {len(over)}-octet message router sent {got[:200]!r}"
        await assert_rawsocket_serves(r.rawsocket_tcp)

    r = router_factory(rawsocket_tcp=True, extra_args=["--max-message-size", "65536"])
    run(scenario(r))


@pytest.mark.parametrize("serializer,bad", [
    ("json", b"this is not json"), ("json", b'["\xff\xfe not utf-8"]'), ("json", b"[999]"),
    ("msgpack", b"\x94\x30\x01\x80\xdb\xff\xff\xff\xff"), ("cbor", b"\x84\x18\x30\x01\xa0\x63\xff\xfe\xfd"),
], ids=["json_garbage", "json_invalid_utf8", "json_unknown_code", "msgpack_huge_length", "cbor_invalid_utf8"])
def test_bad_message_gets_abort_protocol_violation_then_close(rawsocket_router, serializer, bad):
    async def scenario():
        peer = await RawSocketPeer.joined(tcp(rawsocket_router), serializer=serializer)
        await peer.send(bad)
        await peer.expect_abort_and_close(sent=bad)
        await assert_rawsocket_serves(tcp(rawsocket_router), serializer)

    run(scenario())


# ---------------------------------------------------------------------------------------------
# The router never sends more than the client's LENGTH

BIG_ARG = "b" * 2048  # 2 KB: more than LENGTH 0 (512) and LENGTH 1 (1024) allow


@pytest.mark.parametrize("length", [0, 1])
def test_invocation_too_large_for_the_callee_is_payload_size_exceeded_for_the_caller(rawsocket_router, length):
    async def scenario():
        callee = await RawSocketPeer.joined(tcp(rawsocket_router), length=length)
        caller = await RawPeer.joined(rawsocket_router.url)
        proc = unique("com.rs.small_callee")
        await callee.register(proc)
        await caller.send([CALL, 11, {}, proc, [BIG_ARG]])
        err = await caller.recv()
        assert err[:3] == [ERROR, CALL, 11] and err[4] == "wamp.error.payload_size_exceeded", \
            f"a CALL whose INVOCATION exceeds the callee's {max_length(length)} octets: got {err!r}"
        # the callee got nothing and is still there: a small call reaches it
        await caller.send([CALL, 12, {}, proc, ["small"]])
        inv = await callee.recv()
        assert inv[0] == INVOCATION and inv[4] == ["small"], inv
        await callee.send([YIELD, inv[1], {}, ["ok"]])
        res = await caller.recv()
        assert res[:2] == [RESULT, 12] and res[3] == ["ok"], res
        await callee.close()
        await caller.close()

    run(scenario())


async def next_invocation(callee, refused_uri: str):
    """The callee's next INVOCATION. Before it, the router may tell the callee that its last
    YIELD was not delivered ([ERROR, YIELD, request, {}, refused_uri]); nothing else may come."""
    msg = await callee.recv()
    if msg[:2] == [ERROR, YIELD]:
        assert msg[4] == refused_uri, f"ERROR for the undelivered YIELD: {msg!r}"
        msg = await callee.recv()
    assert msg[0] == INVOCATION, f"expected INVOCATION, got {msg!r}"
    return msg


def test_result_too_large_for_the_caller_is_payload_size_exceeded_for_it(rawsocket_router):
    async def scenario():
        callee = await RawPeer.joined(rawsocket_router.url)
        caller = await RawSocketPeer.joined(tcp(rawsocket_router), length=1)
        proc = unique("com.rs.big_result")
        await callee.register(proc)
        await caller.send([CALL, 21, {}, proc, []])
        inv = await callee.recv_code(INVOCATION)
        await callee.send([YIELD, inv[1], {}, [BIG_ARG]])
        err = await caller.recv()
        assert err[:3] == [ERROR, CALL, 21] and err[4] == "wamp.error.payload_size_exceeded", \
            f"a RESULT over the caller's 1024 octets: got {err!r}"
        await caller.send([CALL, 22, {}, proc, []])
        inv = await next_invocation(callee, "wamp.error.payload_size_exceeded")
        await callee.send([YIELD, inv[1], {}, ["small"]])
        res = await caller.recv()
        assert res[:2] == [RESULT, 22] and res[3] == ["small"], res
        await callee.close()
        await caller.close()

    run(scenario())


def test_event_too_large_for_one_subscriber_skips_only_that_subscriber(rawsocket_router):
    """An EVENT over a subscriber's LENGTH is not sent to it; the others get it. With
    acknowledge the publisher learns of the skipped subscriber: ERROR
    wamp.error.payload_size_exceeded (the event still went to everybody else); without, nothing."""

    async def scenario():
        small = await RawSocketPeer.joined(tcp(rawsocket_router), length=1)
        large = await RawSocketPeer.joined(tcp(rawsocket_router), serializer="msgpack", length=15)
        ws = await RawPeer.joined(rawsocket_router.url)
        publisher = await RawPeer.joined(rawsocket_router.url, serializer="cbor")
        topic = unique("com.rs.big_event")
        for peer in (small, large, ws):
            await peer.subscribe(topic)
        await publisher.send([PUBLISH, 31, {"acknowledge": True}, topic, [BIG_ARG]])
        err = await publisher.recv()
        assert err[:3] == [ERROR, PUBLISH, 31] and err[4] == "wamp.error.payload_size_exceeded", \
            f"the acknowledging publisher of an event too large for one subscriber got {err!r}"
        await publisher.send([PUBLISH, 32, {}, topic, [BIG_ARG]])
        await publisher.send([PUBLISH, 33, {"acknowledge": True}, topic, ["small"]])
        ack = await publisher.recv()
        assert ack[:2] == [PUBLISHED, 33], ack
        for name, peer in (("large", large), ("ws", ws)):
            got = [(await peer.recv_code(EVENT))[4] for _ in range(3)]
            assert got == [[BIG_ARG], [BIG_ARG], ["small"]], f"{name} subscriber got {[str(g)[:20] for g in got]}"
        only = await small.recv_code(EVENT)
        assert only[4] == ["small"], f"the small subscriber got {only[:4]!r} {str(only[4])[:60]}"
        for peer in (small, large, ws, publisher):
            await peer.close()

    run(scenario())


# ---------------------------------------------------------------------------------------------
# No router PINGs on RawSocket (WebSocket peers do get the auto-ping)


async def ws_frames_for(host: str, port: int, seconds: float) -> list[int]:
    """A hand-made WebSocket session (upgrade, HELLO): the opcodes of every frame the router
    sends within `seconds` after WELCOME (no library in between that would answer pings)."""
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(UPGRADE_REQUEST)
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101"), head[:200]
    writer.write(masked_frame(0x1, json.dumps(HELLO_REALM1).encode()))
    opcodes = []
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            try:
                b0, b1 = await asyncio.wait_for(reader.readexactly(2), max(0.01, deadline - time.monotonic()))
            except TimeoutError:
                break
            n = b1 & 0x7F
            if n == 126:
                n = int.from_bytes(await reader.readexactly(2), "big")
            elif n == 127:
                n = int.from_bytes(await reader.readexactly(8), "big")
            await reader.readexactly(n)
            opcodes.append(b0 & 0x0F)
    finally:
        writer.close()
    return opcodes


def test_router_pings_websocket_peers_but_never_rawsocket_peers(router_factory):
    async def scenario(r):
        rs = await RawSocketPeer.joined(r.rawsocket_tcp)
        ws_opcodes, rs_frames = await asyncio.gather(ws_frames_for(r.host, r.port, 3.0), _frames_within(rs, 3.0))
        assert ws_opcodes[:1] == [0x1] and 0x9 in ws_opcodes, \
            f"--auto-ping-interval 1: the WebSocket peer got opcodes {ws_opcodes} in 3 s (expected WELCOME then a ping)"
        assert rs_frames == [], f"the router sent RawSocket frames {rs_frames} to an idle peer (PINGs?)"
        # the idle RawSocket session is still there
        proc = unique("com.rs.idle")
        await rs.register(proc)
        await rs.close()

    r = router_factory(rawsocket_tcp=True, extra_args=["--auto-ping-interval", "1"])
    run(scenario(r))


async def _frames_within(peer: RawSocketPeer, seconds: float) -> list:
    frames = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            frames.append(await peer.recv_frame(max(0.01, deadline - time.monotonic())))
        except AssertionError:
            break  # nothing within the time left
    return frames


# ---------------------------------------------------------------------------------------------
# Autobahn|Python's RawSocket client: RPC and pub/sub, TCP and Unix socket


async def _rpc_and_pubsub(open_session):
    callee, caller, sub, pub = [await open_session() for _ in range(4)]
    try:
        proc = unique("com.rs.autobahn.echo")
        await callee.register(lambda *a, **kw: CallResult(*a, **kw), proc)
        result = await caller.call(proc, 1, "two", b"\x00\xffbin", {"nested": [None, True, 0.1]}, k=2**53, u="\u2603")
        assert list(result.results) == [1, "two", b"\x00\xffbin", {"nested": [None, True, 0.1]}]
        assert result.kwresults == {"k": 2**53, "u": "\u2603"}
        with pytest.raises(ApplicationError) as info:
            await caller.call(unique("com.rs.autobahn.nobody"))
        assert info.value.error == "wamp.error.no_such_procedure"
        topic = unique("com.rs.autobahn.topic")
        got = asyncio.get_running_loop().create_future()
        await sub.subscribe(lambda *a, **kw: got.done() or got.set_result((a, kw)), topic)
        publication = await pub.publish(topic, "hello", b"\x01", options=ACK, n=3)
        assert is_id(publication.id)
        assert await asyncio.wait_for(got, 5) == (("hello", b"\x01"), {"n": 3})
    finally:
        await close_all(callee, caller, sub, pub)


@pytest.mark.parametrize("serializer", SERIALIZERS)
def test_autobahn_rawsocket_client_rpc_and_pubsub_over_tcp(rawsocket_router, serializer):
    host, port = tcp(rawsocket_router)
    run(_rpc_and_pubsub(lambda: rawsocket_session(host, port, serializer=serializer)))


@pytest.mark.parametrize("serializer", SERIALIZERS)
def test_autobahn_rawsocket_client_rpc_and_pubsub_over_unix_socket(rawsocket_router, serializer):
    path = rawsocket_router.rawsocket_unix
    run(_rpc_and_pubsub(lambda: rawsocket_session(unix_path=path, serializer=serializer)))


def test_autobahn_rawsocket_client_with_small_length_still_works(rawsocket_router):
    """Autobahn announcing 1024 octets (maxMessagePayloadSize): the session joins and small
    calls work; a result over its limit is an ERROR to it, never a message it cannot take."""

    async def scenario():
        host, port = tcp(rawsocket_router)
        callee = await rawsocket_session(host, port)
        caller = await rawsocket_session(host, port, serializer="msgpack", max_message_size=1024)
        try:
            proc = unique("com.rs.autobahn.sized")
            await callee.register(lambda n: "r" * n, proc)
            assert await caller.call(proc, 10) == "r" * 10
            # Autobahn maps the ERROR URI wamp.error.payload_size_exceeded to its own exception
            with pytest.raises(PayloadExceededError):
                await caller.call(proc, 4096)
            assert caller.is_attached()
            assert await caller.call(proc, 3) == "rrr"
            assert callee.is_attached(), "the Autobahn callee whose result was not delivered lost its session"
        finally:
            await close_all(callee, caller)

    run(scenario())


def test_raw_peer_over_the_unix_socket(rawsocket_router):
    async def scenario():
        path = rawsocket_router.rawsocket_unix
        for serializer in SERIALIZERS:
            await assert_rawsocket_serves(path, serializer)
        await assert_router_serves(rawsocket_router.url)

    run(scenario())


def test_rawsocket_and_websocket_sessions_share_the_realm(rawsocket_router):
    async def scenario():
        ws_callee = await RawPeer.joined(rawsocket_router.url)
        unix_caller = await RawSocketPeer.joined(rawsocket_router.rawsocket_unix, serializer="msgpack")
        proc = unique("com.rs.shared_realm")
        await ws_callee.register(proc)
        await unix_caller.send([CALL, 5, {}, proc, [1, "two"]])
        inv = await ws_callee.recv_code(INVOCATION)
        await ws_callee.send([YIELD, inv[1], {}, ["from ws"]])
        res = await unix_caller.recv()
        assert res[:2] == [RESULT, 5] and res[3] == ["from ws"], res
        await ws_callee.close()
        await unix_caller.close()

    run(scenario())
