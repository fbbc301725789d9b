"""Helpers shared by the interop tests: a raw WAMP peer on PyPI `websockets` that sends exact
bytes and checks exact replies (in JSON, MessagePack or CBOR), and a small Autobahn|Python
(asyncio) session starter for WebSocket and RawSocket with any of the three serializers."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from urllib.parse import urlparse

import txaio

txaio.use_asyncio()

import cbor2  # noqa: E402
import msgpack  # noqa: E402
from autobahn.asyncio.rawsocket import WampRawSocketClientFactory  # noqa: E402
from autobahn.asyncio.wamp import ApplicationSession  # noqa: E402
from autobahn.asyncio.websocket import WampWebSocketClientFactory  # noqa: E402
from autobahn.wamp.serializer import CBORSerializer, JsonSerializer, MsgPackSerializer  # noqa: E402
from autobahn.wamp.types import CloseDetails, ComponentConfig  # noqa: E402
from websockets.asyncio.client import connect as ws_connect  # noqa: E402
from websockets.exceptions import ConnectionClosed  # noqa: E402

# WAMP message codes (Basic Profile)
HELLO, WELCOME, ABORT, GOODBYE, ERROR = 1, 2, 3, 6, 8
PUBLISH, PUBLISHED = 16, 17
SUBSCRIBE, SUBSCRIBED, UNSUBSCRIBE, UNSUBSCRIBED, EVENT = 32, 33, 34, 35, 36
CALL, RESULT = 48, 50
REGISTER, REGISTERED, UNREGISTER, UNREGISTERED, INVOCATION, YIELD = 64, 65, 66, 67, 68, 70
# Advanced Profile
CANCEL, INTERRUPT = 49, 69

MAX_ID = 2**53
CLIENT_ROLES = {"caller": {}, "callee": {}, "publisher": {}, "subscriber": {}}
HELLO_REALM1 = [HELLO, "realm1", {"roles": CLIENT_ROLES}]

# Close codes a router may fittingly use after ABORT on bad input.
ABORT_CLOSE_CODES = {1000, 1002, 1003, 1007, 1008}

RECV_TIMEOUT = 5.0

# --------------------------------------------------------------------------------------------
# Serializers: the names are the WebSocket subprotocol suffix (wamp.2.NAME) and the Crossbar
# config word; the numbers are the RawSocket handshake serializer ids (spec "RawSocket Transport").

SERIALIZERS = ("json", "msgpack", "cbor")
RAWSOCKET_SERIALIZER_IDS = {"json": 1, "msgpack": 2, "cbor": 3}


def encode(serializer: str, msg):
    """One WAMP message in `serializer`: a str for JSON (a text frame), bytes otherwise."""
    if serializer == "json":
        return json.dumps(msg)
    if serializer == "msgpack":
        return msgpack.packb(msg, use_bin_type=True)
    if serializer == "cbor":
        return cbor2.dumps(msg)
    raise ValueError(f"unknown serializer {serializer!r}")


def decode(serializer: str, data):
    """The inverse of `encode`; maps with non-string keys are kept as they are (the tests must
    see what the router sent, not what a strict decoder lets through)."""
    if serializer == "json":
        return json.loads(data)
    if serializer == "msgpack":
        return msgpack.unpackb(data, raw=False, strict_map_key=False)
    if serializer == "cbor":
        return cbor2.loads(data)
    raise ValueError(f"unknown serializer {serializer!r}")


def autobahn_serializer(name: str):
    """Autobahn|Python's (non-batched) serializer object for `name`."""
    return {"json": JsonSerializer, "msgpack": MsgPackSerializer, "cbor": CBORSerializer}[name]()


# The serializer autobahn_session uses when the caller names none: the `autobahn_serializer`
# fixture (conftest) sets it per parametrized test, so a suite written for one serializer runs
# once per serializer without changing its calls.
_default_serializer = "json"


def set_default_serializer(name: str) -> None:
    global _default_serializer
    assert name in SERIALIZERS, name
    _default_serializer = name


def default_serializer() -> str:
    return _default_serializer


def run(coro, timeout: float = 90.0):
    """Run one test coroutine on a fresh event loop, bounded in time so that nothing hangs."""

    async def bounded():
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


def unique(prefix: str) -> str:
    """A fresh URI so that tests sharing one router never collide."""
    return f"{prefix}.{uuid.uuid4().hex[:12]}"


def is_id(value) -> bool:
    return type(value) is int and 1 <= value <= MAX_ID


# --------------------------------------------------------------------------------------------
# Raw peer


class WampCalls:
    """The WAMP-level steps every raw peer shares (HELLO, REGISTER, SUBSCRIBE...), on top of the
    transport's `send(msg)` and `recv(timeout)`."""

    session_id: int | None = None
    welcome_details: dict | None = None

    def next_id(self) -> int:
        if not hasattr(self, "_ids"):
            self._ids = itertools.count(1)
        return next(self._ids)

    async def recv_code(self, code: int, timeout: float = RECV_TIMEOUT):
        """Receive the next message and check its type code."""
        msg = await self.recv(timeout)
        assert isinstance(msg, list) and msg and msg[0] == code, f"expected message type {code}, got {msg!r}"
        return msg

    async def hello(self, realm: str = "realm1", roles=None, **details):
        """Join `realm`; extra keyword arguments (authextra=...) go into HELLO.Details."""
        await self.send([HELLO, realm, {"roles": roles or CLIENT_ROLES, **details}])
        msg = await self.recv()
        assert isinstance(msg, list) and len(msg) == 3 and msg[0] == WELCOME, f"expected WELCOME, got {msg!r}"
        assert is_id(msg[1]), f"WELCOME session id {msg[1]!r} is not an integer in [1, 2^53]"
        assert isinstance(msg[2], dict), f"WELCOME details {msg[2]!r} is not an object"
        roles_ = msg[2].get("roles")
        assert isinstance(roles_, dict) and "broker" in roles_ and "dealer" in roles_, \
            f"WELCOME must announce roles broker and dealer, got {msg[2]!r}"
        self.session_id = msg[1]
        self.welcome_details = msg[2]
        return msg

    @property
    def authid(self) -> str:
        """The authid WELCOME gave this session (with anonymous authentication the router
        assigns it; a HELLO authid is ignored)."""
        authid = (self.welcome_details or {}).get("authid")
        assert isinstance(authid, str) and authid, f"WELCOME must carry an authid, got {self.welcome_details!r}"
        return authid

    async def register(self, procedure: str) -> int:
        rid = self.next_id()
        await self.send([REGISTER, rid, {}, procedure])
        msg = await self.recv()
        assert msg[:2] == [REGISTERED, rid] and len(msg) == 3 and is_id(msg[2]), \
            f"REGISTER {procedure!r}: expected [65, {rid}, <id>], got {msg!r}"
        return msg[2]

    async def subscribe(self, topic: str) -> int:
        rid = self.next_id()
        await self.send([SUBSCRIBE, rid, {}, topic])
        msg = await self.recv()
        assert msg[:2] == [SUBSCRIBED, rid] and len(msg) == 3 and is_id(msg[2]), \
            f"SUBSCRIBE {topic!r}: expected [33, {rid}, <id>], got {msg!r}"
        return msg[2]


class RawPeer(WampCalls):
    """A WebSocket connection that speaks WAMP as literal arrays in the negotiated serializer:
    JSON text frames on wamp.2.json, MessagePack or CBOR binary frames on wamp.2.msgpack and
    wamp.2.cbor."""

    def __init__(self, ws):
        self.ws = ws
        self.session_id = None
        self.welcome_details = None
        self._ids = itertools.count(1)
        # The serializer the router chose (the peer decodes what it gets with it); a peer without
        # a WAMP subprotocol falls back to JSON so that its bad-input tests can still read ABORT.
        chosen = ws.subprotocol or "wamp.2.json"
        self.serializer = chosen[len("wamp.2."):] if chosen.startswith("wamp.2.") else "json"

    @classmethod
    async def connect(cls, url: str, subprotocols=("wamp.2.json",), compression=None, serializer=None,
                      **kw) -> "RawPeer":
        """`serializer` ("json", "msgpack", "cbor") offers only wamp.2.<serializer>; otherwise
        `subprotocols` is offered as given, in its order."""
        if serializer is not None:
            subprotocols = (f"wamp.2.{serializer}",)
        ws = await ws_connect(url, subprotocols=list(subprotocols) if subprotocols else None,
                              compression=compression, max_size=None, open_timeout=10,
                              close_timeout=5, ping_interval=None, **kw)
        return cls(ws)

    @classmethod
    async def joined(cls, url: str, realm: str = "realm1", **kw) -> "RawPeer":
        peer = await cls.connect(url, **kw)
        await peer.hello(realm)
        return peer

    async def send(self, msg) -> None:
        """Send a message: a str goes out verbatim as a text frame, bytes as a binary frame,
        anything else encoded in this peer's serializer (text for JSON, binary otherwise)."""
        if isinstance(msg, (str, bytes)):
            await self.ws.send(msg)
        else:
            await self.ws.send(encode(self.serializer, msg))

    async def recv_raw(self, timeout: float = RECV_TIMEOUT):
        return await asyncio.wait_for(self.ws.recv(), timeout)

    async def recv(self, timeout: float = RECV_TIMEOUT):
        data = await self.recv_raw(timeout)
        if self.serializer == "json":
            assert isinstance(data, str), f"expected a text frame on wamp.2.json, got binary {data[:200]!r}"
        else:
            assert isinstance(data, bytes), \
                f"expected a binary frame on wamp.2.{self.serializer}, got text {data[:200]!r}"
        try:
            return decode(self.serializer, data)
        except Exception as e:
            raise AssertionError(f"router sent a frame that is not {self.serializer}: {data[:300]!r}") from e

    async def expect_closed(self, timeout: float = 5.0):
        """Wait until the router closes the connection; return (close code or None, the
        messages that arrived before the close)."""
        extra = []
        try:
            async with asyncio.timeout(timeout):
                while True:
                    extra.append(await self.ws.recv())
        except ConnectionClosed as e:
            rcvd = e.rcvd
            return (rcvd.code if rcvd is not None else None), extra
        except TimeoutError:
            raise AssertionError(f"router did not close the connection within {timeout} s "
                                 f"(messages meanwhile: {extra[:5]!r})") from None

    async def expect_abort_and_close(self, reason: str = "wamp.error.protocol_violation",
                                     close_codes=ABORT_CLOSE_CODES, sent=None):
        """The next message must be [3, {"message": <non-empty str>, ...}, reason], then the
        router must close the WebSocket with a fitting code within 5 s."""
        ctx = f" (after sending {sent!r})" if sent is not None else ""
        try:
            msg = await self.recv()
        except ConnectionClosed as e:
            code = e.rcvd.code if e.rcvd is not None else None
            raise AssertionError(f"expected ABORT {reason}{ctx}, but the connection was closed "
                                 f"first (close code {code})") from None
        except TimeoutError:
            raise AssertionError(f"expected ABORT {reason}{ctx}, got nothing within {RECV_TIMEOUT} s") from None
        assert isinstance(msg, list) and len(msg) == 3 and msg[0] == ABORT, \
            f"expected ABORT [3, {{message}}, {reason!r}]{ctx}, got {msg!r}"
        assert msg[2] == reason, f"expected ABORT reason {reason!r}{ctx}, got {msg!r}"
        details = msg[1]
        assert isinstance(details, dict) and isinstance(details.get("message"), str) and details["message"].strip(), \
            f"ABORT details must carry a readable non-empty 'message'{ctx}, got {msg!r}"
        code, extra = await self.expect_closed()
        assert not extra, f"router sent messages after ABORT{ctx}: {extra!r}"
        assert code is not None, f"router dropped the TCP connection without a WebSocket close frame{ctx}"
        assert code in close_codes, f"close code {code} after ABORT{ctx}; expected one of {sorted(close_codes)}"
        return msg, code

    async def close(self):
        await self.ws.close()


async def assert_router_serves(url: str, realm: str = "realm1", serializer: str = "json") -> None:
    """A fresh pair of sessions on `url` does a full call round trip with exact message shapes."""
    callee = await RawPeer.joined(url, realm, serializer=serializer)
    caller = await RawPeer.joined(url, realm, serializer=serializer)
    try:
        proc = unique("com.check.echo")
        reg_id = await callee.register(proc)
        await caller.send([CALL, 7, {}, proc, [1, "two", {"three": 3}], {"k": "v"}])
        inv = await callee.recv()
        assert len(inv) == 6 and inv[0] == INVOCATION and is_id(inv[1]) and inv[2] == reg_id \
            and isinstance(inv[3], dict) and inv[4:] == [[1, "two", {"three": 3}], {"k": "v"}], \
            f"expected [68, <req>, {reg_id}, {{}}, [1, 'two', {{'three': 3}}], {{'k': 'v'}}], got {inv!r}"
        await callee.send([YIELD, inv[1], {}, ["ok"], {"sum": 3}])
        res = await caller.recv()
        assert len(res) == 5 and res[:2] == [RESULT, 7] and isinstance(res[2], dict) \
            and res[3:] == [["ok"], {"sum": 3}], f"expected [50, 7, {{}}, ['ok'], {{'sum': 3}}], got {res!r}"
    finally:
        await callee.close()
        await caller.close()


# --------------------------------------------------------------------------------------------
# Autobahn|Python (asyncio)


class LeftBeforeJoin(Exception):
    def __init__(self, details: CloseDetails):
        super().__init__(f"session left before joining: {details.reason} {details.message!r}")
        self.details = details


class Client(ApplicationSession):
    """An ApplicationSession that exposes join/leave/disconnect as futures."""

    def __init__(self, config=None):
        super().__init__(config)
        loop = asyncio.get_running_loop()
        self.joined = loop.create_future()
        self.left = loop.create_future()
        self.disconnected = loop.create_future()

    def onConnect(self):
        self.join(self.config.realm)

    def onJoin(self, details):
        if not self.joined.done():
            self.joined.set_result(details)

    def onLeave(self, details):
        if not self.left.done():
            self.left.set_result(details)
        if not self.joined.done():
            self.joined.set_exception(LeftBeforeJoin(details))
        return super().onLeave(details)

    def onDisconnect(self):
        if not self.disconnected.done():
            self.disconnected.set_result(True)
        if not self.joined.done():
            self.joined.set_exception(ConnectionError("transport closed before the session joined"))
        return super().onDisconnect()

    @property
    def welcome_authid(self) -> str:
        """The authid of the joined session, as WELCOME (onJoin's SessionDetails) gave it."""
        authid = self.joined.result().authid
        assert isinstance(authid, str) and authid, f"WELCOME must carry an authid, got {authid!r}"
        return authid

    async def leave_and_wait(self, timeout: float = 5.0):
        """Send GOODBYE and wait for the router's GOODBYE; returns the CloseDetails."""
        self.leave()
        return await asyncio.wait_for(asyncio.shield(self.left), timeout)


async def _join_over(factory_for, open_transport, make_session, timeout: float):
    """Open a transport with `open_transport(loop, factory)` for the Autobahn factory that
    `factory_for(make)` builds around the session maker, and wait until the session made by
    `make_session()` has joined; the transport is aborted if it does not."""
    loop = asyncio.get_running_loop()
    txaio.config.loop = loop
    created = loop.create_future()

    def make():
        session = make_session()
        if not created.done():
            created.set_result(session)
        return session

    transport, _protocol = await asyncio.wait_for(open_transport(loop, factory_for(make)), timeout)
    try:
        session = await asyncio.wait_for(created, timeout)
        await asyncio.wait_for(asyncio.shield(session.joined), timeout)
    except BaseException:
        transport.abort()
        raise
    session.tcp_transport = transport
    return session


async def connect_and_join(url: str, make_session, *, serializers, protocol_options: dict, ssl_context=None,
                           timeout: float = 10.0):
    """Connect an Autobahn|Python asyncio session made by `make_session()` over WebSocket and
    wait until it has joined; the TCP transport is aborted if it does not. `ssl_context`:
    wss:// (the server name checked is `localhost`, as in the test certificates)."""
    parsed = urlparse(url)

    def factory_for(make):
        factory = WampWebSocketClientFactory(make, url=url, serializers=serializers)
        factory.setProtocolOptions(**protocol_options)
        return factory

    def open_transport(loop, factory):
        return loop.create_connection(factory, parsed.hostname, parsed.port, ssl=ssl_context,
                                      server_hostname="localhost" if ssl_context else None)

    return await _join_over(factory_for, open_transport, make_session, timeout)


async def autobahn_session(url: str, realm: str = "realm1", *, serializers="default",
                           compression: bool = False, timeout: float = 10.0) -> Client:
    """Connect an Autobahn|Python asyncio session and wait until it has joined `realm`
    (anonymously: the router assigns its authid, see Client.welcome_authid).
    By default it offers only wamp.2.<default_serializer()> (wamp.2.json unless the
    `autobahn_serializer` fixture chose another); a name ("json", "msgpack", "cbor") offers only
    that one; `serializers=None` offers all of autobahn's (cbor first)."""
    if serializers == "default":
        serializers = default_serializer()
    if isinstance(serializers, str):
        serializers = [autobahn_serializer(serializers)]
    options = dict(maxFramePayloadSize=0, maxMessagePayloadSize=0, autoFragmentSize=0,
                   openHandshakeTimeout=5.0, closeHandshakeTimeout=2.0, tcpNoDelay=True,
                   failByDrop=False)
    if compression:
        from autobahn.websocket.compress import (PerMessageDeflateOffer, PerMessageDeflateResponse,
                                                 PerMessageDeflateResponseAccept)

        def accept(response):
            if isinstance(response, PerMessageDeflateResponse):
                return PerMessageDeflateResponseAccept(response)

        options.update(perMessageCompressionOffers=[PerMessageDeflateOffer()],
                       perMessageCompressionAccept=accept)
    return await connect_and_join(url, lambda: Client(ComponentConfig(realm)), serializers=serializers,
                                  protocol_options=options, timeout=timeout)


async def rawsocket_session(host: str | None = None, port: int | None = None, realm: str = "realm1", *,
                            unix_path: str | None = None, serializer: str = "json",
                            max_message_size: int | None = None, timeout: float = 10.0) -> Client:
    """An Autobahn|Python asyncio session over RawSocket (its WampRawSocketClientFactory) on TCP
    `host:port` or on the Unix socket `unix_path`, joined to `realm`. `max_message_size` (512 ..
    2^24) sets the LENGTH it announces; the default is 2^24."""

    def factory_for(make):
        factory = WampRawSocketClientFactory(make, serializer=autobahn_serializer(serializer))
        if max_message_size is not None:
            factory.setProtocolOptions(maxMessagePayloadSize=max_message_size)
        return factory

    def open_transport(loop, factory):
        if unix_path is not None:
            return loop.create_unix_connection(factory, unix_path)
        return loop.create_connection(factory, host, port)

    return await _join_over(factory_for, open_transport, lambda: Client(ComponentConfig(realm)), timeout)


async def close_all(*sessions: Client) -> None:
    """Leave every still-attached session and wait (briefly) for the transports to close."""
    for s in sessions:
        try:
            if s.is_attached():
                s.leave()
        except Exception:
            pass
    for s in sessions:
        try:
            await asyncio.wait_for(asyncio.shield(s.disconnected), 3)
        except Exception:
            s.tcp_transport.abort()
