"""Hostile raw peers: each one tries to crash, exhaust or wedge the router, and the router must
answer with the documented limit (ABORT URI, close code, HTTP status), stay within bounded
memory, and keep serving everybody else. Private routers (`router_factory`) with small limits;
every loop is bounded in count and time; loopback only."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time

import pytest
from websockets.exceptions import InvalidStatus

from conftest import router_bin
from wamp_helpers import CALL, RESULT, RawPeer, assert_router_serves, run

# --- transport: slowloris, no-HELLO, ping flood, connection limit, rate limit ---

UPGRADE_REQUEST = (
    "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
    "Sec-WebSocket-Protocol: wamp.2.json\r\n\r\n"
).encode()


def rss_kib(pid: int) -> int:
    """Resident set size of a process, from /proc/<pid>/status."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError(f"no VmRSS in /proc/{pid}/status")


def masked_frame(opcode: int, payload: bytes) -> bytes:
    """One client frame (FIN set), masked with the key 0 so that the payload goes as it is."""
    assert len(payload) < 126
    return bytes([0x80 | opcode, 0x80 | len(payload)]) + b"\0\0\0\0" + payload


def upgraded_socket(router) -> socket.socket:
    """A TCP socket that has done the WebSocket upgrade by hand (no WebSocket library: it
    answers nothing on its own)."""
    sock = socket.create_connection((router.host, router.port), timeout=5)
    sock.sendall(UPGRADE_REQUEST)
    response = b""
    while b"\r\n\r\n" not in response:
        chunk = sock.recv(4096)
        assert chunk, f"router closed during the upgrade: {response!r}"
        response += chunk
    assert response.startswith(b"HTTP/1.1 101"), response[:200]
    return sock


def closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the router closes `sock` (EOF or reset) within `seconds`, reading and
    discarding whatever it sends meanwhile."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True
    return False


def test_slowloris_half_sent_upgrade_is_closed_after_the_handshake_timeout(router_factory):
    r = router_factory(extra_args=["--handshake-timeout", "0.5"])
    sock = socket.create_connection((r.host, r.port), timeout=5)
    start = time.monotonic()
    # A byte every 50 ms: trickling does not buy time; the deadline counts from accept.
    closed = False
    for byte in UPGRADE_REQUEST[:-4]:
        try:
            sock.send(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        if closed_within(sock, 0.05):
            closed = True
            break
        if time.monotonic() - start > 5:
            break
    elapsed = time.monotonic() - start
    sock.close()
    assert closed, "the router kept a half-sent upgrade open past the handshake timeout"
    assert elapsed < 3, f"closed only after {elapsed:.1f} s (timeout 0.5 s)"
    run(assert_router_serves(r.url))


def test_upgraded_connection_without_hello_gets_abort_timeout_then_close_1008(router_factory):
    r = router_factory(extra_args=["--handshake-timeout", "0.5"])

    async def scenario():
        peer = await RawPeer.connect(r.url)
        msg, code = await peer.expect_abort_and_close(reason="wamp.error.timeout", close_codes={1008})
        assert "no HELLO within 0.5 s" in msg[1]["message"], msg
        await assert_router_serves(r.url)

    run(scenario(), timeout=30)


def test_ping_flood_from_a_peer_that_never_reads_keeps_router_memory_bounded(router_factory):
    r = router_factory(extra_args=["--max-backlog-bytes", str(1 << 20)])
    run(assert_router_serves(r.url))  # warm up before the baseline
    baseline = rss_kib(r.proc.pid)
    sock = upgraded_socket(r)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 << 10)
    batch = masked_frame(0x9, b"p" * 125) * 1000  # 131 kB of pings
    sent = 0
    stalled = False
    sock.settimeout(2)
    deadline = time.monotonic() + 60
    # At most 200 MB; the router must stop reading (or close) long before that.
    while sent < 200_000_000 and time.monotonic() < deadline:
        try:
            sock.sendall(batch)
        except socket.timeout:
            stalled = True
            break
        except (BrokenPipeError, ConnectionResetError):
            stalled = True  # closed for backlog overflow: bounded too
            break
        sent += len(batch)
    peak = rss_kib(r.proc.pid)
    assert stalled, f"the router read {sent} bytes of pings from a peer that reads nothing"
    growth_mib = (peak - baseline) / 1024
    assert growth_mib < 64, f"router RSS grew by {growth_mib:.0f} MiB during the ping flood"
    run(assert_router_serves(r.url))  # everybody else is still served, flooder still connected
    sock.close()
    assert r.alive()


def test_connection_past_max_connections_gets_503_and_others_are_served(router_factory):
    r = router_factory(extra_args=["--max-connections", "3"])
    time.sleep(0.2)  # the start-up probe's slot is released when its close is seen
    held = [socket.create_connection((r.host, r.port), timeout=5) for _ in range(3)]
    try:
        extra = socket.create_connection((r.host, r.port), timeout=5)
        extra.settimeout(5)
        answer = b""
        while True:
            chunk = extra.recv(4096)
            if not chunk:
                break
            answer += chunk
        extra.close()
        assert answer.startswith(b"HTTP/1.1 503 Service Unavailable\r\n"), answer[:200]

        async def refused():
            with pytest.raises(InvalidStatus) as info:
                await RawPeer.connect(r.url)
            assert info.value.response.status_code == 503

        run(refused())
    finally:
        for sock in held:
            sock.close()

    async def served_again():
        for _ in range(50):  # the closes free their slots asynchronously
            try:
                await assert_router_serves(r.url)
                return
            except InvalidStatus:
                await asyncio.sleep(0.1)
        await assert_router_serves(r.url)

    run(served_again())
    log = r.log_path.read_text(errors="replace")
    assert "refused connections past the connection limit" in log, "refusals are logged"


def test_peer_over_max_message_rate_is_slowed_not_dropped(router_factory):
    r = router_factory(extra_args=["--max-message-rate", "20"])

    async def scenario():
        peer = await RawPeer.joined(r.url)
        start = time.monotonic()
        for request in range(1, 61):
            await peer.send([CALL, request, {}, "wamp.session.count"])
        answered = []
        for _ in range(60):
            msg = await peer.recv(timeout=10)
            assert msg[0] == RESULT, f"expected RESULT, got {msg!r}"
            answered.append(msg[1])
        elapsed = time.monotonic() - start
        assert answered == list(range(1, 61)), "every CALL answered, in order"
        assert elapsed >= 1.8, f"60 messages at 20/s (burst 20) took only {elapsed:.2f} s"
        await assert_router_serves(r.url)

    run(scenario(), timeout=60)


@pytest.mark.parametrize("flag", [
    "--max-message-size=-1", "--max-message-size=0", "--max-backlog-bytes=-5", "--max-backlog-bytes=0",
    "--handshake-timeout=0", "--auto-ping-timeout=-1", "--auto-ping-interval=-1", "--max-connections=0",
    "--max-fragments=0", "--max-message-rate=-1",
])
def test_zero_or_negative_size_and_count_flags_are_refused_at_start_up(flag):
    proc = subprocess.run([str(router_bin()), "--port", "0", flag], capture_output=True, text=True, timeout=30)
    assert proc.returncode != 0, f"{flag}: the router started (exit {proc.returncode})"
    name = flag.split("=")[0]
    assert name in proc.stderr and "must be" in proc.stderr, f"{flag}: unclear refusal: {proc.stderr!r}"


def read_until(sock: socket.socket, marker: bytes, seconds: float = 5) -> bytes:
    """Reads from `sock` until the bytes read contain `marker`; returns them."""
    data = b""
    deadline = time.monotonic() + seconds
    while marker not in data:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"{marker!r} not received within {seconds} s (got {data[-200:]!r})"
        sock.settimeout(remaining)
        chunk = sock.recv(65536)
        assert chunk, f"connection closed before {marker!r} (got {data[-200:]!r})"
        data += chunk
    return data


def test_callee_that_never_answers_pings_is_dropped_and_its_caller_gets_canceled(router_factory):
    r = router_factory(extra_args=["--auto-ping-interval", "0.3", "--auto-ping-timeout", "0.3"])
    callee = upgraded_socket(r)
    callee.sendall(masked_frame(0x1, b'[1,"realm1",{"roles":{"callee":{}}}]'))
    read_until(callee, b"[2,")
    procedure = "com.hostile.silent"
    callee.sendall(masked_frame(0x1, f'[64,1,{{}},"{procedure}"]'.encode()))
    read_until(callee, b"[65,1,")

    async def scenario():
        caller = await RawPeer.joined(r.url)
        start = time.monotonic()
        await caller.send([CALL, 9, {}, procedure])
        # The callee gets INVOCATION and then pings, and answers nothing.
        await asyncio.to_thread(read_until, callee, b"\x89", 5)
        msg = await caller.recv(timeout=10)
        elapsed = time.monotonic() - start
        assert msg[:3] == [8, 48, 9] and msg[4] == "wamp.error.canceled", f"expected ERROR wamp.error.canceled, got {msg!r}"
        assert elapsed < 8, f"the dead callee was dropped only after {elapsed:.1f} s (interval + timeout 0.6 s)"
        await caller.send([CALL, 10, {}, procedure])
        gone = await caller.recv()
        assert gone[:3] == [8, 48, 10] and gone[4] == "wamp.error.no_such_procedure", f"registration not removed: {gone!r}"

    run(scenario(), timeout=30)
    callee.close()
    assert "no answer to ping" in r.log_path.read_text(errors="replace"), "the drop is logged"
