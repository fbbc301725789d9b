"""A raw WAMP-over-RawSocket peer (spec "RawSocket Transport") on asyncio streams: it writes the
exact handshake and frame octets a test gives it and reads the router's octets back unchanged,
so that every handshake reply, frame header and close can be checked. TCP or Unix socket."""

from __future__ import annotations

import asyncio

from wamp_helpers import ABORT, RAWSOCKET_SERIALIZER_IDS, RECV_TIMEOUT, WampCalls, decode, encode

MAGIC = 0x7F
# Frame types (the TTT bits of the first prefix octet)
FRAME_MESSAGE, FRAME_PING, FRAME_PONG = 0, 1, 2
# Handshake error codes (the upper four bits of the second reply octet)
ERR_SERIALIZER_UNSUPPORTED, ERR_LENGTH_UNACCEPTABLE, ERR_RESERVED_BITS, ERR_CONNECTION_LIMIT = 1, 2, 3, 4


def handshake(serializer_id: int, length: int = 15, reserved: bytes = b"\0\0", magic: int = MAGIC) -> bytes:
    """The client's four handshake octets: 0x7F, LENGTH<<4 | SERIALIZER, then the two reserved
    octets (zero unless a test wants them not to be)."""
    return bytes([magic, (length << 4) | serializer_id]) + reserved


def max_length(length: int) -> int:
    """The message size a LENGTH value stands for: 2^(9 + LENGTH) octets."""
    return 1 << (9 + length)


def frame(payload: bytes, frame_type: int = FRAME_MESSAGE) -> bytes:
    """A frame: `RRRR XTTT` and a 24-bit big-endian length, then the payload. A payload of
    exactly 2^24 octets sets X with the 24 length bits clear."""
    n = len(payload)
    assert n <= 1 << 24
    if n == 1 << 24:
        return bytes([0x08 | frame_type, 0, 0, 0]) + payload
    return bytes([frame_type]) + n.to_bytes(3, "big") + payload


def frame_type_of(prefix: bytes) -> int:
    return prefix[0] & 0x07


class RouterClosed(Exception):
    """The router closed (or reset) the connection while the test was waiting to read."""


class RawSocketPeer(WampCalls):
    """One RawSocket connection. `connect` only opens it; `handshake` sends the four octets and
    returns the router's four; `joined` does both and HELLO."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer
        self.serializer = "json"
        self.router_max = None  # what the router's handshake LENGTH allows us to send
        self.announced_max = None  # what our handshake LENGTH allows the router to send
        self.pings_received: list[bytes] = []  # PINGs the router sent (answered with a PONG)
        self.session_id = None
        self.welcome_details = None

    @classmethod
    async def connect(cls, endpoint) -> "RawSocketPeer":
        """`endpoint`: (host, port) for TCP, or a str path for a Unix socket."""
        if isinstance(endpoint, str):
            reader, writer = await asyncio.wait_for(asyncio.open_unix_connection(endpoint), 5)
        else:
            reader, writer = await asyncio.wait_for(asyncio.open_connection(*endpoint), 5)
        return cls(reader, writer)

    @classmethod
    async def opened(cls, endpoint, serializer: str = "json", length: int = 15) -> "RawSocketPeer":
        """Connected and through a successful handshake for `serializer` with `length`."""
        peer = await cls.connect(endpoint)
        reply = await peer.handshake(RAWSOCKET_SERIALIZER_IDS[serializer], length)
        peer.accept_reply(reply, serializer)
        return peer

    @classmethod
    async def joined(cls, endpoint, realm: str = "realm1", serializer: str = "json", length: int = 15,
                     **details) -> "RawSocketPeer":
        peer = await cls.opened(endpoint, serializer, length)
        await peer.hello(realm, **details)
        return peer

    async def write(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def read_exactly(self, n: int, timeout: float = RECV_TIMEOUT) -> bytes:
        try:
            return await asyncio.wait_for(self.reader.readexactly(n), timeout)
        except asyncio.IncompleteReadError as e:
            raise RouterClosed(f"router closed the connection after {len(e.partial)} of {n} octets "
                               f"({e.partial!r})") from None
        except ConnectionResetError:
            raise RouterClosed("router reset the connection") from None
        except TimeoutError:
            raise AssertionError(f"router sent no {n} octets within {timeout} s") from None

    async def handshake(self, serializer_id: int, length: int = 15, **kw) -> bytes:
        """Send the client handshake and return the router's four reply octets."""
        await self.write(handshake(serializer_id, length, **kw))
        self.announced_max = max_length(length)
        return await self.read_exactly(4)

    def accept_reply(self, reply: bytes, serializer: str) -> None:
        """Check a success reply (0x7F, the echoed serializer, zero reserved octets) and take the
        router's LENGTH as the limit for what this peer sends."""
        sid = RAWSOCKET_SERIALIZER_IDS[serializer]
        assert len(reply) == 4 and reply[0] == MAGIC and reply[1] & 0x0F == sid and reply[2:] == b"\0\0", \
            f"expected handshake reply 7f {{L}}{sid:x} 00 00 for {serializer}, got {reply.hex(' ')}"
        self.serializer = serializer
        self.router_max = max_length(reply[1] >> 4)

    async def send_frame(self, payload: bytes, frame_type: int = FRAME_MESSAGE) -> None:
        await self.write(frame(payload, frame_type))

    async def send(self, msg) -> None:
        """bytes go out as they are in one message frame; anything else is encoded in the
        session's serializer first."""
        payload = msg if isinstance(msg, bytes) else encode(self.serializer, msg)
        if isinstance(payload, str):
            payload = payload.encode()
        await self.send_frame(payload)

    async def recv_frame(self, timeout: float = RECV_TIMEOUT) -> tuple[int, bytes]:
        """The next frame as (type, payload); its reserved bits must be zero and X set only for a
        payload of exactly 2^24 octets."""
        prefix = await self.read_exactly(4, timeout)
        assert prefix[0] & 0xF0 == 0, f"router set reserved frame bits: prefix {prefix.hex(' ')}"
        length = int.from_bytes(prefix[1:], "big")
        if prefix[0] & 0x08:
            assert length == 0, f"X bit set with a non-zero length: prefix {prefix.hex(' ')}"
            length = 1 << 24
        if frame_type_of(prefix) == FRAME_MESSAGE and self.announced_max is not None:
            assert length <= self.announced_max, \
                f"router sent a {length}-octet message to a peer that announced at most {self.announced_max}"
        return frame_type_of(prefix), await self.read_exactly(length, timeout) if length else b""

    async def recv_raw(self, timeout: float = RECV_TIMEOUT) -> bytes:
        """The payload of the next message frame. A router PING on the way is recorded in
        `pings_received` and answered with its PONG, as the spec asks of a peer."""
        while True:
            frame_type, payload = await self.recv_frame(timeout)
            if frame_type == FRAME_MESSAGE:
                return payload
            if frame_type == FRAME_PING:
                self.pings_received.append(payload)
                await self.send_frame(payload, FRAME_PONG)
                continue
            raise AssertionError(f"unexpected frame type {frame_type} from the router (payload {payload[:100]!r})")

    async def recv(self, timeout: float = RECV_TIMEOUT):
        data = await self.recv_raw(timeout)
        try:
            return decode(self.serializer, data.decode() if self.serializer == "json" else data)
        except Exception as e:
            raise AssertionError(f"router sent a message that is not {self.serializer}: {data[:300]!r}") from e

    async def expect_closed(self, timeout: float = 5.0) -> bytes:
        """Wait until the router closes the connection (EOF or reset); return every octet it sent
        meanwhile."""
        got = b""
        try:
            async with asyncio.timeout(timeout):
                while True:
                    chunk = await self.reader.read(65536)
                    if not chunk:
                        return got
                    got += chunk
        except ConnectionResetError:
            return got
        except TimeoutError:
            raise AssertionError(f"router did not close the connection within {timeout} s "
                                 f"(octets meanwhile: {got[:200]!r})") from None

    async def expect_abort_and_close(self, reason: str = "wamp.error.protocol_violation", sent=None):
        """The next message must be ABORT [3, {"message": <non-empty str>}, reason]; then the
        router must close the connection with nothing after the ABORT."""
        ctx = f" (after sending {sent!r})" if sent is not None else ""
        try:
            msg = await self.recv()
        except RouterClosed as e:
            raise AssertionError(f"expected ABORT {reason}{ctx}, but {e}") from None
        assert isinstance(msg, list) and len(msg) == 3 and msg[0] == ABORT and msg[2] == reason, \
            f"expected ABORT [3, {{message}}, {reason!r}]{ctx}, got {msg!r}"
        assert isinstance(msg[1], dict) and isinstance(msg[1].get("message"), str) and msg[1]["message"].strip(), \
            f"ABORT details must carry a readable non-empty 'message'{ctx}, got {msg!r}"
        rest = await self.expect_closed()
        assert not rest, f"router sent octets after ABORT{ctx}: {rest[:200]!r}"
        return msg

    async def close(self) -> None:
        try:
            self.writer.close()
            await asyncio.wait_for(self.writer.wait_closed(), 2)
        except (OSError, TimeoutError):
            pass


async def assert_rawsocket_serves(endpoint, serializer: str = "json", realm: str = "realm1") -> None:
    """A fresh callee and caller on the RawSocket `endpoint` do a call round trip with exact
    message shapes (the RawSocket twin of wamp_helpers.assert_router_serves)."""
    from wamp_helpers import INVOCATION, RESULT, YIELD, CALL, is_id, unique
    callee = await RawSocketPeer.joined(endpoint, realm, serializer)
    caller = await RawSocketPeer.joined(endpoint, realm, serializer)
    try:
        proc = unique("com.check.rs_echo")
        reg_id = await callee.register(proc)
        await caller.send([CALL, 7, {}, proc, [1, "two", {"three": 3}], {"k": "v"}])
        inv = await callee.recv()
        assert len(inv) == 6 and inv[0] == INVOCATION and is_id(inv[1]) and inv[2] == reg_id \
            and inv[4:] == [[1, "two", {"three": 3}], {"k": "v"}], f"unexpected INVOCATION {inv!r}"
        await callee.send([YIELD, inv[1], {}, ["ok"], {"sum": 3}])
        res = await caller.recv()
        assert len(res) == 5 and res[:2] == [RESULT, 7] and res[3:] == [["ok"], {"sum": 3}], \
            f"expected [50, 7, {{}}, ['ok'], {{'sum': 3}}], got {res!r}"
    finally:
        await callee.close()
        await caller.close()
