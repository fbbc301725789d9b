"""Transports and serializers from the config file (issue 10), in Crossbar's words:
interop/configs/transports.json has a WebSocket transport with every serializer, one without
MessagePack, a RawSocket transport on TCP and one on a Unix socket without JSON. `check-config`
accepts it and names mistakes by path; a started router serves exactly the serializers each
transport lists."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus

from auth_helpers import IMPL
from rawsocket_peer import ERR_SERIALIZER_UNSUPPORTED, MAGIC, RawSocketPeer, assert_rawsocket_serves, handshake
from test_auth_check_config import assert_refused, check, write
from wamp_helpers import CALL, INVOCATION, RESULT, YIELD, RawPeer, autobahn_session, close_all, run, unique

TRANSPORTS_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "transports.json"
W = "workers[0]"
WS_ALL, WS_NO_MSGPACK, RS_TCP = 0, 1, 2  # transport indexes among the TCP ports (the Unix one has none)


def transports_config() -> dict:
    return json.loads(TRANSPORTS_CONFIG.read_text())


@pytest.fixture
def transports_router(configured_router_factory):
    return configured_router_factory("transports", TRANSPORTS_CONFIG)


def test_check_config_accepts_websocket_and_rawsocket_transports(tmp_path):
    r = check(write(tmp_path, transports_config()))
    assert r.returncode == 0, f"transports.json refused (exit {r.returncode}):\n{r.stderr}{r.stdout}"
    if IMPL == "ours":
        assert "4 transports" in r.stdout, r.stdout


def _unknown_serializer(c):
    c["workers"][0]["transports"][2]["serializers"] = ["json", "xml"]


def _unix_without_path(c):
    del c["workers"][0]["transports"][3]["endpoint"]["path"]


def _rawsocket_unknown_endpoint_type(c):
    c["workers"][0]["transports"][2]["endpoint"]["type"] = "udp"


def _websocket_unknown_serializer(c):
    c["workers"][0]["transports"][1]["serializers"] = ["ubjson"]


BROKEN = [
    (_unknown_serializer, [f"{W}.transports[2].serializers[1]"]),
    (_unix_without_path, [f"{W}.transports[3].endpoint.path"]),
    (_rawsocket_unknown_endpoint_type, [f"{W}.transports[2].endpoint.type"]),
    (_websocket_unknown_serializer, [f"{W}.transports[1].serializers[0]"]),
]


@pytest.mark.parametrize("mutate,paths", BROKEN, ids=[m.__name__.strip("_") for m, _ in BROKEN])
def test_broken_transport_config_is_refused_naming_the_path(tmp_path, mutate, paths):
    config = copy.deepcopy(transports_config())
    mutate(config)
    assert_refused(check(write(tmp_path, config)), paths, mutate.__name__.strip("_"))


def test_websocket_transport_serves_each_listed_serializer(transports_router):
    async def scenario():
        for serializer in ("json", "msgpack", "cbor"):
            peer = await RawPeer.joined(transports_router.url(WS_ALL), serializer=serializer)
            assert peer.ws.subprotocol == f"wamp.2.{serializer}"
            await peer.close()

    run(scenario())


def test_websocket_transport_without_msgpack_picks_another_offer_or_refuses(transports_router):
    """`serializers: ["json", "cbor"]`: an offer of msgpack then cbor gets cbor; an offer of
    msgpack alone is refused as an upgrade without a supported subprotocol is (HTTP 400)."""

    async def scenario():
        url = transports_router.url(WS_NO_MSGPACK)
        peer = await RawPeer.connect(url, subprotocols=("wamp.2.msgpack", "wamp.2.cbor", "wamp.2.json"))
        assert peer.ws.subprotocol == "wamp.2.cbor", f"router chose {peer.ws.subprotocol}"
        await peer.hello()
        await peer.close()
        with pytest.raises(InvalidStatus) as info:
            await RawPeer.connect(url, serializer="msgpack")
        assert info.value.response.status_code == 400
        # Autobahn offering only msgpack cannot join there, but can on the other transport
        with pytest.raises(Exception):
            await autobahn_session(url, serializers="msgpack", timeout=2)
        s = await autobahn_session(transports_router.url(WS_ALL), serializers="msgpack")
        await close_all(s)

    run(scenario())


def test_rawsocket_tcp_transport_serves_each_listed_serializer(transports_router):
    async def scenario():
        endpoint = ("127.0.0.1", transports_router.ports[RS_TCP])
        for serializer in ("json", "msgpack", "cbor"):
            await assert_rawsocket_serves(endpoint, serializer)

    run(scenario())


def test_rawsocket_unix_transport_refuses_an_unlisted_serializer_with_error_1(transports_router):
    async def scenario():
        path = transports_router.unix_paths[0]
        for serializer in ("msgpack", "cbor"):
            await assert_rawsocket_serves(path, serializer)
        peer = await RawSocketPeer.connect(path)
        reply = await peer.handshake(1, 15)  # JSON: not in this transport's list
        assert reply == bytes([MAGIC, ERR_SERIALIZER_UNSUPPORTED << 4, 0, 0]), \
            f"handshake {handshake(1, 15).hex(' ')} on a msgpack+cbor transport: reply {reply.hex(' ')}"
        assert await peer.expect_closed() == b""

    run(scenario())


def test_sessions_on_different_transports_share_the_realm(transports_router):
    async def scenario():
        callee = await RawSocketPeer.joined(transports_router.unix_paths[0], serializer="cbor")
        caller = await RawPeer.joined(transports_router.url(WS_NO_MSGPACK))
        proc = unique("com.config.shared")
        await callee.register(proc)
        await caller.send([CALL, 1, {}, proc, [b"\x00\x01".hex()]])
        inv = await callee.recv_code(INVOCATION)
        await callee.send([YIELD, inv[1], {}, [b"\x00\x01"]])
        res = await caller.recv()
        assert res[:2] == [RESULT, 1] and res[3] == ["\u0000AAE="], res
        await callee.close()
        await caller.close()

    run(scenario())
