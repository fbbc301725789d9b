"""WAMP over WebSocket with each serializer (issue 10), seen by raw peers that send exact bytes:
wamp.2.json in text frames, wamp.2.msgpack and wamp.2.cbor in binary frames; the subprotocol
the router picks among several offers (the first it supports, in the client's order); a frame of
the wrong kind for the session; malformed MessagePack and CBOR (ABORT
wamp.error.protocol_violation, then close, and the router keeps serving everybody)."""

from __future__ import annotations

import json

import cbor2
import msgpack
import pytest

from test_raw_protocol import BEFORE_HELLO_BAD_INPUTS, ESTABLISHED_BAD_INPUTS
from wamp_helpers import (
    CALL, ERROR, HELLO, HELLO_REALM1, RawPeer, assert_router_serves, autobahn_session, close_all,
    decode, encode, is_id, run, unique,
)

BINARY = ("msgpack", "cbor")


# ---------------------------------------------------------------------------------------------
# Handshake and subprotocol choice


@pytest.mark.parametrize("serializer", ["json", "msgpack", "cbor"])
def test_hello_gets_welcome_in_the_sessions_serializer_and_frame_kind(router, serializer):
    async def scenario():
        peer = await RawPeer.connect(router.url, serializer=serializer)
        assert peer.ws.subprotocol == f"wamp.2.{serializer}"
        await peer.send(HELLO_REALM1)
        raw = await peer.recv_raw()
        assert isinstance(raw, bytes if serializer in BINARY else str), \
            f"WELCOME on wamp.2.{serializer} came in a {'text' if isinstance(raw, str) else 'binary'} frame"
        welcome = decode(serializer, raw)
        assert len(welcome) == 3 and welcome[0] == 2 and is_id(welcome[1]), welcome
        roles = welcome[2]["roles"]
        assert isinstance(roles["broker"], dict) and isinstance(roles["dealer"], dict), welcome
        await peer.close()
        await assert_router_serves(router.url, serializer=serializer)

    run(scenario())


SUBPROTOCOL_ORDERS = {
    "cbor_then_json": (("wamp.2.cbor", "wamp.2.json"), "wamp.2.cbor"),
    "json_then_cbor": (("wamp.2.json", "wamp.2.cbor"), "wamp.2.json"),
    "msgpack_cbor_json": (("wamp.2.msgpack", "wamp.2.cbor", "wamp.2.json"), "wamp.2.msgpack"),
    "cbor_msgpack": (("wamp.2.cbor", "wamp.2.msgpack"), "wamp.2.cbor"),
    "unsupported_first_then_msgpack": (("wamp.2.ubjson", "wamp.2.msgpack", "wamp.2.json"), "wamp.2.msgpack"),
    "batched_first_then_cbor": (("wamp.2.cbor.batched", "wamp.2.cbor"), "wamp.2.cbor"),
    "unknown_first_then_json": (("foo", "wamp.2.flatbuffers", "wamp.2.json"), "wamp.2.json"),
}


@pytest.mark.parametrize("offer,chosen", list(SUBPROTOCOL_ORDERS.values()), ids=list(SUBPROTOCOL_ORDERS))
def test_router_picks_the_first_offered_subprotocol_it_supports(router, offer, chosen):
    async def scenario():
        peer = await RawPeer.connect(router.url, subprotocols=offer)
        assert peer.ws.subprotocol == chosen, f"offered {offer}: router chose {peer.ws.subprotocol}, expected {chosen}"
        await peer.hello()  # checks the frame kind and decodes with the chosen serializer
        await peer.close()

    run(scenario())


def test_autobahn_offering_every_serializer_gets_its_first_supported_one_cbor(router):
    """Autobahn|Python offers wamp.2.cbor.batched, wamp.2.cbor, wamp.2.msgpack.batched,
    wamp.2.msgpack, ..., wamp.2.json (serializers=None): batching is not supported, so the router
    must pick wamp.2.cbor; session ids stay distinct and calls work."""

    async def scenario():
        sessions = [await autobahn_session(router.url, serializers=None) for _ in range(3)]
        try:
            ids = [s._session_id for s in sessions]
            assert all(is_id(i) for i in ids), ids
            assert len(set(ids)) == 3, f"session ids not distinct: {ids}"
            assert {s._transport.websocket_protocol_in_use for s in sessions} == {"wamp.2.cbor"}
            proc = unique("com.ser.all_offered")
            await sessions[0].register(lambda b: b[::-1], proc)
            assert await sessions[1].call(proc, b"\x00\x01\xff") == b"\xff\x01\x00"
        finally:
            await close_all(*sessions)

    run(scenario())


# ---------------------------------------------------------------------------------------------
# A frame of the wrong kind for the session


@pytest.mark.parametrize("serializer", BINARY)
@pytest.mark.parametrize("when", ["established", "before_hello"])
def test_text_frame_on_a_binary_session_gets_the_same_answer_as_binary_on_json(router, serializer, when):
    """The router answers a binary frame on wamp.2.json with ABORT protocol_violation and a close
    code (measured here); a text frame on wamp.2.msgpack / wamp.2.cbor must get the same shape:
    ABORT (in the session's serializer, so a binary frame) and the same close code."""

    async def scenario():
        json_peer = await RawPeer.joined(router.url)
        await json_peer.send(json.dumps([CALL, 1, {}, "com.example.a"]).encode())
        _msg, json_code = await json_peer.expect_abort_and_close(sent="a binary frame on wamp.2.json")

        if when == "established":
            peer = await RawPeer.joined(router.url, serializer=serializer)
            text = json.dumps([CALL, 1, {}, "com.example.a"])
        else:
            peer = await RawPeer.connect(router.url, serializer=serializer)
            text = json.dumps(HELLO_REALM1)
        await peer.send(text)
        _msg, code = await peer.expect_abort_and_close(sent=f"a text frame on wamp.2.{serializer}")
        assert code == json_code, \
            f"text frame on wamp.2.{serializer} closed with {code}; binary on wamp.2.json closes with {json_code}"
        await assert_router_serves(router.url, serializer=serializer)

    run(scenario())


# ---------------------------------------------------------------------------------------------
# The JSON suite's bad inputs, encoded in MessagePack and CBOR


def _structural(inputs: dict) -> dict:
    """The bad inputs that are valid JSON (wrong WAMP structure, not wrong JSON): as values, to be
    encoded in each binary serializer."""
    out = {}
    for name, text in inputs.items():
        if isinstance(text, bytes):
            continue
        try:
            out[name] = json.loads(text)
        except ValueError:
            continue
    return out


ESTABLISHED_STRUCTURAL = _structural(ESTABLISHED_BAD_INPUTS)
BEFORE_HELLO_STRUCTURAL = _structural(BEFORE_HELLO_BAD_INPUTS)


@pytest.mark.parametrize("serializer", BINARY)
@pytest.mark.parametrize("name", list(ESTABLISHED_STRUCTURAL))
def test_bad_message_in_established_binary_session_is_protocol_violation(router, serializer, name):
    async def scenario():
        peer = await RawPeer.joined(router.url, serializer=serializer)
        bad = encode(serializer, ESTABLISHED_STRUCTURAL[name])
        await peer.send(bad)
        await peer.expect_abort_and_close(sent=f"{name} in {serializer}: {bad!r}")
        await assert_router_serves(router.url, serializer=serializer)

    run(scenario())


@pytest.mark.parametrize("serializer", BINARY)
@pytest.mark.parametrize("name", list(BEFORE_HELLO_STRUCTURAL))
def test_bad_message_before_hello_in_binary_session_is_protocol_violation(router, serializer, name):
    async def scenario():
        peer = await RawPeer.connect(router.url, serializer=serializer)
        bad = encode(serializer, BEFORE_HELLO_STRUCTURAL[name])
        await peer.send(bad)
        await peer.expect_abort_and_close(sent=f"{name} in {serializer}: {bad!r}")
        await assert_router_serves(router.url, serializer=serializer)

    run(scenario())


# ---------------------------------------------------------------------------------------------
# Malformed MessagePack and CBOR

DEEP = 100_000  # nesting levels: far past any sane decoder depth limit, ~100 KB on the wire


def _mp(*parts) -> bytes:
    """Concatenate literal MessagePack octets and values packed with msgpack."""
    return b"".join(p if isinstance(p, bytes) else msgpack.packb(p, use_bin_type=True) for p in parts)


def _cb(*parts) -> bytes:
    return b"".join(p if isinstance(p, bytes) else cbor2.dumps(p) for p in parts)


CALL_PREFIX_MP = _mp(b"\x95", CALL, 1, {}, "com.example.a")  # [48, 1, {}, "com.example.a", <args>]
CALL_PREFIX_CB = _cb(b"\x85", CALL, 1, {}, "com.example.a")

MALFORMED = {
    "msgpack": {
        "truncated": msgpack.packb([CALL, 1, {}, "com.example.a", [1, 2, 3]])[:-4],
        "truncated_inside_header": b"\x94\x30\x01\x80\xdb\x00\x00",
        "invalid_utf8_in_procedure": _mp(b"\x94", CALL, 1, {}, b"\xa3\xff\xfe\xfd"),
        "invalid_utf8_in_args": CALL_PREFIX_MP + b"\x91\xa3\xff\xfe\xfd",
        "invalid_utf8_in_options_key": _mp(b"\x94", CALL, 1, b"\x81\xa2\xc3\x28", 1, "com.example.a"),
        "huge_str32_length": _mp(b"\x94", CALL, 1, {}, b"\xdb\xff\xff\xff\xffabc"),
        "huge_array32_length": b"\xdd\xff\xff\xff\xff\x30\x01",
        "huge_map32_in_options": _mp(b"\x94", CALL, 1, b"\xdf\xff\xff\xff\xff"),
        "huge_bin32_in_args": CALL_PREFIX_MP + b"\x91\xc6\xff\xff\xff\xff\x00",
        "deep_nesting_in_args": CALL_PREFIX_MP + b"\x91" * DEEP + b"\xc0",
        "deep_nesting_in_options": _mp(b"\x94", CALL, 1) + b"\x81\xa1k" * DEEP + b"\xc0" + _mp("com.example.a"),
        "never_used_type_0xc1": _mp(b"\x94", CALL, 1, {}) + b"\xc1",
        "trailing_octets_after_the_message": msgpack.packb([CALL, 1, {}, "com.example.a"]) + b"\x01",
        "options_map_with_integer_key": _mp(b"\x94", CALL, 1, b"\x81\x01\xa1x", "com.example.a"),
        "integer_map_key_in_args": CALL_PREFIX_MP + b"\x91\x81\x01\xa1x",  # WAMP dict keys are strings
        "top_level_map": msgpack.packb({"48": 1}),
        "top_level_integer": msgpack.packb(48),
        "empty_frame": b"",
    },
    "cbor": {
        "truncated": cbor2.dumps([CALL, 1, {}, "com.example.a", [1, 2, 3]])[:-4],
        "truncated_inside_header": b"\x84\x18\x30\x01\xa0\x7b\x00\x00",
        "invalid_utf8_in_procedure": _cb(b"\x84", CALL, 1, {}, b"\x63\xff\xfe\xfd"),
        "invalid_utf8_in_args": CALL_PREFIX_CB + b"\x81\x63\xff\xfe\xfd",
        "invalid_utf8_in_options_key": _cb(b"\x84", CALL, 1, b"\xa1\x62\xc3\x28", 1, "com.example.a"),
        "huge_text_length": _cb(b"\x84", CALL, 1, {}, b"\x7b\xff\xff\xff\xff\xff\xff\xff\xffabc"),
        "huge_array_length": b"\x9b\xff\xff\xff\xff\xff\xff\xff\xff\x18\x30\x01",
        "huge_map_in_options": _cb(b"\x84", CALL, 1, b"\xbb\xff\xff\xff\xff\xff\xff\xff\xff"),
        "huge_bytes_in_args": CALL_PREFIX_CB + b"\x81\x5b\xff\xff\xff\xff\xff\xff\xff\xff\x00",
        "deep_nesting_in_args": CALL_PREFIX_CB + b"\x81" * DEEP + b"\xf6",
        "deep_nesting_in_options": _cb(b"\x84", CALL, 1) + b"\xa1\x61k" * DEEP + b"\xf6" + _cb("com.example.a"),
        "indefinite_array_without_break": _cb(b"\x9f", CALL, 1, {}, "com.example.a"),
        "break_outside_indefinite_item": _cb(b"\x84", CALL, 1, {}) + b"\xff",
        "reserved_additional_info_28": _cb(b"\x84", CALL, 1, {}) + b"\x1c",
        "tagged_message_code": _cb(b"\x84\xc1", CALL, 1, {}, "com.example.a"),
        "trailing_octets_after_the_message": cbor2.dumps([CALL, 1, {}, "com.example.a"]) + b"\x01",
        "options_map_with_integer_key": _cb(b"\x84", CALL, 1, b"\xa1\x01\x61x", "com.example.a"),
        "top_level_map": cbor2.dumps({"48": 1}),
        "top_level_integer": cbor2.dumps(48),
        "empty_frame": b"",
    },
}

MALFORMED_CASES = [(ser, name) for ser, cases in MALFORMED.items() for name in cases]


@pytest.mark.parametrize("serializer,name", MALFORMED_CASES, ids=[f"{s}-{n}" for s, n in MALFORMED_CASES])
def test_malformed_binary_message_is_protocol_violation_and_router_stays_up(router, serializer, name):
    async def scenario():
        peer = await RawPeer.joined(router.url, serializer=serializer)
        bad = MALFORMED[serializer][name]
        await peer.send(bad)
        await peer.expect_abort_and_close(sent=f"{serializer} {name} ({len(bad)} octets: {bad[:40]!r})")
        await assert_router_serves(router.url, serializer=serializer)
        await assert_router_serves(router.url)

    run(scenario())


@pytest.mark.parametrize("serializer", BINARY)
def test_malformed_hello_is_protocol_violation(router, serializer):
    async def scenario():
        peer = await RawPeer.connect(router.url, serializer=serializer)
        bad = encode(serializer, [HELLO, "realm1", {"roles": {"caller": {}}}])[:-3]
        await peer.send(bad)
        await peer.expect_abort_and_close(sent=f"a truncated {serializer} HELLO")
        await assert_router_serves(router.url, serializer=serializer)

    run(scenario())


# ---------------------------------------------------------------------------------------------
# Request errors keep the session, in every serializer


@pytest.mark.parametrize("serializer", BINARY)
def test_error_reply_shape_in_binary_serializers(router, serializer):
    async def scenario():
        peer = await RawPeer.joined(router.url, serializer=serializer)
        await peer.send([CALL, 17, {}, unique("com.example.nobody"), [1, b"\x00bin"], {"k": "v"}])
        err = await peer.recv()
        assert err[:3] == [ERROR, CALL, 17] and isinstance(err[3], dict) and err[4] == "wamp.error.no_such_procedure", err
        await peer.send([CALL, 18, {}, "com.example..bad"])
        err = await peer.recv()
        assert err[:3] == [ERROR, CALL, 18] and err[4] == "wamp.error.invalid_uri", err
        await peer.close()
        await assert_router_serves(router.url, serializer=serializer)

    run(scenario())
