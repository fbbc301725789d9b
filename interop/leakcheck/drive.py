"""Drive a short, deterministic scenario against a router (for the valgrind leak check).

    drive.py ws://127.0.0.1:PORT/ ROUTER_PID

Sessions, 200 calls, 200 events, ERROR replies, a pending call whose callee drops, an abrupt TCP
drop, malformed input (each ending a session with ABORT), a refused upgrade, plain HTTP, GOODBYE,
and finally SIGTERM to the router (ROUTER_PID) while two sessions still hold a registration and a
subscription: both must get GOODBYE wamp.close.system_shutdown.
Exits non-zero if the router answers something unexpected."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import signal
import socket
import sys
import time
import urllib.request
from urllib.parse import urlparse

from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

TIMEOUT = 30  # generous: the router runs under valgrind

HELLO = [1, "realm1", {"roles": {"caller": {}, "callee": {}, "publisher": {}, "subscriber": {}}}]


class Peer:
    def __init__(self, url: str, realm: str = "realm1", hello: bool = True, serializer: str = "json"):
        self.serializer = serializer
        self.ws = connect(url, subprotocols=[f"wamp.2.{serializer}"], open_timeout=TIMEOUT, close_timeout=5,
                          max_size=None, compression=None)
        if hello:
            self.send([1, realm, HELLO[2]])
            welcome = self.recv()
            assert welcome[0] == 2, welcome

    def send(self, msg):
        if isinstance(msg, (str, bytes)):
            self.ws.send(msg)
        elif self.serializer == "msgpack":
            import msgpack
            self.ws.send(msgpack.packb(msg))
        elif self.serializer == "cbor":
            import cbor2
            self.ws.send(cbor2.dumps(msg))
        else:
            self.ws.send(json.dumps(msg))

    def recv(self):
        data = self.ws.recv(timeout=TIMEOUT)
        if self.serializer == "msgpack":
            import msgpack
            return msgpack.unpackb(data, strict_map_key=False)
        if self.serializer == "cbor":
            import cbor2
            return cbor2.loads(data)
        return json.loads(data)

    def expect(self, code: int):
        msg = self.recv()
        assert msg[0] == code, f"expected message type {code}, got {msg!r}"
        return msg

    def expect_abort(self):
        msg = self.recv()
        assert msg[0] == 3 and msg[2] == "wamp.error.protocol_violation", msg
        self.wait_closed()

    def wait_closed(self):
        try:
            while True:
                self.ws.recv(timeout=TIMEOUT)
        except ConnectionClosed:
            pass

    def goodbye(self):
        self.send([6, {}, "wamp.close.normal"])
        msg = self.expect(6)
        assert msg[2] == "wamp.close.goodbye_and_out", msg
        self.ws.close()  # the router may keep the transport for a new session: we close it


def authenticated(url: str, authid: str, method: str, respond, authextra=None) -> "Peer":
    """HELLO with `method`, answer the CHALLENGE with `respond(extra)`; returns the peer and the
    router's answer (WELCOME or ABORT)."""
    p = Peer(url, hello=False)
    details = dict(HELLO[2], authmethods=[method], authid=authid)
    if authextra:
        details["authextra"] = authextra
    p.send([1, "realm1", details])
    challenge = p.recv()
    if challenge[0] != 4:
        return p, challenge
    assert challenge[1] == method, challenge
    p.send([5, respond(challenge[2]), {}])
    return p, p.recv()


def wampcra_signature(secret: str):
    def respond(extra):
        key = secret.encode()
        if "salt" in extra:
            key = base64.b64encode(hashlib.pbkdf2_hmac("sha256", secret.encode(), extra["salt"].encode(),
                                                       extra["iterations"], extra["keylen"]))
        return base64.b64encode(hmac.new(key, extra["challenge"].encode(), hashlib.sha256).digest()).decode()
    return respond


def cryptosign_signature(seed: bytes):
    def respond(extra):
        import nacl.signing
        challenge = bytes.fromhex(extra["challenge"])
        return nacl.signing.SigningKey(seed).sign(challenge).hex()
    return respond


def authentication_and_authorization(url: str) -> None:
    step("authentication: ticket, wampcra (plain, salted), cryptosign; right and wrong")
    seed = bytes(range(32))
    import nacl.signing
    pubkey = nacl.signing.SigningKey(seed).verify_key.encode().hex()
    cases = [
        ("tina", "ticket", lambda extra: "tina-ticket", None, True),
        ("tina", "ticket", lambda extra: "wrong", None, False),
        ("carl", "wampcra", wampcra_signature("carl-secret"), None, True),
        ("carl", "wampcra", wampcra_signature("wrong"), None, False),
        ("sally", "wampcra", wampcra_signature("sally-password"), None, True),
        ("cora", "cryptosign", cryptosign_signature(seed), {"pubkey": pubkey}, True),
        ("cora", "cryptosign", cryptosign_signature(bytes(32)), {"pubkey": pubkey}, False),
        ("nobody", "wampcra", wampcra_signature("x"), None, False),
    ]
    users = []
    for authid, method, respond, authextra, ok in cases:
        p, answer = authenticated(url, authid, method, respond, authextra)
        if ok:
            assert answer[0] == 2 and answer[2]["authid"] == authid, (authid, method, answer)
            users.append(p)
        else:
            assert answer[0] == 3 and answer[2] == "wamp.error.not_authorized", (authid, method, answer)
            p.wait_closed()

    step("authorization: allowed with disclosure, denied, dynamic authorizer")
    tina, carl = users[0], users[1]
    provider = Peer(url)  # anonymous: allowed everything
    provider.send([64, 1, {}, "com.leak.echo"])
    provider.expect(65)
    provider.send([64, 2, {}, "com.leak.authorize"])
    provider.expect(65)
    tina.send([48, 1, {}, "com.leak.echo", ["hi"]])
    invocation = provider.expect(68)
    assert invocation[3].get("caller_authid") == "tina", invocation
    provider.send([70, invocation[1], {}, ["hi"]])
    tina.expect(50)
    for message in ([48, 2, {}, "com.leak.x.secret", []], [64, 3, {}, "com.leak.mine"],
                    [48, 4, {}, "wamp.session.kill_all", []], [32, 5, {}, "wamp.session.on_join"]):
        carl.send(message)
        error = carl.expect(8)
        assert error[4] == "wamp.error.not_authorized", error
    carl.send([16, 6, {}, "com.leak.x.secret", ["dropped"]])  # unacknowledged: no answer
    rita, answer = authenticated(url, "rita", "ticket", lambda extra: "rita-ticket")
    assert answer[0] == 2, answer
    for request, allow in ((1, True), (2, False), (3, {"allow": True, "cache": True}), (4, {"allow": True, "cache": True})):
        rita.send([48, request, {}, "com.leak.echo", [request]])
        if request == 4:  # cached: the authorizer is not asked again
            invocation = provider.expect(68)
            provider.send([70, invocation[1], {}, [request]])
            rita.expect(50)
            continue
        ask = provider.expect(68)
        assert ask[4][1] == "com.leak.echo" and ask[4][2] == "call", ask
        provider.send([70, ask[1], {}, [allow]])
        if allow is False:
            assert rita.expect(8)[4] == "wamp.error.not_authorized"
        else:
            invocation = provider.expect(68)
            provider.send([70, invocation[1], {}, [request]])
            rita.expect(50)
    for p in users + [rita, provider]:
        p.goodbye()


def mixed_serializers(url: str) -> None:
    step("mixed serializers: RPC and events across JSON, MessagePack and CBOR; malformed binary input")
    callee = Peer(url, serializer="msgpack")
    callee.send([64, 1, {}, "com.leak.mixed"])
    callee.expect(65)
    subscribers = [Peer(url, serializer=name) for name in ("json", "msgpack", "cbor")]
    for sub in subscribers:
        sub.send([32, 1, {}, "com.leak.mixed.topic"])
        sub.expect(33)
    publisher = Peer(url, serializer="cbor")
    for index, caller_serializer in enumerate(["json", "cbor", "json", "msgpack"] * 10):
        caller = Peer(url, serializer=caller_serializer)
        caller.send([48, 1, {}, "com.leak.mixed", [index, 0.1, "é", {"n": [1, 2]}], {"k": "v"}])
        invocation = callee.expect(68)
        callee.send([70, invocation[1], {}, invocation[4], invocation[5] if len(invocation) > 5 else {}])
        assert caller.expect(50)[3][0] == index
        if index % 4 == 0:
            # A value JSON cannot carry (NaN) for a JSON receiver: ERROR, not a changed value.
            publisher.send([16, 100 + index, {"acknowledge": True}, "com.leak.mixed.topic", [float("nan")]])
            answer = publisher.recv()
            assert answer[0] == 8 and answer[4] == "wamp.error.invalid_argument", answer
            for sub in subscribers[1:]:  # MessagePack and CBOR carry NaN; only JSON cannot
                event = sub.expect(36)
                assert event[4][0] != event[4][0], event
        publisher.send([16, 200 + index, {"acknowledge": True}, "com.leak.mixed.topic", [index, b"\x00\x01"]])
        publisher.expect(17)
        for sub in subscribers:
            event = sub.expect(36)
            assert event[4][0] == index, event
        caller.goodbye()
    for name, data in [("msgpack", b"\x93\x01\xa5rea"), ("cbor", b"\x83\x01\x65rea"), ("msgpack", b"\xdb\xff\xff\xff\xff")]:
        bad = Peer(url, hello=False, serializer=name)
        bad.send(data)
        bad.expect_abort()
    for peer in [callee, publisher, *subscribers]:
        peer.goodbye()


def step(name: str):
    print(f"drive: {name}", flush=True)


def main(url: str, router_pid: int) -> None:
    t0 = time.monotonic()
    step("sessions and registration")
    callee, caller = Peer(url), Peer(url)
    callee.send([64, 1, {}, "com.leak.add"])
    reg = callee.expect(65)[2]

    step("200 calls")
    for i in range(1, 201):
        caller.send([48, i, {}, "com.leak.add", [i, i], {"pad": "x" * (i * 7)}])
        inv = callee.expect(68)
        assert inv[2] == reg
        callee.send([70, inv[1], {}, [inv[4][0] + inv[4][1]]])
        res = caller.expect(50)
        assert res[1] == i and res[3] == [2 * i], res

    step("errors that keep the session")
    caller.send([48, 1000, {}, "com.leak.nobody"])
    assert caller.expect(8)[4] == "wamp.error.no_such_procedure"
    caller.send([64, 1001, {}, "com.leak.add"])
    assert caller.expect(8)[4] == "wamp.error.procedure_already_exists"
    caller.send([64, 1002, {}, "com..bad"])
    assert caller.expect(8)[4] == "wamp.error.invalid_uri"
    caller.send([16, 1003, {"acknowledge": True}, "wamp.leak"])
    assert caller.expect(8)[4] == "wamp.error.invalid_uri"
    callee.send([70, 999999, {}, ["stray yield"]])  # may be ignored or abort the callee

    step("subscribe and 200 events")
    sub1, sub2, pub = Peer(url), Peer(url), Peer(url)
    for s in (sub1, sub2):
        s.send([32, 1, {}, "com.leak.tick"])
        s.expect(33)
    for i in range(200):
        opts = {"acknowledge": True} if i % 20 == 0 else {}
        pub.send([16, i + 1, opts, "com.leak.tick", [i, "\u2603"], {"i": i}])
        if opts:
            pub.expect(17)
    for s in (sub1, sub2):
        got = [s.expect(36)[4][0] for _ in range(200)]
        assert got == list(range(200)), got[:10]
    sub1.send([34, 2, 987654321])
    msg = sub1.expect(8)
    assert msg[4] == "wamp.error.no_such_subscription", msg

    step("pending call, callee drops without goodbye")
    callee2 = Peer(url)
    callee2.send([64, 1, {}, "com.leak.never"])
    callee2.expect(65)
    caller.send([48, 2000, {}, "com.leak.never", ["payload" * 100]])
    callee2.expect(68)
    callee2.ws.socket.shutdown(socket.SHUT_RDWR)
    callee2.ws.socket.close()
    err = caller.expect(8)
    assert err[1:3] == [48, 2000] and err[4] == "wamp.error.canceled", err

    step("malformed input")
    for bad in ["not json", "{}", "[]", "[999]", "[36, 1, 2, {}]", '[48, "x", {}, "com.a"]',
                '[48, 0, {}, "com.a"]', json.dumps(HELLO), b"[1]"]:
        p = Peer(url)
        p.send(bad)
        p.expect_abort()
    p = Peer(url, hello=False)
    p.send('[48, 1, {}, "com.a"]')  # before HELLO
    p.expect_abort()
    p = Peer(url, hello=False)
    p.send([1, "no.such.realm", HELLO[2]])
    msg = p.recv()
    assert msg[0] == 3 and msg[2] == "wamp.error.no_such_realm", msg
    p.wait_closed()

    step("refused upgrade and plain HTTP")
    try:
        connect(url, subprotocols=["foo"], open_timeout=TIMEOUT)
        raise AssertionError("upgrade without wamp.2.json was accepted")
    except InvalidStatus as e:
        assert e.response.status_code == 400, e
    parsed = urlparse(url)
    with urllib.request.urlopen(f"http://{parsed.hostname}:{parsed.port}/", timeout=TIMEOUT) as resp:
        assert resp.status == 200 and b"realm1" in resp.read()

    step("goodbye")
    for s in (caller, sub1, sub2, pub):
        s.goodbye()
    try:
        callee.goodbye()
    except (ConnectionClosed, AssertionError):
        pass  # the router may have aborted the callee for its stray YIELD

    authentication_and_authorization(url)
    mixed_serializers(url)

    step("SIGTERM with sessions still attached")
    held = Peer(url)
    held.send([64, 1, {}, "com.leak.at_shutdown"])
    held.expect(65)
    held_sub = Peer(url)
    held_sub.send([32, 1, {}, "com.leak.at_shutdown"])
    held_sub.expect(33)
    os.kill(router_pid, signal.SIGTERM)
    for p in (held, held_sub):
        msg = p.expect(6)
        assert msg[2] == "wamp.close.system_shutdown", msg
        try:
            p.send([6, {}, "wamp.close.goodbye_and_out"])
        except ConnectionClosed:
            pass
        p.wait_closed()
    print(f"drive: done in {time.monotonic() - t0:.1f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
