"""Authentication (issue 9) with interop/configs/crossbar-user.json: every method lets the right
Autobahn|Python client in with the configured identity, and refuses wrong credentials with
Crossbar's ABORT URIs. Runs on ROUTER_IMPL=ours (default) or crossbar."""

from __future__ import annotations

import asyncio

import pytest

from auth_helpers import (ALICE, APP, BACKEND, BOB, BOB_SALT, DEVICE7, IMPL, OPS, OPS_DAVE, TEST_TIMEOUT,
                          WAIT, auth_session, key_for, refused)
from wamp_helpers import ABORT, RawPeer, close_all, run

CHALLENGE, AUTHENTICATE = 4, 5


def check_identity(session, authid, authrole, authmethod, authprovider="static", realm=APP):
    """SessionDetails (from WELCOME) carry the authenticated identity."""
    d = session.joined.result()
    assert (d.realm, d.authid, d.authrole, d.authmethod, d.authprovider) == \
        (realm, authid, authrole, authmethod, authprovider), \
        f"WELCOME details: realm={d.realm!r} authid={d.authid!r} authrole={d.authrole!r} " \
        f"authmethod={d.authmethod!r} authprovider={d.authprovider!r}"
    return d


async def meta_view(url, session, realm=APP):
    """What wamp.session.get says about `session`, asked by a backend session."""
    admin = await auth_session(url, realm, BACKEND) if realm == APP else session
    try:
        info = await asyncio.wait_for(admin.call("wamp.session.get", session._session_id), WAIT)
    finally:
        if admin is not session:
            await close_all(admin)
    return info


@pytest.mark.parametrize("creds,authid,authrole,authmethod", [
    (ALICE, "alice", "frontend", "ticket"),
    (BACKEND, "backend", "backend", "wampcra"),
    (BOB, "bob", "frontend", "wampcra"),
    (DEVICE7, "device-7", "frontend", "cryptosign"),
], ids=["ticket", "wampcra", "wampcra-salted", "cryptosign"])
def test_method_authenticates_with_configured_identity(app_router, creds, authid, authrole, authmethod):
    async def main():
        url = app_router.url(0)
        s = await auth_session(url, APP, creds)
        try:
            check_identity(s, authid, authrole, authmethod)
            assert [c.method for c in s.challenges] == [authmethod]
            info = await meta_view(url, s)
            for key, want in (("authid", authid), ("authrole", authrole), ("authmethod", authmethod),
                              ("authprovider", "static"), ("session", s._session_id)):
                assert info.get(key) == want, f"wamp.session.get: {key}={info.get(key)!r}, want {want!r} ({info!r})"
        finally:
            await close_all(s)

    run(main(), TEST_TIMEOUT)


def test_salted_wampcra_challenge_carries_the_pbkdf2_parameters(app_router):
    async def main():
        s = await auth_session(app_router.url(0), APP, BOB)
        try:
            extra = s.challenges[0].extra
            assert {k: extra.get(k) for k in BOB_SALT} == BOB_SALT, f"CHALLENGE.extra {extra!r}"
        finally:
            await close_all(s)

    run(main(), TEST_TIMEOUT)


def test_anonymous_gets_a_router_assigned_authid(app_router):
    async def main():
        url = app_router.url(0)
        s = await auth_session(url, APP, {"authmethods": ["anonymous"], "authid": "alice"})
        try:
            d = check_identity(s, s.joined.result().authid, "anonymous", "anonymous")
            assert d.authid and d.authid != "alice", f"HELLO authid must be ignored, got authid {d.authid!r}"
            info = await meta_view(url, s)
            assert (info["authid"], info["authrole"]) == (d.authid, "anonymous"), info
        finally:
            await close_all(s)

    run(main(), TEST_TIMEOUT)


def test_no_authmethods_means_anonymous(app_router):
    async def main():
        s = await auth_session(app_router.url(0), APP, {})
        try:
            check_identity(s, s.joined.result().authid, "anonymous", "anonymous")
        finally:
            await close_all(s)

    run(main(), TEST_TIMEOUT)


def test_first_client_method_the_transport_offers_is_used(app_router):
    async def main():
        s = await auth_session(app_router.url(0), APP, dict(ALICE, authmethods=["scram", "ticket", "anonymous"]))
        try:
            check_identity(s, "alice", "frontend", "ticket")
        finally:
            await close_all(s)

    run(main(), TEST_TIMEOUT)


def test_cryptosign_principal_realm_places_the_session(app_router):
    async def main():
        s = await auth_session(app_router.url(0), OPS, OPS_DAVE)
        try:
            check_identity(s, "ops-dave", "operator", "cryptosign", realm=OPS)
        finally:
            await close_all(s)

    run(main(), TEST_TIMEOUT)


def test_cryptosign_pubkey_without_authid_is_accepted(app_router):
    async def main():
        s = await auth_session(app_router.url(0), APP, {"authmethods": ["cryptosign"], "key": "device-7"})
        try:
            check_identity(s, "device-7", "frontend", "cryptosign")
        finally:
            await close_all(s)

    run(main(), TEST_TIMEOUT)


def test_on_join_shows_the_authenticated_identity(app_router):
    async def main():
        url = app_router.url(0)
        watcher = await auth_session(url, APP, BACKEND)
        joins = asyncio.Queue()
        await watcher.subscribe(lambda details: joins.put_nowait(details), "wamp.session.on_join")
        s = await auth_session(url, APP, BOB)
        try:
            while True:
                d = await asyncio.wait_for(joins.get(), WAIT)
                if d.get("session") == s._session_id:
                    break
            for key, want in (("authid", "bob"), ("authrole", "frontend"), ("authmethod", "wampcra"),
                              ("authprovider", "static")):
                assert d.get(key) == want, f"on_join {key}={d.get(key)!r}, want {want!r}: {d!r}"
        finally:
            await close_all(s, watcher)

    run(main(), TEST_TIMEOUT)


# ---- refusals


@pytest.mark.parametrize("creds", [
    dict(ALICE, ticket="wrong"),
    dict(ALICE, authid="mallory"),
    dict(BACKEND, secret="wrong"),
    dict(BOB, secret="wrong"),
    dict(BACKEND, authid="mallory"),
    dict(DEVICE7, key="unknown"),
    {"authmethods": ["cryptosign"], "key": "unknown"},
    dict(DEVICE7, authid="mallory"),
], ids=["ticket-wrong", "ticket-unknown-authid", "wampcra-wrong", "wampcra-salted-wrong",
        "wampcra-unknown-authid", "cryptosign-wrong-key", "cryptosign-unknown-key-no-authid",
        "cryptosign-unknown-authid"])
def test_wrong_credentials_are_not_authorized(app_router, creds):
    async def main():
        d = await refused(app_router.url(0), APP, creds)
        assert d.reason == "wamp.error.not_authorized", f"ABORT {d.reason} {d.message!r}"

    run(main(), TEST_TIMEOUT)


def test_cryptosign_signature_by_another_key_is_not_authorized(app_router):
    """device-7's authid and public key, but the signature made with another key."""
    async def main():
        creds = dict(DEVICE7, key="unknown", authextra={"pubkey": key_for("device-7").public_key()})
        d = await refused(app_router.url(0), APP, creds)
        assert d.reason == "wamp.error.not_authorized", f"ABORT {d.reason} {d.message!r}"

    run(main(), TEST_TIMEOUT)


def test_no_method_in_common(app_router):
    async def main():
        d = await refused(app_router.url(0), APP, {"authmethods": ["scram", "tls"]})
        assert d.reason == "wamp.error.no_auth_method", f"ABORT {d.reason} {d.message!r}"

    run(main(), TEST_TIMEOUT)


def test_no_method_in_common_on_a_transport_without_anonymous(app_router):
    async def main():
        d = await refused(app_router.url(1, "ws"), APP, {"authmethods": ["anonymous"]})
        assert d.reason == "wamp.error.no_auth_method", f"ABORT {d.reason} {d.message!r}"

    run(main(), TEST_TIMEOUT)


def test_refusal_messages_do_not_say_which_part_was_wrong(app_router):
    """Unknown authid and wrong ticket look the same to the client (ours; Crossbar names the
    missing principal, see DIFFERENCES.md)."""
    async def main():
        unknown = await refused(app_router.url(0), APP, dict(ALICE, authid="mallory"))
        wrong = await refused(app_router.url(0), APP, dict(ALICE, ticket="wrong"))
        assert unknown.reason == wrong.reason == "wamp.error.not_authorized"
        if IMPL == "ours":
            assert unknown.message == wrong.message, (unknown.message, wrong.message)
        else:
            assert "mallory" in (unknown.message or ""), unknown.message

    run(main(), TEST_TIMEOUT)


# ---- malformed and out-of-state AUTHENTICATE (raw peer)


async def expect_protocol_violation_or_crossbar_close(peer, sent):
    """Ours: ABORT wamp.error.protocol_violation, then close. Crossbar (measured): fails the
    WebSocket connection with close code 1002 and sends no ABORT."""
    if IMPL == "ours":
        await peer.expect_abort_and_close("wamp.error.protocol_violation", sent=sent)
        return
    code, extra = await peer.expect_closed(WAIT)
    assert not extra and code == 1002, f"Crossbar was measured to close with 1002 and no ABORT, got {code} {extra!r}"


async def hello_ticket(peer, authid="alice"):
    await peer.send([1, APP, {"roles": {"caller": {}}, "authmethods": ["ticket"], "authid": authid}])
    msg = await peer.recv()
    assert msg[:2] == [CHALLENGE, "ticket"], f"expected CHALLENGE ticket, got {msg!r}"


@pytest.mark.parametrize("bad", [
    [AUTHENTICATE, 17, {}],
    [AUTHENTICATE, "alice-ticket-9f2c"],
    [AUTHENTICATE, "alice-ticket-9f2c", "not a dict"],
    [AUTHENTICATE],
], ids=["signature-not-string", "no-extra", "extra-not-dict", "empty"])
def test_malformed_authenticate(app_router, bad):
    async def main():
        peer = await RawPeer.connect(app_router.url(0))
        try:
            await hello_ticket(peer)
            await peer.send(bad)
            await expect_protocol_violation_or_crossbar_close(peer, bad)
        finally:
            await peer.close()

    run(main(), TEST_TIMEOUT)


def test_authenticate_before_hello(app_router):
    """Ours: ABORT protocol_violation and close. Crossbar (measured): ABORT not_authorized
    "no pending authentication" and the connection stays open."""
    async def main():
        peer = await RawPeer.connect(app_router.url(0))
        try:
            msg = [AUTHENTICATE, "alice-ticket-9f2c", {}]
            await peer.send(msg)
            if IMPL == "ours":
                await peer.expect_abort_and_close("wamp.error.protocol_violation", sent=msg)
            else:
                reply = await peer.recv()
                assert reply[0] == ABORT and reply[2] == "wamp.error.not_authorized", reply
        finally:
            await peer.close()

    run(main(), TEST_TIMEOUT)


def test_authenticate_after_welcome(app_router):
    async def main():
        peer = await RawPeer.connect(app_router.url(0))
        try:
            await peer.hello(APP)  # anonymous
            msg = [AUTHENTICATE, "alice-ticket-9f2c", {}]
            await peer.send(msg)
            await expect_protocol_violation_or_crossbar_close(peer, msg)
        finally:
            await peer.close()

    run(main(), TEST_TIMEOUT)


def test_wrong_ticket_aborts_the_attempt(app_router):
    """A wrong ticket ends the attempt with ABORT not_authorized. Ours then closes the
    connection; Crossbar (measured) leaves it open for the client to close."""
    async def main():
        peer = await RawPeer.connect(app_router.url(0))
        try:
            await hello_ticket(peer)
            await peer.send([AUTHENTICATE, "wrong", {}])
            if IMPL == "ours":
                await peer.expect_abort_and_close("wamp.error.not_authorized")
            else:
                reply = await peer.recv()
                assert reply[0] == ABORT and reply[2] == "wamp.error.not_authorized", reply
                with pytest.raises(TimeoutError):
                    await peer.recv(timeout=1.0)
        finally:
            await peer.close()

    run(main(), TEST_TIMEOUT)
