"""Raw WAMP peers (PyPI `websockets`) sending exact bytes and checking exact replies: the session
handshake, every kind of bad input (ABORT wamp.error.protocol_violation, then close), the
WebSocket-level rules the router must keep, and that the router stays up for everyone else."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from wamp_helpers import (
    CALL, ERROR, EVENT, GOODBYE, HELLO_REALM1, INVOCATION, MAX_ID, PUBLISH, PUBLISHED, REGISTER,
    RESULT, SUBSCRIBE, UNREGISTER, UNREGISTERED, UNSUBSCRIBE, UNSUBSCRIBED, YIELD, RawPeer,
    assert_router_serves, is_id, run, unique,
)

# ---------------------------------------------------------------------------------------------
# Handshake


def test_hello_gets_welcome_with_session_id_and_router_roles(router):
    async def scenario():
        peer = await RawPeer.connect(router.url)
        assert peer.ws.subprotocol == "wamp.2.json"
        await peer.send(HELLO_REALM1)
        msg = await peer.recv()
        assert len(msg) == 3 and msg[0] == 2, f"expected [2, <session>, {{roles}}], got {msg!r}"
        assert is_id(msg[1]), f"session id {msg[1]!r} not an integer in [1, 2^53]"
        roles = msg[2]["roles"]
        assert isinstance(roles["broker"], dict) and isinstance(roles["dealer"], dict), msg
        await peer.close()

    run(scenario())


def test_router_picks_wamp_2_json_after_unsupported_offers(router):
    """The order among supported serializers is checked in test_serializers_websocket.py."""

    async def scenario():
        peer = await RawPeer.connect(router.url, subprotocols=("wamp.2.ubjson", "foo", "wamp.2.json"))
        assert peer.ws.subprotocol == "wamp.2.json"
        await peer.hello()
        await peer.close()

    run(scenario())


def test_session_ids_differ_between_sessions(router):
    async def scenario():
        peers = [await RawPeer.joined(router.url) for _ in range(5)]
        ids = [p.session_id for p in peers]
        assert len(set(ids)) == 5, ids
        for p in peers:
            await p.close()

    run(scenario())


def test_goodbye_gets_goodbye_and_out_and_transport_is_closed_or_reusable(router):
    """GOODBYE is echoed with wamp.close.goodbye_and_out. Afterwards the router either closes the
    WebSocket normally or keeps it for a new session (the spec allows both): a second HELLO on the
    same transport then gets a WELCOME with a new session id."""

    async def scenario():
        peer = await RawPeer.joined(router.url)
        first_id = peer.session_id
        await peer.send([GOODBYE, {}, "wamp.close.normal"])
        msg = await peer.recv()
        assert len(msg) == 3 and msg[0] == GOODBYE and isinstance(msg[1], dict) \
            and msg[2] == "wamp.close.goodbye_and_out", f"expected [6, {{}}, 'wamp.close.goodbye_and_out'], got {msg!r}"
        try:
            await asyncio.sleep(0.2)
            await peer.hello()
        except ConnectionClosed as e:
            code = e.rcvd.code if e.rcvd is not None else None
            assert code in (1000, 1001), f"after GOODBYE the router closed with code {code}, expected 1000"
        else:
            assert peer.session_id != first_id, "the new session on the reused transport kept the old id"
            await assert_router_serves(router.url)
            await peer.close()

    run(scenario())


def test_unknown_realm_hello_is_aborted_with_no_such_realm(router):
    async def scenario():
        peer = await RawPeer.connect(router.url)
        await peer.send([1, "com.example.no_such_realm", {"roles": {"caller": {}}}])
        await peer.expect_abort_and_close("wamp.error.no_such_realm")
        await assert_router_serves(router.url)

    run(scenario())


def test_both_configured_realms_accept_sessions(router):
    async def scenario():
        for realm in ("realm1", "realm2"):
            peer = await RawPeer.joined(router.url, realm)
            await peer.close()
        await assert_router_serves(router.url, "realm2")

    run(scenario())


# ---------------------------------------------------------------------------------------------
# Protocol violations: ABORT wamp.error.protocol_violation + close, router stays up

ESTABLISHED_BAD_INPUTS = {
    "text_not_json": "this is not json",
    "truncated_json": '[48, 1, {}, "com.example.a"',
    "json_object_not_array": "{}",
    "json_number_not_array": "42",
    "json_string_not_array": '"hello"',
    "json_null": "null",
    "empty_array": "[]",
    "unknown_message_code": "[999]",
    "message_code_is_string": '["48", 1, {}, "com.example.a"]',
    "client_sends_welcome": "[2, 1, {}]",
    "client_sends_event": "[36, 1, 2, {}]",
    "client_sends_invocation": "[68, 1, 1, {}]",
    "client_sends_result": "[50, 1, {}]",
    "client_sends_registered": "[65, 1, 1]",
    "client_sends_subscribed": "[33, 1, 1]",
    "client_sends_published": "[17, 1, 1]",
    "client_sends_unregistered": "[67, 1]",
    "client_sends_unsubscribed": "[35, 1]",
    "call_request_id_is_string": '[48, "x", {}, "com.a"]',
    "call_missing_procedure": "[48, 1, {}]",
    "call_request_id_zero": '[48, 0, {}, "com.a"]',
    "call_request_id_2p53_plus_1": '[48, 9007199254740993, {}, "com.a"]',
    "call_request_id_negative": '[48, -1, {}, "com.a"]',
    "call_request_id_float": '[48, 1.5, {}, "com.a"]',
    "call_options_is_list": '[48, 1, [], "com.a"]',
    "call_procedure_is_number": "[48, 1, {}, 42]",
    "call_args_not_list": '[48, 1, {}, "com.a", {"x": 1}]',
    "call_kwargs_not_object": '[48, 1, {}, "com.a", [], [1]]',
    "call_too_many_fields": '[48, 1, {}, "com.a", [], {}, "extra"]',
    "subscribe_options_is_list": '[32, 1, [], "t"]',
    "subscribe_topic_is_null": "[32, 1, {}, null]",
    "publish_request_id_zero": '[16, 0, {}, "com.a"]',
    "publish_args_not_list": '[16, 1, {}, "com.a", "notalist"]',
    "register_procedure_is_object": "[64, 1, {}, {}]",
    "register_missing_procedure": "[64, 1, {}]",
    "unregister_registration_is_string": '[66, 1, "r"]',
    "unsubscribe_subscription_is_string": '[34, 1, "s"]',
    "yield_request_id_is_string": '[70, "x", {}]',
    "goodbye_reason_is_number": "[6, {}, 1]",
    "second_hello_after_welcome": json.dumps(HELLO_REALM1),
    "binary_frame": b'[48, 1, {}, "com.example.a"]',
}


@pytest.mark.parametrize("bad", list(ESTABLISHED_BAD_INPUTS.values()), ids=list(ESTABLISHED_BAD_INPUTS))
def test_bad_input_in_established_session_is_protocol_violation(router, bad):
    async def scenario():
        peer = await RawPeer.joined(router.url)
        await peer.send(bad)
        await peer.expect_abort_and_close(sent=bad)
        await assert_router_serves(router.url)

    run(scenario())


BEFORE_HELLO_BAD_INPUTS = {
    "call_before_hello": '[48, 1, {}, "com.example.a"]',
    "register_before_hello": '[64, 1, {}, "com.example.a"]',
    "publish_before_hello": '[16, 1, {}, "com.example.a"]',
    "goodbye_before_hello": '[6, {}, "wamp.close.normal"]',
    "text_not_json_before_hello": "hello?",
    "hello_missing_details": '[1, "realm1"]',
    "hello_details_not_object": '[1, "realm1", []]',
    "hello_realm_not_string": "[1, 42, {}]",
    "binary_hello": json.dumps(HELLO_REALM1).encode(),
}


@pytest.mark.parametrize("bad", list(BEFORE_HELLO_BAD_INPUTS.values()), ids=list(BEFORE_HELLO_BAD_INPUTS))
def test_bad_input_before_hello_is_protocol_violation(router, bad):
    async def scenario():
        peer = await RawPeer.connect(router.url)
        await peer.send(bad)
        await peer.expect_abort_and_close(sent=bad)
        await assert_router_serves(router.url)

    run(scenario())


def test_call_request_id_reused_while_pending_is_protocol_violation(router):
    async def scenario():
        callee = await RawPeer.joined(router.url)
        caller = await RawPeer.joined(router.url)
        proc = unique("com.example.never_yields")
        await callee.register(proc)
        await caller.send([CALL, 1, {}, proc, [1]])
        inv = await callee.recv_code(INVOCATION)  # the first call is now pending at the callee
        reused = [CALL, 1, {}, proc, [2]]
        await caller.send(reused)
        await caller.expect_abort_and_close(sent=reused)
        # the callee is unaffected: its session still works, and a late YIELD does no harm
        await callee.send([YIELD, inv[1], {}, ["late"]])
        await callee.send([UNREGISTER, 99, 1])  # unknown registration: an ERROR, not an ABORT
        err = await callee.recv()
        assert err[:3] == [ERROR, UNREGISTER, 99] and err[4] == "wamp.error.no_such_registration", err
        await callee.close()
        await assert_router_serves(router.url)

    run(scenario())


def test_call_request_ids_may_be_reused_after_completion(router):
    async def scenario():
        callee = await RawPeer.joined(router.url)
        caller = await RawPeer.joined(router.url)
        proc = unique("com.example.echo_once")
        await callee.register(proc)
        for round_ in range(3):
            await caller.send([CALL, 5, {}, proc, [round_]])
            inv = await callee.recv_code(INVOCATION)
            await callee.send([YIELD, inv[1], {}, inv[4]])
            res = await caller.recv()
            assert res[:2] == [RESULT, 5] and res[3] == [round_], res
        await callee.close()
        await caller.close()

    run(scenario())


def test_yield_for_unknown_request_does_not_hurt_the_router(router):
    async def scenario():
        callee = await RawPeer.joined(router.url)
        await callee.send([YIELD, 123456, {}, ["nobody asked"]])
        # the router may ignore it or abort this session; either way it must keep serving others
        try:
            reply = await callee.recv(timeout=1.0)
            assert reply[0] in (3, 8), f"unexpected reply to a stray YIELD: {reply!r}"
        except (TimeoutError, ConnectionClosed):
            pass
        await assert_router_serves(router.url)
        await callee.close()

    run(scenario())


def test_invalid_utf8_text_frame_closes_with_1007(router):
    async def scenario():
        peer = await RawPeer.joined(router.url)
        await peer.ws.send(b'["\xff\xfe not utf-8"]', text=True)
        code, _extra = await peer.expect_closed()
        assert code == 1007, f"expected close code 1007 for invalid UTF-8 in a text frame, got {code}"
        await assert_router_serves(router.url)

    run(scenario())


# ---------------------------------------------------------------------------------------------
# Request errors that keep the session (ERROR replies)

INVALID_URIS = ["com.example..double_dot", "com.example.with space", "com.example.", ".com.example",
                "com.example.ha#sh", ""]


@pytest.mark.parametrize("uri", INVALID_URIS, ids=lambda u: repr(u))
@pytest.mark.parametrize("code", [REGISTER, CALL, SUBSCRIBE, PUBLISH],
                         ids=["register", "call", "subscribe", "publish_ack"])
def test_invalid_uri_gets_error_invalid_uri_and_session_stays(router, code, uri):
    async def scenario():
        peer = await RawPeer.joined(router.url)
        options = {"acknowledge": True} if code == PUBLISH else {}
        sent = [code, 11, options, uri]
        await peer.send(sent)
        err = await peer.recv()
        assert len(err) >= 5 and err[:3] == [ERROR, code, 11] and isinstance(err[3], dict) \
            and err[4] == "wamp.error.invalid_uri", \
            f"sent {sent!r}: expected [8, {code}, 11, {{}}, 'wamp.error.invalid_uri'], got {err!r}"
        # the same session still works
        proc = unique("com.example.after_invalid_uri")
        await peer.register(proc)
        await peer.send([CALL, 12, {}, proc, ["x"]])
        inv = await peer.recv_code(INVOCATION)
        await peer.send([YIELD, inv[1], {}, ["y"]])
        res = await peer.recv()
        assert res[:2] == [RESULT, 12] and res[3] == ["y"], res
        await peer.close()

    run(scenario())


@pytest.mark.parametrize("code", [REGISTER, PUBLISH], ids=["register", "publish_ack"])
def test_reserved_wamp_prefix_gets_invalid_uri(router, code):
    async def scenario():
        peer = await RawPeer.joined(router.url)
        options = {"acknowledge": True} if code == PUBLISH else {}
        sent = [code, 21, options, unique("wamp.example")]
        await peer.send(sent)
        err = await peer.recv()
        assert len(err) >= 5 and err[:3] == [ERROR, code, 21] and err[4] == "wamp.error.invalid_uri", \
            f"sent {sent!r}: expected [8, {code}, 21, {{}}, 'wamp.error.invalid_uri'], got {err!r}"
        await peer.register(unique("com.example.after_reserved"))
        await peer.close()

    run(scenario())


def test_call_unknown_procedure_gets_no_such_procedure(router):
    async def scenario():
        peer = await RawPeer.joined(router.url)
        await peer.send([CALL, 31, {}, unique("com.example.nobody"), [1]])
        err = await peer.recv()
        assert len(err) >= 5 and err[:3] == [ERROR, CALL, 31] and err[4] == "wamp.error.no_such_procedure", err
        await peer.close()

    run(scenario())


def test_register_existing_procedure_gets_procedure_already_exists(router):
    async def scenario():
        a = await RawPeer.joined(router.url)
        b = await RawPeer.joined(router.url)
        proc = unique("com.example.taken")
        await a.register(proc)
        await b.send([REGISTER, 41, {}, proc])
        err = await b.recv()
        assert len(err) >= 5 and err[:3] == [ERROR, REGISTER, 41] \
            and err[4] == "wamp.error.procedure_already_exists", err
        await a.close()
        await b.close()

    run(scenario())


def test_unregister_and_unsubscribe_unknown_ids_get_errors(router):
    async def scenario():
        peer = await RawPeer.joined(router.url)
        await peer.send([UNREGISTER, 51, 987654321])
        err = await peer.recv()
        assert err[:3] == [ERROR, UNREGISTER, 51] and err[4] == "wamp.error.no_such_registration", err
        await peer.send([UNSUBSCRIBE, 52, 987654321])
        err = await peer.recv()
        assert err[:3] == [ERROR, UNSUBSCRIBE, 52] and err[4] == "wamp.error.no_such_subscription", err
        await peer.close()

    run(scenario())


def test_unregister_and_unsubscribe_round_trip(router):
    async def scenario():
        peer = await RawPeer.joined(router.url)
        reg = await peer.register(unique("com.example.unreg"))
        await peer.send([UNREGISTER, 61, reg])
        assert await peer.recv() == [UNREGISTERED, 61]
        sub = await peer.subscribe(unique("com.example.unsub"))
        await peer.send([UNSUBSCRIBE, 62, sub])
        assert await peer.recv() == [UNSUBSCRIBED, 62]
        await peer.close()

    run(scenario())


def test_publish_event_exact_shape_and_binary_string_passthrough(router):
    async def scenario():
        sub = await RawPeer.joined(router.url)
        pub = await RawPeer.joined(router.url)
        topic = unique("com.example.raw_event")
        sub_id = await sub.subscribe(topic)
        args = ["\u0000AAECAw==", 2**53, 0.1, 1e100, None, [], {}, "\u2603\U0001F600"]
        kwargs = {"nested": {"a": [1, {"b": None}]}, "nul": "\u0000AA=="}
        await pub.send([PUBLISH, 71, {"acknowledge": True}, topic, args, kwargs])
        ack = await pub.recv()
        assert len(ack) == 3 and ack[:2] == [PUBLISHED, 71] and is_id(ack[2]), ack
        ev = await sub.recv()
        assert len(ev) == 6 and ev[0] == EVENT and ev[1] == sub_id and ev[2] == ack[2] \
            and isinstance(ev[3], dict) and ev[4] == args and ev[5] == kwargs, \
            f"expected [36, {sub_id}, {ack[2]}, {{}}, args, kwargs], got {ev!r}"
        # no arguments at all: EVENT has no Arguments element
        await pub.send([PUBLISH, 72, {"acknowledge": True}, topic])
        ack2 = await pub.recv()
        ev2 = await sub.recv()
        assert ev2[:3] == [EVENT, sub_id, ack2[2]] and len(ev2) == 4, ev2
        await sub.close()
        await pub.close()

    run(scenario())


def test_numbers_are_forwarded_without_loss(router):
    """Integers up to 2^53 and beyond, and floats, are forwarded by value (no rounding)."""

    async def scenario():
        callee = await RawPeer.joined(router.url)
        caller = await RawPeer.joined(router.url)
        proc = unique("com.example.numbers")
        await callee.register(proc)
        values = [0, -1, 2**53, 2**53 + 1, 2**63 - 1, -(2**63), 0.1, 1e100, 5e-324, 1.7976931348623157e308, -0.5]
        await caller.send([CALL, 81, {}, proc, values])
        inv = await callee.recv_code(INVOCATION)
        assert inv[4] == values and [type(v) for v in inv[4]] == [type(v) for v in values], inv[4]
        await callee.send([YIELD, inv[1], {}, inv[4]])
        res = await caller.recv()
        assert res[3] == values and [type(v) for v in res[3]] == [type(v) for v in values], res
        await callee.close()
        await caller.close()

    run(scenario())


# ---------------------------------------------------------------------------------------------
# WebSocket / HTTP level


@pytest.mark.parametrize("subprotocols", [("foo",), None, ("wamp.2.ubjson", "wamp.2.flatbuffers")],
                         ids=["foo_only", "no_subprotocol_header", "unsupported_wamp_serializers"])
def test_upgrade_without_a_supported_wamp_subprotocol_is_refused_with_400(router, subprotocols):
    async def scenario():
        with pytest.raises(InvalidStatus) as info:
            await RawPeer.connect(router.url, subprotocols=subprotocols)
        assert info.value.response.status_code == 400
        await assert_router_serves(router.url)

    run(scenario())


def test_plain_http_get_names_router_and_realms(router):
    with urllib.request.urlopen(router.http_url, timeout=5) as resp:
        assert resp.status == 200
        body = resp.read().decode("utf-8", "replace")
    assert "realm1" in body and "realm2" in body, f"GET / body does not name the realms: {body[:500]!r}"


def test_ping_gets_pong(router):
    async def scenario():
        peer = await RawPeer.joined(router.url)
        for payload in (b"", b"ping-1", bytes(range(125))):
            waiter = await peer.ws.ping(payload)
            latency = await asyncio.wait_for(waiter, 5)
            assert latency >= 0
        await peer.close()

    run(scenario())


def test_compression_offer_does_not_break_the_session(router):
    async def scenario():
        callee = await RawPeer.joined(router.url, compression="deflate")
        caller = await RawPeer.joined(router.url, compression="deflate")
        proc = unique("com.example.deflate_raw")
        await callee.register(proc)
        big = "wamp " * 200000
        await caller.send([CALL, 91, {}, proc, [big]])
        inv = await callee.recv_code(INVOCATION)
        assert inv[4] == [big]
        await callee.send([YIELD, inv[1], {}, [len(inv[4][0])]])
        res = await caller.recv()
        assert res[:2] == [RESULT, 91] and res[3] == [len(big)], res
        await callee.close()
        await caller.close()

    run(scenario())


def test_fragmented_message_is_reassembled(router):
    async def scenario():
        callee = await RawPeer.joined(router.url)
        caller = await RawPeer.joined(router.url)
        proc = unique("com.example.fragments")
        await callee.register(proc)
        text = json.dumps([CALL, 95, {}, proc, ["fragmented \u2603 message", list(range(1000))]])
        # split inside a multi-byte character on purpose: frames are reassembled before decoding
        await caller.ws.send([text[i:i + 7] for i in range(0, len(text), 7)])
        inv = await callee.recv_code(INVOCATION)
        assert inv[4] == ["fragmented \u2603 message", list(range(1000))]
        await callee.send([YIELD, inv[1], {}, ["ok"]])
        assert (await caller.recv())[:2] == [RESULT, 95]
        await callee.close()
        await caller.close()

    run(scenario())


def test_message_over_16_mib_is_closed_with_1009(router):
    async def scenario():
        peer = await RawPeer.joined(router.url)
        payload = json.dumps([CALL, 1, {}, "com.example.too_big", ["x" * (16 * 1024 * 1024 + 1024)]])
        try:
            await peer.ws.send(payload)
        except ConnectionClosed:
            pass
        code, _extra = await peer.expect_closed(timeout=10)
        assert code == 1009, f"expected close code 1009 (message too big), got {code}"
        await assert_router_serves(router.url)

    run(scenario(), timeout=60)


def test_message_just_under_16_mib_is_accepted(router):
    async def scenario():
        callee = await RawPeer.joined(router.url)
        caller = await RawPeer.joined(router.url)
        proc = unique("com.example.almost_too_big")
        await callee.register(proc)
        blob = "y" * (16 * 1024 * 1024 - 4096)
        await caller.send([CALL, 97, {}, proc, [blob]])
        inv = await callee.recv_code(INVOCATION, timeout=20)
        assert len(inv[4][0]) == len(blob)
        await callee.send([YIELD, inv[1], {}, [len(inv[4][0])]])
        res = await caller.recv(timeout=20)
        assert res[:2] == [RESULT, 97] and res[3] == [len(blob)], res[:4]
        await callee.close()
        await caller.close()

    run(scenario(), timeout=90)


def test_abrupt_tcp_drop_cleans_up_registration(router):
    async def scenario():
        callee = await RawPeer.joined(router.url)
        proc = unique("com.example.dropped")
        await callee.register(proc)
        callee.ws.transport.abort()  # no GOODBYE, no close frame
        caller = await RawPeer.joined(router.url)
        for attempt in range(50):
            await caller.send([CALL, 100 + attempt, {}, proc])
            err = await caller.recv()
            if err[0] == ERROR and err[4] == "wamp.error.no_such_procedure":
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"registration of a dropped session still answered: {err!r}")
        # and the procedure can be registered again by someone else
        other = await RawPeer.joined(router.url)
        await other.register(proc)
        await caller.close()
        await other.close()

    run(scenario())


def test_many_sessions_at_once(router):
    async def scenario():
        peers = await asyncio.gather(*[RawPeer.joined(router.url) for _ in range(100)])
        topic = unique("com.example.many")
        for p in peers:
            await p.subscribe(topic)
        pub = await RawPeer.joined(router.url)
        await pub.send([PUBLISH, 1, {}, topic, ["all"]])
        events = await asyncio.gather(*[p.recv() for p in peers])
        assert all(e[0] == EVENT and e[4] == ["all"] for e in events)
        for p in peers + [pub]:
            await p.close()

    run(scenario())


def test_ids_in_range(router):
    async def scenario():
        peer = await RawPeer.joined(router.url)
        assert 1 <= peer.session_id <= MAX_ID
        reg = await peer.register(unique("com.example.idrange"))
        sub = await peer.subscribe(unique("com.example.idrange"))
        assert is_id(reg) and is_id(sub)
        await peer.close()

    run(scenario())
