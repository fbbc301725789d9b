"""Graceful shutdown of a private router: every session gets GOODBYE wamp.close.system_shutdown,
then the process exits 0."""

from __future__ import annotations

import asyncio
import signal
import subprocess

import pytest
from websockets.exceptions import ConnectionClosed

from wamp_helpers import CALL, GOODBYE, INVOCATION, RawPeer, run, unique


def expect_exit_0(router, timeout: float = 10.0) -> None:
    try:
        rc = router.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"router still running {timeout} s after the signal") from None
    assert rc == 0, f"router exited with code {rc}"


async def expect_system_shutdown(peer: RawPeer, answer: bool) -> None:
    msg = await peer.recv(timeout=10)
    assert len(msg) == 3 and msg[0] == GOODBYE and isinstance(msg[1], dict) \
        and msg[2] == "wamp.close.system_shutdown", \
        f"expected [6, {{...}}, 'wamp.close.system_shutdown'], got {msg!r}"
    if answer:
        try:
            await peer.send([GOODBYE, {}, "wamp.close.goodbye_and_out"])
        except ConnectionClosed:
            pass
    code, extra = await peer.expect_closed(timeout=10)
    assert not extra, f"messages after the shutdown GOODBYE: {extra!r}"


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_signal_sends_system_shutdown_goodbye_to_every_session_and_exits_0(router_factory, sig):
    r = router_factory()

    async def scenario():
        peers = [await RawPeer.joined(r.url, realm) for realm in ("realm1", "realm2", "realm1")]
        await peers[0].register(unique("com.example.shutdown"))
        await peers[1].subscribe(unique("com.example.shutdown"))
        r.proc.send_signal(sig)
        await asyncio.gather(*[expect_system_shutdown(p, answer=True) for p in peers])

    run(scenario(), timeout=60)
    expect_exit_0(r)


def test_sigterm_exits_0_even_if_peers_never_answer_goodbye(router_factory):
    r = router_factory()

    async def scenario():
        callee = await RawPeer.joined(r.url)
        caller = await RawPeer.joined(r.url)
        proc = unique("com.example.pending_at_shutdown")
        await callee.register(proc)
        await caller.send([CALL, 1, {}, proc])
        await callee.recv_code(INVOCATION)  # a call is pending when the signal comes
        r.proc.send_signal(signal.SIGTERM)
        goodbye = await callee.recv(timeout=10)
        assert goodbye[0] == GOODBYE and goodbye[2] == "wamp.close.system_shutdown", goodbye
        # the caller may first get ERROR wamp.error.canceled for its pending call
        msg = await caller.recv(timeout=10)
        if msg[0] == 8:
            assert msg[:3] == [8, CALL, 1] and msg[4] == "wamp.error.canceled", msg
            msg = await caller.recv(timeout=10)
        assert msg[0] == GOODBYE and msg[2] == "wamp.close.system_shutdown", msg
        # neither peer answers; the router must not wait for them forever
        await callee.expect_closed(timeout=10)
        await caller.expect_closed(timeout=10)

    run(scenario(), timeout=60)
    expect_exit_0(r)


def test_sigterm_with_no_sessions_exits_0_quickly(router_factory):
    r = router_factory()
    r.proc.send_signal(signal.SIGTERM)
    expect_exit_0(r, timeout=5)
