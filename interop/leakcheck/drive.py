"""Drive a short, deterministic scenario against a router (for the valgrind leak check).

    drive.py ws://127.0.0.1:PORT/ ROUTER_PID

Sessions, 200 calls, 200 events, ERROR replies, a pending call whose callee drops, an abrupt TCP
drop, malformed input (each ending a session with ABORT), a refused upgrade, plain HTTP, GOODBYE,
and finally SIGTERM to the router (ROUTER_PID) while two sessions still hold a registration and a
subscription: both must get GOODBYE wamp.close.system_shutdown.
Exits non-zero if the router answers something unexpected."""

from __future__ import annotations

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
    def __init__(self, url: str, realm: str = "realm1", hello: bool = True):
        self.ws = connect(url, subprotocols=["wamp.2.json"], open_timeout=TIMEOUT, close_timeout=5,
                          max_size=None, compression=None)
        if hello:
            self.send([1, realm, HELLO[2]])
            welcome = self.recv()
            assert welcome[0] == 2, welcome

    def send(self, msg):
        self.ws.send(msg if isinstance(msg, (str, bytes)) else json.dumps(msg))

    def recv(self):
        data = self.ws.recv(timeout=TIMEOUT)
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
    p.send([1, "no.such.realm", {}])
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
