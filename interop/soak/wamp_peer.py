"""A raw WAMP JSON peer for the soak: one WebSocket, one reader task that dispatches what the
router sends (replies to requests, EVENT, INVOCATION, INTERRUPT, GOODBYE), and an abrupt
`drop()` that closes the TCP connection without GOODBYE or a close frame.

The soak counts every message itself, so the peer hides nothing: a reply that matches no
request, or a message it does not expect, is recorded in `Peer.oddities` and fails the run."""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
from typing import Callable

from websockets.asyncio.client import connect as ws_connect
from websockets.exceptions import ConnectionClosed

HELLO, WELCOME, ABORT, GOODBYE, ERROR = 1, 2, 3, 6, 8
PUBLISH, PUBLISHED = 16, 17
SUBSCRIBE, SUBSCRIBED, UNSUBSCRIBE, UNSUBSCRIBED, EVENT = 32, 33, 34, 35, 36
CALL, CANCEL, RESULT = 48, 49, 50
REGISTER, REGISTERED, UNREGISTER, UNREGISTERED, INVOCATION, INTERRUPT, YIELD = 64, 65, 66, 67, 68, 69, 70

ROLES = {
    "caller": {"features": {"progressive_call_results": True, "call_canceling": True, "call_timeout": True}},
    "callee": {"features": {"progressive_call_results": True, "call_canceling": True}},
    "publisher": {"features": {}},
    "subscriber": {"features": {"pattern_based_subscription": True}},
}

# Replies that answer a request by its request ID (index 1), and ERROR (request ID at index 2).
_REPLIES = {PUBLISHED, SUBSCRIBED, UNSUBSCRIBED, REGISTERED, UNREGISTERED, RESULT}

OPEN_TIMEOUT = 10.0
REQUEST_TIMEOUT = 15.0


class PeerClosed(Exception):
    """The connection ended while a request was waiting for its reply."""


class Peer:
    """One joined WAMP session. Handlers (`on_event`, `on_invocation`, `on_interrupt`,
    `on_progress`) are plain callables run on the reader task; they must not block."""

    def __init__(self, name: str, ws, session_id: int):
        self.name = name
        self.ws = ws
        self.session_id = session_id
        self._ids = itertools.count(1)
        self._waiting: dict[int, asyncio.Future] = {}
        self.on_event: Callable[[list], None] | None = None
        self.on_invocation: Callable[[list], None] | None = None
        self.on_interrupt: Callable[[list], None] | None = None
        self.on_progress: Callable[[list], None] | None = None
        self.oddities: list[str] = []
        self.close_code: int | None = None
        self.goodbye_sent = False
        self.dropped = False
        self.closed = asyncio.get_running_loop().create_future()
        self.goodbye_reply = asyncio.get_running_loop().create_future()
        # The slow consumer's knobs: clear the gate to stop reading, or read one message per delay.
        self.read_gate = asyncio.Event()
        self.read_gate.set()
        self.read_delay = 0.0
        self._reader = asyncio.get_running_loop().create_task(self._read_loop(), name=f"reader-{name}")

    @classmethod
    async def join(cls, url: str, name: str, realm: str = "realm1", *, rcvbuf: int | None = None,
                   max_queue=16) -> "Peer":
        """Connect, send HELLO and wait for WELCOME. `rcvbuf` shrinks the client's socket receive
        buffer (set before connecting, so the TCP window stays small): the slow consumer's."""
        ws = await open_websocket(url, rcvbuf=rcvbuf, max_queue=max_queue)
        try:
            await ws.send(json.dumps([HELLO, realm, {"roles": ROLES}]))
            welcome = json.loads(await asyncio.wait_for(ws.recv(), OPEN_TIMEOUT))
        except BaseException:
            ws.transport.abort()
            raise
        if not (isinstance(welcome, list) and welcome and welcome[0] == WELCOME):
            ws.transport.abort()
            raise ConnectionError(f"{name}: expected WELCOME, got {welcome!r:.200}")
        return cls(name, ws, welcome[1])

    def next_id(self) -> int:
        return next(self._ids)

    @property
    def is_open(self) -> bool:
        return not self.closed.done()

    async def send(self, msg) -> None:
        await self.ws.send(msg if isinstance(msg, str) else json.dumps(msg))

    async def request(self, msg: list, timeout: float = REQUEST_TIMEOUT) -> list:
        """Send `msg` (its request ID at index 1) and return the reply: the matching RESULT,
        ERROR, PUBLISHED, SUBSCRIBED, ... Raises PeerClosed if the connection ends first."""
        fut = self.expect_reply(msg[1])
        await self.send(msg)
        return await asyncio.wait_for(fut, timeout)

    def expect_reply(self, request_id: int) -> asyncio.Future:
        fut = asyncio.get_running_loop().create_future()
        self._waiting[request_id] = fut
        return fut

    async def register(self, procedure: str) -> int:
        reply = await self.request([REGISTER, self.next_id(), {}, procedure])
        if reply[0] != REGISTERED:
            raise ConnectionError(f"{self.name}: REGISTER {procedure} refused: {reply!r:.200}")
        return reply[2]

    async def subscribe(self, topic: str, match: str = "exact") -> int:
        options = {} if match == "exact" else {"match": match}
        reply = await self.request([SUBSCRIBE, self.next_id(), options, topic])
        if reply[0] != SUBSCRIBED:
            raise ConnectionError(f"{self.name}: SUBSCRIBE {topic} refused: {reply!r:.200}")
        return reply[2]

    async def leave(self, timeout: float = 5.0) -> None:
        """GOODBYE, wait for the router's GOODBYE, then close the WebSocket (1000) and wait until
        the connection is gone."""
        if not self.is_open:
            return
        self.goodbye_sent = True
        try:
            await self.send([GOODBYE, {}, "wamp.close.close_realm"])
            await asyncio.wait_for(asyncio.shield(self.goodbye_reply), timeout)
            await asyncio.wait_for(self.ws.close(), timeout)
        except ConnectionClosed:
            pass
        except TimeoutError:
            self.oddities.append(f"no GOODBYE reply and close within {timeout:.0f} s of GOODBYE")
        except PeerClosed:
            self.oddities.append("the connection ended before the router answered GOODBYE")
        if self.is_open:
            self.drop()
        await self._reader

    def drop(self) -> None:
        """Close the TCP connection at once: no GOODBYE, no WebSocket close frame."""
        self.dropped = True
        self.ws.transport.abort()

    async def wait_closed(self) -> None:
        await self._reader

    async def _read_loop(self) -> None:
        try:
            while True:
                await self.read_gate.wait()
                if self.read_delay > 0:
                    await asyncio.sleep(self.read_delay)
                self._dispatch(json.loads(await self.ws.recv()))
        except ConnectionClosed:
            pass
        finally:
            rcvd = getattr(self.ws.protocol, "close_rcvd", None)
            self.close_code = rcvd.code if rcvd is not None else None
            for fut in self._waiting.values():
                if not fut.done():
                    fut.set_exception(PeerClosed(self.name))
            self._waiting.clear()
            if not self.goodbye_reply.done():
                self.goodbye_reply.set_exception(PeerClosed(self.name))
                self.goodbye_reply.exception()  # retrieved: only leave() cares
            if not self.closed.done():
                self.closed.set_result(self.close_code)

    def _dispatch(self, msg: list) -> None:
        code = msg[0]
        if code in _REPLIES:
            if code == RESULT and len(msg) > 2 and msg[2].get("progress") is True:
                if self.on_progress is not None and msg[1] in self._waiting:
                    self.on_progress(msg)
                else:
                    self.oddities.append(f"progressive RESULT for no call: {msg!r:.200}")
                return
            self._resolve(msg[1], msg)
        elif code == ERROR:
            self._resolve(msg[2], msg)
        elif code == EVENT and self.on_event is not None:
            self.on_event(msg)
        elif code == INVOCATION and self.on_invocation is not None:
            self.on_invocation(msg)
        elif code == INTERRUPT and self.on_interrupt is not None:
            self.on_interrupt(msg)
        elif code == GOODBYE:
            if self.goodbye_sent:
                if not self.goodbye_reply.done():
                    self.goodbye_reply.set_result(msg)
            else:
                self.oddities.append(f"router sent GOODBYE unasked: {msg!r:.200}")
                asyncio.get_running_loop().create_task(self.send([GOODBYE, {}, "wamp.close.goodbye_and_out"]))
        else:
            self.oddities.append(f"unexpected message: {msg!r:.200}")

    def _resolve(self, request_id, msg: list) -> None:
        fut = self._waiting.pop(request_id, None)
        if fut is None or fut.done():
            self.oddities.append(f"reply to no request: {msg!r:.200}")
        else:
            fut.set_result(msg)


async def open_websocket(url: str, *, rcvbuf: int | None = None, max_queue=16):
    """A `wamp.2.json` WebSocket to `url` (loopback), without compression or client pings."""
    kwargs = dict(subprotocols=["wamp.2.json"], compression=None, max_size=None, open_timeout=OPEN_TIMEOUT,
                  close_timeout=2, ping_interval=None, proxy=None, max_queue=max_queue)
    if rcvbuf is not None:
        host, port = url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.setblocking(False)
        try:
            await asyncio.wait_for(asyncio.get_running_loop().sock_connect(sock, (host, int(port))), OPEN_TIMEOUT)
        except BaseException:
            sock.close()
            raise
        kwargs["sock"] = sock
    return await ws_connect(url, **kwargs)
