"""What a config-file router does at run time beyond the Crossbar scenarios (this router only:
Crossbar has none of it): slowing down repeated authentication failures, SIGHUP reloading roles
and principals without dropping sessions, and flags overriding the file."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from conftest import start_configured_router, stop_configured_router
from wamp_helpers import ABORT, CLIENT_ROLES, ERROR, HELLO, RESULT, WELCOME, ConnectionClosed, RawPeer, run

CHALLENGE = 4

CONFIG = """{
    "version": 2,
    "controller": {},
    "workers": [{
        "type": "router",
        "realms": [{
            "name": "realm1",
            "roles": [
                {"name": "user", "permissions": [
                    {"uri": "com.example.open.", "match": "prefix",
                     "allow": {"call": true, "register": true, "publish": true, "subscribe": true}},
                    {"uri": "wamp.session.count", "allow": {"call": true}}
                ]}
            ]
        }],
        "transports": [{
            "type": "websocket",
            "endpoint": {"type": "tcp", "interface": "127.0.0.1", "port": 18123},
            "options": {"max_message_size": 4096},
            "auth": {"ticket": {"type": "static", "principals": {
                "alice": {"ticket": "PASSWORD_ALICE", "role": "user"}
            }}}
        }]
    }]
}
"""


def write_config(directory: Path, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "template.json"
    path.write_text(text)
    return path


async def ticket_attempt(url: str, ticket: str, authid: str = "alice"):
    """HELLO with ticket, answer the CHALLENGE; returns (the final message, seconds it took)."""
    peer = await RawPeer.connect(url)
    started = time.monotonic()
    await peer.send([HELLO, "realm1", {"roles": CLIENT_ROLES, "authmethods": ["ticket"], "authid": authid}])
    challenge = await peer.recv()
    assert challenge[0] == CHALLENGE and challenge[1] == "ticket", challenge
    await peer.send([5, ticket, {}])
    final = await peer.recv(timeout=15)
    return peer, final, time.monotonic() - started


def test_repeated_failures_from_one_address_are_slowed_down(tmp_path):
    template = write_config(tmp_path / "t", CONFIG)
    router = start_configured_router("throttle", template, tmp_path / "run", impl="ours",
                                     extra_args=["--auth-free-failures", "2", "--auth-failure-delay", "0.4",
                                                 "--auth-failure-max-delay", "0.8"])
    try:
        async def go():
            took = []
            for _ in range(5):
                peer, final, seconds = await ticket_attempt(router.url(), "wrong")
                assert final[0] == ABORT and final[2] == "wamp.error.not_authorized", final
                await peer.ws.close()
                took.append(seconds)
            # free, free, then 0.4 s, 0.8 s, 0.8 s (capped)
            assert took[0] < 0.3 and took[1] < 0.3, took
            assert 0.35 <= took[2] < 2.0, took
            assert 0.75 <= took[3] < 2.5 and 0.75 <= took[4] < 2.5, took
            # a success forgives the address: the next failure is free again
            peer, final, _ = await ticket_attempt(router.url(), "PASSWORD_ALICE")
            assert final[0] == WELCOME, final
            await peer.ws.close()
            peer, final, seconds = await ticket_attempt(router.url(), "wrong")
            assert final[0] == ABORT and seconds < 0.3, (final, seconds)
        run(go(), timeout=60)
        log = router.log_path.read_text()
        assert "PASSWORD_ALICE" not in log and "wrong" not in log.replace("wrong ticket", ""), \
            "a presented or configured ticket reached the log"
        assert "ABORT held back" in log, "the delay is not logged"
    finally:
        stop_configured_router(router)


def test_sighup_reloads_roles_and_principals_without_dropping_sessions(tmp_path):
    template = write_config(tmp_path / "t", CONFIG)
    router = start_configured_router("reload", template, tmp_path / "run", impl="ours")
    try:
        async def go():
            peer, final, _ = await ticket_attempt(router.url(), "PASSWORD_ALICE")
            assert final[0] == WELCOME and final[2]["authrole"] == "user", final
            await peer.send([48, 1, {}, "wamp.session.count", []])
            assert (await peer.recv())[0] == RESULT
            await peer.send([48, 2, {}, "com.example.closed.thing", []])
            denied = await peer.recv()
            assert denied[0] == ERROR and denied[4] == "wamp.error.not_authorized", denied

            # New file: alice's ticket changes, bob appears, the role loses wamp.session.count
            # and gains com.example.closed.; the port and options stay (no restart needed).
            text = router.config_path.read_text()
            text = text.replace('"PASSWORD_ALICE"', '"NEW_ALICE"')
            text = text.replace('"alice": {', '"bob": {"ticket": "PASSWORD_BOB", "role": "user"}, "alice": {')
            text = text.replace('{"uri": "wamp.session.count", "allow": {"call": true}}',
                                '{"uri": "com.example.closed.", "match": "prefix", "allow": {"call": true}}')
            router.config_path.write_text(text)
            router.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 10
            while "configuration reloaded" not in router.log_path.read_text():
                assert time.monotonic() < deadline, "no reload within 10 s"
                await asyncio.sleep(0.1)

            # The running session stays up and is authorized against the new table.
            await peer.send([48, 3, {}, "wamp.session.count", []])
            denied = await peer.recv()
            assert denied[0] == ERROR and denied[4] == "wamp.error.not_authorized", denied
            await peer.send([48, 4, {}, "com.example.closed.thing", []])
            missing = await peer.recv()
            assert missing[0] == ERROR and missing[4] == "wamp.error.no_such_procedure", missing
            # New sessions use the new principals.
            old, final, _ = await ticket_attempt(router.url(), "PASSWORD_ALICE")
            assert final[0] == ABORT, final
            new, final, _ = await ticket_attempt(router.url(), "NEW_ALICE")
            assert final[0] == WELCOME, final
            bob, final, _ = await ticket_attempt(router.url(), "PASSWORD_BOB", authid="bob")
            assert final[0] == WELCOME and final[2]["authid"] == "bob", final

            # A broken file changes nothing.
            router.config_path.write_text(text.replace('"version": 2', '"version": 3'))
            router.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 10
            while "reload refused" not in router.log_path.read_text():
                assert time.monotonic() < deadline, "no refusal logged within 10 s"
                await asyncio.sleep(0.1)
            again, final, _ = await ticket_attempt(router.url(), "NEW_ALICE")
            assert final[0] == WELCOME, final
            for p in (peer, old, new, bob, again):
                await p.ws.close()
        run(go(), timeout=60)
        assert router.alive()
        log = router.log_path.read_text()
        assert "NEW_ALICE" not in log and "PASSWORD_BOB" not in log, "a ticket reached the log"
    finally:
        stop_configured_router(router)


def test_flags_override_the_file(tmp_path):
    """The file says max_message_size 4096; --max-message-size 100000 given as well wins."""
    template = write_config(tmp_path / "t", CONFIG)
    for extra, expect_close in ((["--auth-failure-delay", "0"], True),
                                (["--auth-failure-delay", "0", "--max-message-size", "100000"], False)):
        router = start_configured_router("override", template, tmp_path / ("run" + str(len(extra))), impl="ours",
                                         extra_args=extra)
        try:
            async def go():
                peer, final, _ = await ticket_attempt(router.url(), "PASSWORD_ALICE")
                assert final[0] == WELCOME, final
                big = [16, 1, {"acknowledge": True}, "com.example.open.big", ["x" * 8000]]
                if expect_close:
                    try:
                        await peer.send(big)
                    except ConnectionClosed:
                        pass
                    code, _ = await peer.expect_closed(timeout=10)
                    assert code == 1009, f"expected close 1009 (the file's max_message_size), got {code}"
                else:
                    await peer.send(big)
                    answer = await peer.recv(timeout=5)
                    assert answer[0] == 17, answer
            run(go(), timeout=30)
        finally:
            stop_configured_router(router)


def test_check_config_accepts_the_example_configs():
    import subprocess
    from conftest import router_bin
    examples = Path(__file__).resolve().parents[1] / "configs"
    for name in ("crossbar-user.json",):
        proc = subprocess.run([str(router_bin()), "check-config", str(examples / name)],
                              capture_output=True, text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert "ok (" in proc.stdout, proc.stdout
