"""Lifecycle and logs (issue 11): under swift-service-lifecycle, SIGTERM drains the router
(GOODBYE wamp.close.system_shutdown to an Autobahn|Python session, exit 0 within
--shutdown-grace plus a margin), --log-format json writes one JSON object per line with the
shutdown's start and end, and `wamp-router version` names the jansson the binary runs with."""

from __future__ import annotations

import asyncio
import ctypes
import ctypes.util
import json
import re
import signal
import subprocess
import time

from conftest import REPO_ROOT, router_bin
from wamp_helpers import GOODBYE, RawPeer, autobahn_session, run

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")
# What the exit may take past the grace: the close of unanswered connections (1 s) and the
# event loops' own shutdown, with room for a loaded CI machine.
EXIT_MARGIN = 5.0


def json_log_lines(router) -> list[dict]:
    """Every log line of the router (after conftest's `$ command` line), each parsed as JSON:
    a line that is not one JSON object fails the test."""
    router._close_log()
    lines = router.log_path.read_text().splitlines()
    assert lines and lines[0].startswith("$ "), lines[:1]
    parsed = []
    for line in lines[1:]:
        try:
            value = json.loads(line)
        except json.JSONDecodeError as e:
            raise AssertionError(f"not a JSON line ({e}): {line!r}") from None
        assert isinstance(value, dict), line
        parsed.append(value)
    return parsed


def wait_exit(router, timeout: float) -> tuple[int, float]:
    started = time.monotonic()
    try:
        rc = router.proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"router still running {timeout} s after SIGTERM") from None
    return rc, time.monotonic() - started


async def joined_then_signalled(router, sig=signal.SIGTERM) -> RawPeer:
    """A raw peer joined to realm1, then `sig` to the router: the peer, once its GOODBYE
    wamp.close.system_shutdown has come (it has not answered it)."""
    peer = await RawPeer.joined(router.url, "realm1")
    router.proc.send_signal(sig)
    goodbye = await peer.recv(timeout=10)
    assert goodbye[0] == GOODBYE and goodbye[2] == "wamp.close.system_shutdown", goodbye
    return peer


def assert_drained_once(router, grace: float) -> None:
    """Exit 0 within the grace plus the margin, one "shutdown began" before "shutdown finished"
    in the JSON log."""
    rc, _ = wait_exit(router, grace + EXIT_MARGIN)
    assert rc == 0, f"exit code {rc} (a negative code is the signal that ended the process)"
    messages = [line["message"] for line in json_log_lines(router)]
    assert messages.count("shutdown began") == 1, messages
    assert messages.index("shutdown began") < messages.index("shutdown finished"), messages


def test_sigterm_drains_an_autobahn_session_and_logs_json(router_factory):
    grace = 1.0
    # conftest passes --log-level info first; the later value wins (debug: the session's
    # join is logged with its session and realm metadata).
    r = router_factory(realms=("realm1",), extra_args=["--log-format", "json", "--shutdown-grace", str(grace),
                                                      "--log-level", "debug"])

    async def scenario():
        session = await autobahn_session(r.url, "realm1")
        session_id = session.session_id
        r.proc.send_signal(signal.SIGTERM)
        details = await asyncio.wait_for(asyncio.shield(session.left), 10)
        assert details.reason == "wamp.close.system_shutdown", details
        await asyncio.wait_for(asyncio.shield(session.disconnected), 10)
        return session_id

    session_id = run(scenario(), timeout=60)
    rc, elapsed = wait_exit(r, grace + EXIT_MARGIN)
    assert rc == 0, f"exit code {rc}"

    lines = json_log_lines(r)
    for line in lines:
        assert set(line) >= {"time", "level", "label", "message"}, line
        assert RFC3339_UTC.match(line["time"]), line
        assert line["level"] in ("trace", "debug", "info", "notice", "warning", "error", "critical"), line
    messages = [line["message"] for line in lines]
    assert "shutdown began" in messages and "shutdown finished" in messages, messages
    began, finished = messages.index("shutdown began"), messages.index("shutdown finished")
    assert began < finished, messages
    assert lines[began]["level"] == "notice" and lines[began]["graceSeconds"] == str(grace), lines[began]
    listening = next(line for line in lines if line["message"] == "router listening")
    assert listening["url"] == f"ws://127.0.0.1:{r.port}/", listening
    joined = next(line for line in lines if line["message"] == "session joined")
    assert joined["session"] == str(session_id) and joined["realm"] == "realm1", joined
    # the session's GOODBYE lands between the two, and nothing after "finished" but the end
    assert all(m != "shutdown began" for m in messages[finished:]), messages


def test_sigterm_exit_is_bounded_by_the_grace_when_a_peer_never_answers(router_factory):
    grace = 0.5
    r = router_factory(realms=("realm1",), extra_args=["--shutdown-grace", str(grace), "--log-format", "json"])

    async def scenario():
        peer = await joined_then_signalled(r)
        # never answers: the router closes it after the grace
        await peer.expect_closed(timeout=grace + EXIT_MARGIN)

    run(scenario(), timeout=60)
    assert_drained_once(r, grace)


def test_a_second_sigterm_during_the_drain_does_not_cut_it_short(router_factory):
    grace = 1.0
    r = router_factory(realms=("realm1",), extra_args=["--shutdown-grace", str(grace), "--log-format", "json"])

    async def scenario():
        peer = await joined_then_signalled(r)
        r.proc.send_signal(signal.SIGTERM)  # the peer does not answer: the drain is still on
        await peer.expect_closed(timeout=grace + EXIT_MARGIN)

    run(scenario(), timeout=60)
    assert_drained_once(r, grace)


def test_sigint_drains_as_sigterm_does(router_factory):
    r = router_factory(realms=("realm1",), extra_args=["--log-format", "json"])

    run(joined_then_signalled(r, signal.SIGINT), timeout=60)
    assert_drained_once(r, 2.0)


def test_text_format_is_the_default_and_not_json(router_factory):
    r = router_factory(realms=("realm1",))
    r.proc.send_signal(signal.SIGTERM)
    rc, _ = wait_exit(r, 2.0 + EXIT_MARGIN)
    assert rc == 0
    r._close_log()
    lines = r.log_path.read_text().splitlines()[1:]
    assert any("shutdown finished" in line for line in lines), lines
    assert not any(line.startswith("{") for line in lines), lines


def system_jansson_version() -> str:
    """The version the dynamic loader's libjansson reports, asked directly (not of the router)."""
    name = ctypes.util.find_library("jansson") or "libjansson.so.4"
    library = ctypes.CDLL(name)
    library.jansson_version_str.restype = ctypes.c_char_p
    return library.jansson_version_str().decode()


def git_head() -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def test_version_names_jansson_nio_tls_and_the_commit():
    out = subprocess.run([str(router_bin()), "version"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(": ", 1) for line in out.stdout.splitlines()[1:])
    assert re.match(r"^wamp-router \d+\.\d+", out.stdout), out.stdout
    assert lines["jansson"].split(" ")[0] == system_jansson_version(), out.stdout
    assert re.match(r"^2\.\d+\.\d+$", lines["swift-nio"]), out.stdout
    assert re.match(r"^2\.\d+\.\d+ \(TLS: the BoringSSL bundled with it\)$", lines["swift-nio-ssl"]), out.stdout
    head = git_head()
    if head is None:
        assert lines["commit"] == "unknown", out.stdout
    else:
        # the binary under test is built from this checkout (CI builds, then tests)
        assert lines["commit"].split("-")[0] == head, f"binary built from {lines['commit']}, checkout at {head}"


def test_tickets_never_reach_the_json_log(tmp_path):
    """At trace level, a right and a wrong ticket: neither appears anywhere in the log."""
    from auth_helpers import CONFIGS, auth_session, refused
    from conftest import start_configured_router, stop_configured_router

    router = start_configured_router("lifecycle-secrets", CONFIGS / "shared-authids.json", tmp_path / "cfg",
                                     impl="ours", extra_args=["--auth-failure-delay", "0", "--log-format", "json",
                                                              "--log-level", "trace"])
    wrong = "wrong-ticket-5f1e9c"

    async def scenario():
        session = await auth_session(router.url(0), "realm1",
                                     {"authmethods": ["ticket"], "authid": "alice", "ticket": "alice-ticket"})
        await session.leave_and_wait()
        details = await refused(router.url(0), "realm1", {"authmethods": ["ticket"], "authid": "bob", "ticket": wrong})
        assert details.reason == "wamp.error.not_authorized", (details.reason, details.message)

    try:
        run(scenario(), timeout=60)
    finally:
        stop_configured_router(router)
    text = router.log_path.read_text()
    lines = json_log_lines(router)
    assert any(line["message"] == "authentication refused" for line in lines), text[-2000:]
    assert "alice-ticket" not in text and wrong not in text
