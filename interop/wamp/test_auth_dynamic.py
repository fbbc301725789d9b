"""Dynamic authenticators and a dynamic authorizer (issue 9), answered by the Python backend
component auth_backend.py that the app_router fixture starts: transport 1 (web, path ws) of
interop/configs/crossbar-user.json authenticates through com.example.authenticate.*, and the
role `restricted` (carol) is authorized by com.example.authorize. ROUTER_IMPL=ours|crossbar."""

from __future__ import annotations

import asyncio

import pytest
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import RegisterOptions

from auth_helpers import APP, BACKEND, CAROL, DYN_TICKET, TEST_TIMEOUT, WAIT, auth_session, key_for, refused
from wamp_helpers import close_all, run, unique


def dynamic_url(router):
    return router.url(1, "ws")


async def backend_calls(url):
    s = await auth_session(url, APP, BACKEND)
    try:
        return await asyncio.wait_for(s.call("com.example.backend.calls"), WAIT)
    finally:
        await close_all(s)


def test_dynamic_ticket_takes_role_and_extra_from_the_authenticator(app_router):
    async def main():
        s = await auth_session(dynamic_url(app_router), APP,
                               {"authmethods": ["ticket"], "authid": "dyn-alice", "ticket": DYN_TICKET})
        try:
            d = s.joined.result()
            assert (d.authid, d.authrole, d.authmethod, d.authprovider) == \
                ("dyn-alice", "frontend", "ticket", "dynamic"), d
            assert (d.authextra or {}).get("greeting") == "hello dyn-alice", f"authextra {d.authextra!r}"
            calls = (await backend_calls(app_router.url(0)))["authenticator"]
            mine = [c for c in calls if c["authid"] == "dyn-alice"]
            assert mine and mine[-1] == {"method": "ticket", "realm": APP, "authid": "dyn-alice", "has_ticket": True}, calls
        finally:
            await close_all(s)

    run(main(), TEST_TIMEOUT)


def test_dynamic_authenticator_may_assign_another_authid(app_router):
    async def main():
        s = await auth_session(dynamic_url(app_router), APP,
                               {"authmethods": ["ticket"], "authid": "dyn-rename", "ticket": DYN_TICKET})
        try:
            assert s.joined.result().authid == "renamed-by-backend"
        finally:
            await close_all(s)

    run(main(), TEST_TIMEOUT)


def test_dynamic_authenticator_refusal_is_its_error_uri(app_router):
    async def main():
        d = await refused(dynamic_url(app_router), APP, {"authmethods": ["ticket"], "authid": "dyn-alice", "ticket": "wrong"})
        assert d.reason == "wamp.error.not_authorized", (d.reason, d.message)
        d = await refused(dynamic_url(app_router), APP, {"authmethods": ["ticket"], "authid": "banned", "ticket": DYN_TICKET})
        assert d.reason == "com.example.error.banned", (d.reason, d.message)

    run(main(), TEST_TIMEOUT)


def test_unregistered_dynamic_authenticator_is_no_such_procedure(app_router):
    """The backend does not register com.example.authenticate.wampcra (on purpose)."""
    async def main():
        d = await refused(dynamic_url(app_router), APP, {"authmethods": ["wampcra"], "authid": "x", "secret": "y"})
        assert d.reason == "wamp.error.no_such_procedure", (d.reason, d.message)

    run(main(), TEST_TIMEOUT)


def test_dynamic_cryptosign_gets_the_pubkey(app_router):
    async def main():
        s = await auth_session(dynamic_url(app_router), APP, {"authmethods": ["cryptosign"], "key": "dyn-device"})
        try:
            d = s.joined.result()
            assert (d.authid, d.authrole, d.authmethod, d.authprovider) == \
                ("dyn-device", "frontend", "cryptosign", "dynamic"), d
        finally:
            await close_all(s)
        d = await refused(dynamic_url(app_router), APP, {"authmethods": ["cryptosign"], "key": "unknown"})
        assert d.reason == "wamp.error.not_authorized", (d.reason, d.message)
        # a key the authenticator accepts, but the signature made with another key
        d = await refused(dynamic_url(app_router), APP, {"authmethods": ["cryptosign"], "key": "unknown",
                                                         "authextra": {"pubkey": key_for("dyn-device").public_key()}})
        assert d.reason == "wamp.error.not_authorized", (d.reason, d.message)

    run(main(), TEST_TIMEOUT)


# ---- the dynamic authorizer (role `restricted`)


async def provide(session, procedure, seen):
    def handler(details=None):
        seen.append(details)
        return procedure

    await session.register(handler, procedure, RegisterOptions(details_arg="details"))


def authorizer_count(calls, action, uri):
    return calls["authorizer"].get(f"{action} {uri}", 0)


def test_authorizer_allows_discloses_and_caches(app_router):
    async def main():
        url = app_router.url(0)
        backend = await auth_session(url, APP, BACKEND)
        carol = await auth_session(url, APP, CAROL)
        try:
            proc, seen = unique("com.example.restricted.open.echo"), []
            await provide(backend, proc, seen)
            for _ in range(3):
                assert await asyncio.wait_for(carol.call(proc), WAIT) == proc
            assert [(d.caller, d.caller_authid, d.caller_authrole) for d in seen] == \
                [(carol._session_id, "carol", "restricted")] * 3, "the authorizer's disclose: true"
            calls = await backend_calls(url)
            assert authorizer_count(calls, "call", proc) == 1, f"cache: true, yet {calls['authorizer']!r}"
        finally:
            await close_all(carol, backend)

    run(main(), TEST_TIMEOUT)


def test_authorizer_without_cache_is_asked_every_time(app_router):
    async def main():
        url = app_router.url(0)
        backend = await auth_session(url, APP, BACKEND)
        carol = await auth_session(url, APP, CAROL)
        try:
            proc, seen = unique("com.example.restricted.nocache.echo"), []
            await provide(backend, proc, seen)
            for _ in range(3):
                assert await asyncio.wait_for(carol.call(proc), WAIT) == proc
            assert [d.caller for d in seen] == [None] * 3, "disclose: false"
            calls = await backend_calls(url)
            assert authorizer_count(calls, "call", proc) == 3, calls["authorizer"]
        finally:
            await close_all(carol, backend)

    run(main(), TEST_TIMEOUT)


def test_authorizer_gets_the_session_details(app_router):
    async def main():
        url = app_router.url(0)
        backend = await auth_session(url, APP, BACKEND)
        carol = await auth_session(url, APP, CAROL)
        try:
            proc = unique("com.example.restricted.whoami")
            await provide(backend, proc, [])
            assert await asyncio.wait_for(carol.call(proc), WAIT) == proc
        finally:
            await close_all(carol, backend)

    run(main(), TEST_TIMEOUT)


def test_authorizer_denial(app_router):
    async def main():
        url = app_router.url(0)
        backend = await auth_session(url, APP, BACKEND)
        carol = await auth_session(url, APP, CAROL)
        try:
            proc, seen = unique("com.example.restricted.closed"), []
            await provide(backend, proc, seen)
            with pytest.raises(ApplicationError) as e:
                await asyncio.wait_for(carol.call(proc), WAIT)
            assert e.value.error == "wamp.error.not_authorized", e.value
            with pytest.raises(ApplicationError) as e:
                await asyncio.wait_for(carol.register(lambda: None, unique("com.example.restricted.mine")), WAIT)
            assert e.value.error == "wamp.error.not_authorized", e.value
            assert not seen and carol.is_attached()
        finally:
            await close_all(carol, backend)

    run(main(), TEST_TIMEOUT)


def test_authorizer_that_raises_denies(app_router):
    """ERROR wamp.error.authorization_failed (the issue; Crossbar answers the same)."""
    async def main():
        url = app_router.url(0)
        backend = await auth_session(url, APP, BACKEND)
        carol = await auth_session(url, APP, CAROL)
        try:
            proc, seen = unique("com.example.restricted.raise"), []
            await provide(backend, proc, seen)
            with pytest.raises(ApplicationError) as e:
                await asyncio.wait_for(carol.call(proc), WAIT)
            assert e.value.error == "wamp.error.authorization_failed", e.value
            assert not seen and carol.is_attached()
        finally:
            await close_all(carol, backend)

    run(main(), TEST_TIMEOUT)

