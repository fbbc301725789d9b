"""The trusted backend component of interop/configs/crossbar-user.json, run by the fixture as
its own process (as a Crossbar user runs theirs): it joins com.example.app as `backend`
(wampcra) and registers the dynamic authenticators and the dynamic authorizer that the config
names. It deliberately does not register com.example.authenticate.wampcra, so that a missing
authenticator can be tested. `com.example.backend.calls` reports what was asked of it.

Usage: auth_backend.py URL   (prints READY once everything is registered)
"""

from __future__ import annotations

import asyncio
import sys

from autobahn.wamp.exception import ApplicationError

from auth_helpers import APP, BACKEND, DYN_TICKET, auth_session, key_for

AUTHORIZER_CALLS: dict[str, int] = {}  # "action uri" -> count
AUTHENTICATOR_CALLS: list[dict] = []


def authenticate_ticket(realm, authid, details):
    AUTHENTICATOR_CALLS.append({"method": "ticket", "realm": realm, "authid": authid,
                                "has_ticket": "ticket" in details})
    if authid == "banned":
        raise ApplicationError("com.example.error.banned", "this user is banned")
    if authid == "dyn-alice" and details.get("ticket") == DYN_TICKET:
        return {"role": "frontend", "extra": {"greeting": "hello dyn-alice"}}
    if authid == "dyn-rename" and details.get("ticket") == DYN_TICKET:
        return {"role": "frontend", "authid": "renamed-by-backend"}
    raise ApplicationError("wamp.error.not_authorized", "bad ticket")


def authenticate_cryptosign(realm, authid, details):
    pubkey = (details.get("authextra") or {}).get("pubkey")
    AUTHENTICATOR_CALLS.append({"method": "cryptosign", "realm": realm, "authid": authid, "pubkey": pubkey})
    if pubkey == key_for("dyn-device").public_key():
        return {"pubkey": pubkey, "role": "frontend", "authid": "dyn-device"}
    raise ApplicationError("wamp.error.not_authorized", "unknown key")


def authorize(session, uri, action, options=None):
    AUTHORIZER_CALLS[f"{action} {uri}"] = AUTHORIZER_CALLS.get(f"{action} {uri}", 0) + 1
    if uri.startswith("com.example.restricted.open."):
        return {"allow": True, "disclose": True, "cache": True}
    if uri.startswith("com.example.restricted.nocache."):
        return {"allow": True, "disclose": False, "cache": False}
    if uri.startswith("com.example.restricted.raise"):
        raise ApplicationError("com.example.error.authorizer_broke", "authorizer failed")
    if uri.startswith("com.example.restricted.whoami"):
        return session.get("authid") == "carol" and session.get("authrole") == "restricted"
    return False


def calls():
    return {"authorizer": AUTHORIZER_CALLS, "authenticator": AUTHENTICATOR_CALLS}


async def main(url: str) -> None:
    session = await auth_session(url, APP, BACKEND)
    await session.register(authenticate_ticket, "com.example.authenticate.ticket")
    await session.register(authenticate_cryptosign, "com.example.authenticate.cryptosign")
    await session.register(authorize, "com.example.authorize")
    await session.register(calls, "com.example.backend.calls")
    print("READY", flush=True)
    await session.disconnected  # ends when the router goes away
    print("router connection closed", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
