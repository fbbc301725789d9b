"""Hostile raw peers: each one tries to crash, exhaust or wedge the router, and the router must
answer with the documented limit (ABORT URI, close code, HTTP status), stay within bounded
memory, and keep serving everybody else. Private routers (`router_factory`) with small limits;
every loop is bounded in count and time; loopback only."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import struct
import subprocess
import time

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from conftest import router_bin
from wamp_helpers import (CALL, CLIENT_ROLES, ERROR, EVENT, GOODBYE, HELLO, INVOCATION, PUBLISH, PUBLISHED, REGISTER, REGISTERED,
                          RESULT, SUBSCRIBE, SUBSCRIBED, WELCOME, YIELD, RawPeer, assert_router_serves, run, unique)

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
    """One client frame (FIN set) of up to 64 KiB, masked with the key 0 so that the payload goes
    as it is."""
    assert len(payload) < 1 << 16
    length = bytes([0x80 | len(payload)]) if len(payload) < 126 else bytes([0x80 | 126]) + struct.pack("!H", len(payload))
    return bytes([0x80 | opcode]) + length + b"\0\0\0\0" + payload


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
    "--max-fragments=0", "--max-message-rate=-1", "--max-pending-calls=0", "--max-registrations=-1",
    "--max-subscriptions=0", "--max-testaments=0", "--max-retained-topics=0", "--max-retained-bytes=-1",
    "--max-history-topics=0", "--max-history-bytes=0", "--max-answer-bytes=0", "--max-options-bytes=0",
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


# --- routing: crash paths, per-session limits, reused request IDs, log escaping ---


def _publish_retained(topic: str, size: int):
    return [PUBLISH, 1, {"retain": True, "acknowledge": True}, topic, ["x" * size]]


def test_retained_events_past_the_backlog_do_not_crash(router_factory):
    """The issue's reproduction: three 40,000-character retained events and a 64 KiB backlog."""
    r = router_factory(extra_args=["--max-backlog-bytes", "65536"])

    async def scenario():
        publisher = await RawPeer.joined(r.url)
        for topic in ("com.r.a", "com.r.b", "com.r.c"):
            await publisher.send(_publish_retained(topic, 40_000))
            await publisher.recv_code(PUBLISHED)
        subscriber = await RawPeer.joined(r.url)
        await subscriber.send([SUBSCRIBE, 1, {"match": "prefix", "get_retained": True}, "com.r"])
        received = []
        try:
            for _ in range(10):
                received.append(await subscriber.recv(timeout=5))
        except (ConnectionClosed, asyncio.TimeoutError):
            pass
        assert received and received[0][0] == SUBSCRIBED, received[:1]
        assert r.alive(), "the router died"
        await assert_router_serves(r.url)

    run(scenario())
    assert r.alive()


async def _meta_subscriber(url: str, topics) -> RawPeer:
    peer = await RawPeer.joined(url)
    for request, topic in enumerate(topics, start=1):
        await peer.send([SUBSCRIBE, request, {}, topic])
        await peer.recv_code(SUBSCRIBED)
    return peer


def _pipelined(router, messages, connections: int = 8) -> None:
    """Sends `messages` from each of several raw connections in one write each, so the router
    handles them in one read and sends their meta events in one loop tick (one connection at
    least shares the subscriber's event loop)."""
    frames = b"".join(masked_frame(0x1, json.dumps(m).encode()) for m in messages)
    socks = []
    for _ in range(connections):
        sock = upgraded_socket(router)
        sock.sendall(frames)
        socks.append(sock)
    time.sleep(1.0)
    for sock in socks:
        sock.close()


async def _drain_until_closed(peer: RawPeer, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            await peer.recv(timeout=max(0.1, deadline - time.monotonic()))
    except (ConnectionClosed, asyncio.TimeoutError):
        pass
    return peer.ws.close_code is not None


def _survives_meta_flood(router_factory, topics, messages) -> None:
    """A subscriber of `topics` whose backlog the meta events of `messages` overflow is closed;
    the router stays up and serves everybody else."""
    r = router_factory(extra_args=["--max-backlog-bytes", "65536"])

    async def scenario():
        watcher = await _meta_subscriber(r.url, topics)
        await asyncio.get_running_loop().run_in_executor(None, _pipelined, r, messages)
        assert r.alive(), "the router died"
        assert await _drain_until_closed(watcher), "the over-full subscriber was not closed"
        await assert_router_serves(r.url)

    run(scenario())
    assert r.alive()
    assert "outbound backlog overflow" in r.log_path.read_text(errors="replace")


def test_on_join_events_past_a_subscribers_backlog_do_not_crash(router_factory):
    """Meta events sent while the membership order was held used to close their subscriber on
    the sender's stack, which re-entered the lock: the router died. Each on_join event is made
    big by the HELLO's authextra (40 kB, well within --max-options-bytes), which anonymous
    sessions' details carry (the router assigns the authid, so a HELLO authid cannot do it)."""
    big = "a" * 40_000
    messages = []
    for i in range(5):
        messages += [[HELLO, "realm1", {"roles": CLIENT_ROLES, "authextra": {"padding": f"{big}{i}"}}],
                     [GOODBYE, {}, "wamp.close.close_realm"]]
    _survives_meta_flood(router_factory, ["wamp.session.on_join"], messages)


def test_on_register_events_past_a_subscribers_backlog_do_not_crash(router_factory):
    long = "x" * 40_000
    messages = [[HELLO, "realm1", {"roles": CLIENT_ROLES}]]
    messages += [[REGISTER, i + 1, {}, f"com.slow.{long}.{i}"] for i in range(5)]
    _survives_meta_flood(router_factory, ["wamp.registration.on_create", "wamp.registration.on_register"], messages)


def test_per_session_limits_answer_limit_exceeded_and_keep_the_session(router_factory):
    r = router_factory(extra_args=["--max-subscriptions", "2", "--max-pending-calls", "2",
                                   "--max-registrations", "1"])

    async def scenario():
        peer = await RawPeer.joined(r.url)
        for request in (1, 2):
            await peer.send([SUBSCRIBE, request, {}, f"com.limit.t{request}"])
            await peer.recv_code(SUBSCRIBED)
        await peer.send([SUBSCRIBE, 3, {}, "com.limit.t3"])
        error = await peer.recv_code(ERROR)
        assert error[1] == SUBSCRIBE and error[2] == 3 and error[4] == "router.error.limit_exceeded", error
        assert "--max-subscriptions" in error[3].get("message", "")
        await peer.send([REGISTER, 4, {}, "com.limit.p"])
        await peer.recv_code(REGISTERED)
        await peer.send([REGISTER, 5, {}, "com.limit.q"])
        error = await peer.recv_code(ERROR)
        assert error[4] == "router.error.limit_exceeded", error
        caller = await RawPeer.joined(r.url)
        for request in (1, 2, 3):
            await caller.send([CALL, request, {}, "com.limit.p", []])
        error = await caller.recv_code(ERROR)
        assert error[1] == CALL and error[2] == 3 and error[4] == "router.error.limit_exceeded", error
        # Both sessions are still up and routing.
        for _ in (1, 2):
            invocation = await peer.recv_code(INVOCATION)
            await peer.send([YIELD, invocation[1], {}, ["ok"]])
        answered = {(await caller.recv_code(RESULT))[1] for _ in (1, 2)}
        assert answered == {1, 2}
        await peer.send([PUBLISH, 9, {"acknowledge": True}, "com.limit.t1", []])
        await peer.recv_code(PUBLISHED)

    run(scenario())


def test_reused_progressive_request_id_gets_an_answer(router):
    roles = {"caller": {"features": {"progressive_call_invocations": True}}, "callee": {
        "features": {"progressive_call_invocations": True, "call_canceling": True}}}

    async def scenario():
        callee = await RawPeer.connect(router.url)
        await callee.hello("realm1", roles=roles)
        procedure = unique("com.reuse")
        await callee.send([REGISTER, 1, {}, procedure])
        await callee.recv_code(REGISTERED)
        caller = await RawPeer.connect(router.url)
        await caller.hello("realm1", roles=roles)
        for round_ in range(3):
            await caller.send([CALL, 5, {}, procedure, [round_]])
            invocation = await callee.recv_code(INVOCATION)
            assert invocation[4] == [round_]
            await callee.send([YIELD, invocation[1], {}, [round_ * 10]])
            result = await caller.recv_code(RESULT)
            assert result[1] == 5 and result[3] == [round_ * 10], result

    run(scenario())


def test_peer_strings_in_logs_are_escaped_and_a_refusal_flood_is_throttled(router_factory):
    r = router_factory()

    async def scenario():
        peer = await RawPeer.joined(r.url)
        await peer.send([PUBLISH, 1, {}, "com.bad\nFAKE LOG ENTRY \x1b[31m", []])
        for i in range(2000):
            await peer.send([PUBLISH, i + 2, {}, "not a valid uri!", []])
        await peer.send([PUBLISH, 99999, {"acknowledge": True}, "com.ok", []])
        await peer.recv_code(PUBLISHED)

    run(scenario())
    log = r.log_path.read_text(errors="replace")
    assert not any(line.startswith("FAKE LOG ENTRY") for line in log.splitlines()), "a peer forged a log line"
    assert "\x1b" not in log
    assert "\\nFAKE LOG ENTRY" in log
    refused = [line for line in log.splitlines() if "unacknowledged PUBLISH refused" in line]
    assert 1 <= len(refused) <= 10, f"{len(refused)} log lines for 2001 refusals"


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
