"""The router announces in WELCOME only the advanced features it implements: each announced
broker/dealer feature that has a check in FEATURE_CHECKS is exercised here with raw peers (the
in-process Swift tests cover the rest; announced features without a check here are printed)."""

from __future__ import annotations

import asyncio

from wamp_helpers import (
    CALL, ERROR, EVENT, INVOCATION, PUBLISH, PUBLISHED, REGISTER, REGISTERED, RESULT, SUBSCRIBE,
    SUBSCRIBED, YIELD, RawPeer, run, unique,
)


# Every client feature a check may rely on, announced in HELLO (the router passes feature-specific
# details only to peers that announced the feature).
FULL_ROLES = {
    "caller": {"features": {f: True for f in (
        "caller_identification", "progressive_call_results", "call_canceling", "call_timeout",
        "payload_passthru_mode")}},
    "callee": {"features": {f: True for f in (
        "caller_identification", "progressive_call_results", "call_canceling", "call_timeout",
        "pattern_based_registration", "shared_registration", "payload_passthru_mode")}},
    "publisher": {"features": {f: True for f in (
        "publisher_identification", "subscriber_blackwhite_listing", "publisher_exclusion",
        "payload_passthru_mode")}},
    "subscriber": {"features": {f: True for f in (
        "publisher_identification", "pattern_based_subscription", "payload_passthru_mode")}},
}


async def full_peer(url) -> RawPeer:
    peer = await RawPeer.connect(url)
    await peer.hello("realm1", roles=FULL_ROLES)
    return peer


async def meta_call(peer: RawPeer, procedure: str, args=None, kwargs=None):
    """Call a router meta procedure and return (args, kwargs) of its RESULT."""
    rid = peer.next_id()
    msg = [CALL, rid, {}, procedure]
    if args is not None or kwargs is not None:
        msg.append(args or [])
    if kwargs is not None:
        msg.append(kwargs)
    await peer.send(msg)
    res = await peer.recv()
    assert res[:2] == [RESULT, rid], f"{procedure}: expected RESULT, got {res!r}"
    return (res[3] if len(res) > 3 else []), (res[4] if len(res) > 4 else {})


async def no_message(peer: RawPeer, wait: float = 0.3) -> None:
    try:
        msg = await peer.recv(timeout=wait)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected message {msg!r}")


async def check_publisher_exclusion(url):
    pub = await full_peer(url)
    other = await full_peer(url)
    topic = unique("com.feature.exclusion")
    await pub.subscribe(topic)
    await other.subscribe(topic)
    await pub.send([PUBLISH, 1, {"acknowledge": True}, topic, ["default"]])
    await pub.recv_code(PUBLISHED)
    assert (await other.recv_code(EVENT))[4] == ["default"]
    await pub.send([PUBLISH, 2, {"acknowledge": True, "exclude_me": False}, topic, ["mine too"]])
    # the publisher gets the EVENT and PUBLISHED, in either order; never the first event
    got = [await pub.recv(), await pub.recv()]
    events = [m for m in got if m[0] == EVENT]
    assert len(events) == 1 and events[0][4] == ["mine too"], got
    assert (await other.recv_code(EVENT))[4] == ["mine too"]
    await pub.close()
    await other.close()


async def check_publisher_identification(url):
    pub = await full_peer(url)
    sub = await full_peer(url)
    topic = unique("com.feature.pubid")
    await sub.subscribe(topic)
    await pub.send([PUBLISH, 1, {"disclose_me": True}, topic])
    ev = await sub.recv_code(EVENT)
    assert ev[3].get("publisher") == pub.session_id, ev
    await pub.close()
    await sub.close()


async def check_caller_identification(url):
    callee = await full_peer(url)
    caller = await full_peer(url)
    proc = unique("com.feature.callerid")
    await callee.register(proc)
    await caller.send([CALL, 1, {"disclose_me": True}, proc])
    inv = await callee.recv_code(INVOCATION)
    assert inv[3].get("caller") == caller.session_id, inv
    await callee.send([YIELD, inv[1], {}])
    await caller.recv_code(RESULT)
    await callee.close()
    await caller.close()


async def check_progressive_call_results(url):
    callee = await full_peer(url)
    caller = await full_peer(url)
    proc = unique("com.feature.progress")
    await callee.register(proc)
    await caller.send([CALL, 1, {"receive_progress": True}, proc])
    inv = await callee.recv_code(INVOCATION)
    assert inv[3].get("receive_progress") is True, inv
    await callee.send([YIELD, inv[1], {"progress": True}, [1]])
    await callee.send([YIELD, inv[1], {}, [2]])
    r1 = await caller.recv_code(RESULT)
    r2 = await caller.recv_code(RESULT)
    assert r1[2].get("progress") is True and r1[3] == [1], r1
    assert not r2[2].get("progress") and r2[3] == [2], r2
    await callee.close()
    await caller.close()


async def check_call_canceling(url):
    """The three CANCEL modes of the spec: skip (ERROR now, no INTERRUPT), killnowait (ERROR now
    and INTERRUPT), kill (INTERRUPT; the caller's ERROR follows the callee's answer)."""
    callee = await full_peer(url)
    caller = await full_peer(url)
    proc = unique("com.feature.cancel")
    await callee.register(proc)

    await caller.send([CALL, 1, {}, proc])
    await callee.recv_code(INVOCATION)
    await caller.send([49, 1, {"mode": "skip"}])
    err = await caller.recv_code(ERROR)
    assert err[1:3] == [CALL, 1] and err[4] == "wamp.error.canceled", f"skip: {err!r}"
    await no_message(callee)

    await caller.send([CALL, 2, {}, proc])
    inv = await callee.recv_code(INVOCATION)
    await caller.send([49, 2, {"mode": "killnowait"}])
    err = await caller.recv_code(ERROR)
    assert err[1:3] == [CALL, 2] and err[4] == "wamp.error.canceled", f"killnowait: {err!r}"
    interrupt = await callee.recv_code(69)
    assert interrupt[1] == inv[1], f"killnowait: {interrupt!r}"

    await caller.send([CALL, 3, {}, proc])
    inv = await callee.recv_code(INVOCATION)
    await caller.send([49, 3, {"mode": "kill"}])
    interrupt = await callee.recv_code(69)
    assert interrupt[1] == inv[1], f"kill: {interrupt!r}"
    await no_message(caller)  # kill: no ERROR before the callee answers
    await callee.send([ERROR, INVOCATION, inv[1], {}, "wamp.error.canceled"])
    err = await caller.recv_code(ERROR)
    assert err[1:3] == [CALL, 3] and err[4] == "wamp.error.canceled", f"kill: {err!r}"
    await callee.close()
    await caller.close()


async def check_subscriber_blackwhite_listing(url):
    pub = await full_peer(url)
    subs = [await full_peer(url) for _ in range(3)]
    topic = unique("com.feature.bwlist")
    for s in subs:
        await s.subscribe(topic)
    a, b, c = subs
    await pub.send([PUBLISH, 1, {"acknowledge": True, "exclude": [a.session_id]}, topic, ["not a"]])
    await pub.recv_code(PUBLISHED)
    await pub.send([PUBLISH, 2, {"acknowledge": True, "eligible": [b.session_id]}, topic, ["only b"]])
    await pub.recv_code(PUBLISHED)
    await pub.send([PUBLISH, 3, {"acknowledge": True, "eligible": [a.session_id, b.session_id],
                                 "exclude": [b.session_id]}, topic, ["a by both lists"]])
    await pub.recv_code(PUBLISHED)
    await pub.send([PUBLISH, 4, {"acknowledge": True}, topic, ["all"]])
    await pub.recv_code(PUBLISHED)
    got = {}
    for name, s in zip("abc", subs):
        got[name] = []
        while True:
            ev = await s.recv_code(EVENT)
            got[name].append(ev[4][0])
            if ev[4] == ["all"]:
                break
    assert got == {"a": ["a by both lists", "all"], "b": ["not a", "only b", "all"], "c": ["not a", "all"]}, got
    for p in subs + [pub]:
        await p.close()


async def check_pattern_based_subscription(url):
    sub = await full_peer(url)
    pub = await full_peer(url)
    base = unique("com.feature.pattern")
    await sub.send([SUBSCRIBE, 1, {"match": "prefix"}, base])
    prefix_id = (await sub.recv_code(SUBSCRIBED))[2]
    await sub.send([SUBSCRIBE, 2, {"match": "wildcard"}, base + "..leaf"])
    wildcard_id = (await sub.recv_code(SUBSCRIBED))[2]
    assert prefix_id != wildcard_id
    await pub.send([PUBLISH, 1, {}, base + ".child", ["prefix"]])
    ev = await sub.recv_code(EVENT)
    assert ev[1] == prefix_id and ev[3].get("topic") == base + ".child" and ev[4] == ["prefix"], ev
    await pub.send([PUBLISH, 2, {}, base + ".mid.leaf", ["both"]])
    evs = [await sub.recv_code(EVENT), await sub.recv_code(EVENT)]
    assert sorted(e[1] for e in evs) == sorted([prefix_id, wildcard_id]), evs
    assert all(e[3].get("topic") == base + ".mid.leaf" for e in evs), evs
    await pub.send([PUBLISH, 3, {}, unique("com.feature.elsewhere") + ".leaf", ["neither"]])
    await no_message(sub)
    await sub.close()
    await pub.close()


async def check_pattern_based_registration(url):
    callee = await full_peer(url)
    caller = await full_peer(url)
    base = unique("com.feature.preg")
    await callee.send([REGISTER, 1, {"match": "prefix"}, base])
    prefix_reg = (await callee.recv_code(REGISTERED))[2]
    await callee.send([REGISTER, 2, {}, base + ".exact"])
    exact_reg = (await callee.recv_code(REGISTERED))[2]
    await callee.send([REGISTER, 3, {"match": "wildcard"}, unique("com.feature.wreg") + "..leaf"])
    await callee.recv_code(REGISTERED)
    await caller.send([CALL, 1, {}, base + ".any.thing"])
    inv = await callee.recv_code(INVOCATION)
    assert inv[2] == prefix_reg and inv[3].get("procedure") == base + ".any.thing", inv
    await callee.send([YIELD, inv[1], {}, ["prefix"]])
    assert (await caller.recv_code(RESULT))[3] == ["prefix"]
    await caller.send([CALL, 2, {}, base + ".exact"])  # exact match wins over the prefix
    inv = await callee.recv_code(INVOCATION)
    assert inv[2] == exact_reg, f"exact registration must win over prefix: {inv!r}"
    await callee.send([YIELD, inv[1], {}, ["exact"]])
    assert (await caller.recv_code(RESULT))[3] == ["exact"]
    await callee.close()
    await caller.close()


async def check_shared_registration(url):
    c1, c2, caller = await full_peer(url), await full_peer(url), await full_peer(url)
    proc = unique("com.feature.shared")
    await c1.send([REGISTER, 1, {"invoke": "roundrobin"}, proc])
    await c1.recv_code(REGISTERED)
    await c2.send([REGISTER, 1, {"invoke": "roundrobin"}, proc])
    await c2.recv_code(REGISTERED)
    other = await full_peer(url)
    await other.send([REGISTER, 1, {"invoke": "first"}, proc])  # a different policy is refused
    err = await other.recv()
    assert err[:3] == [ERROR, REGISTER, 1], f"REGISTER with a different invocation policy must fail: {err!r}"
    served = []
    for i in range(4):
        await caller.send([CALL, 10 + i, {}, proc, [i]])
        tasks = {asyncio.ensure_future(c1.recv()): c1, asyncio.ensure_future(c2.recv()): c2}
        done, pending = await asyncio.wait(tasks, timeout=5, return_when=asyncio.FIRST_COMPLETED)
        for t in pending:
            t.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        assert len(done) == 1, f"call {i}: {len(done)} callees got an INVOCATION"
        task = done.pop()
        callee, inv = tasks[task], task.result()
        assert inv[0] == INVOCATION and inv[4] == [i], inv
        served.append("c1" if callee is c1 else "c2")
        await callee.send([YIELD, inv[1], {}, [i]])
        assert (await caller.recv_code(RESULT))[3] == [i]
    assert served in (["c1", "c2", "c1", "c2"], ["c2", "c1", "c2", "c1"]), f"roundrobin order: {served}"
    for p in (c1, c2, other, caller):
        await p.close()


async def check_call_timeout(url):
    callee = await full_peer(url)
    caller = await full_peer(url)
    proc = unique("com.feature.timeout")
    await callee.register(proc)
    await caller.send([CALL, 1, {"timeout": 200}, proc])
    await callee.recv_code(INVOCATION)  # the callee never answers
    err = await caller.recv(timeout=5)
    assert err[:3] == [ERROR, CALL, 1] and err[4] in ("wamp.error.canceled", "wamp.error.timeout"), \
        f"a CALL with timeout 200 ms to a silent callee must end in an ERROR: {err!r}"
    await callee.close()
    await caller.close()


async def check_event_retention(url):
    pub = await full_peer(url)
    topic = unique("com.feature.retained")
    await pub.send([PUBLISH, 1, {"acknowledge": True, "retain": True}, topic, ["old"]])
    await pub.recv_code(PUBLISHED)
    await pub.send([PUBLISH, 2, {"acknowledge": True, "retain": True}, topic, ["latest"], {"k": 1}])
    await pub.recv_code(PUBLISHED)
    late = await full_peer(url)
    await late.send([SUBSCRIBE, 1, {"get_retained": True}, topic])
    sub_id = (await late.recv_code(SUBSCRIBED))[2]
    ev = await late.recv_code(EVENT)
    assert ev[1] == sub_id and ev[3].get("retained") is True and ev[4:] == [["latest"], {"k": 1}], ev
    plain = await full_peer(url)
    await plain.subscribe(topic)  # without get_retained: nothing
    await no_message(plain)
    for p in (pub, late, plain):
        await p.close()


async def check_payload_passthru(url):
    pub, sub = await full_peer(url), await full_peer(url)
    topic = unique("com.feature.ppt")
    await sub.subscribe(topic)
    ppt = {"ppt_scheme": "x_test", "ppt_serializer": "custom", "ppt_keyid": "k1"}
    await pub.send([PUBLISH, 1, dict(ppt, acknowledge=True), topic, ["\u0000AQID"]])
    await pub.recv_code(PUBLISHED)
    ev = await sub.recv_code(EVENT)
    assert {k: ev[3].get(k) for k in ppt} == ppt and ev[4] == ["\u0000AQID"], ev
    await pub.close()
    await sub.close()


async def check_dealer_payload_passthru(url):
    callee, caller = await full_peer(url), await full_peer(url)
    proc = unique("com.feature.ppt_rpc")
    await callee.register(proc)
    ppt = {"ppt_scheme": "x_test", "ppt_serializer": "custom", "ppt_cipher": "none", "ppt_keyid": "k2"}
    await caller.send([CALL, 1, dict(ppt), proc, ["\u0000BAUG"]])
    inv = await callee.recv_code(INVOCATION)
    assert {k: inv[3].get(k) for k in ppt} == ppt and inv[4] == ["\u0000BAUG"], inv
    await callee.send([YIELD, inv[1], dict(ppt, ppt_keyid="k3"), ["\u0000BwgJ"]])
    res = await caller.recv_code(RESULT)
    assert res[2].get("ppt_scheme") == "x_test" and res[2].get("ppt_keyid") == "k3" and res[3] == ["\u0000BwgJ"], res
    await callee.close()
    await caller.close()


async def check_session_meta_api(url):
    peer = await full_peer(url)
    other = await full_peer(url)
    (count,), _ = await meta_call(peer, "wamp.session.count")
    assert type(count) is int and count >= 2, count
    (ids,), _ = await meta_call(peer, "wamp.session.list")
    assert peer.session_id in ids and other.session_id in ids, ids
    (info,), _ = await meta_call(peer, "wamp.session.get", [other.session_id])
    assert info.get("session") == other.session_id, info
    await peer.send([CALL, 99, {}, "wamp.session.get", [1]])  # surely no such session
    err = await peer.recv()
    assert err[:3] == [ERROR, CALL, 99] and err[4] == "wamp.error.no_such_session", err
    await peer.close()
    await other.close()


async def check_registration_meta_api(url):
    callee = await full_peer(url)
    proc = unique("com.feature.regmeta")
    reg = await callee.register(proc)
    (found,), _ = await meta_call(callee, "wamp.registration.lookup", [proc])
    assert found == reg, f"lookup {proc}: {found!r} != {reg}"
    (callees,), _ = await meta_call(callee, "wamp.registration.list_callees", [reg])
    assert callees == [callee.session_id], callees
    (n,), _ = await meta_call(callee, "wamp.registration.count_callees", [reg])
    assert n == 1, n
    (missing,), _ = await meta_call(callee, "wamp.registration.lookup", [proc + ".nothing"])
    assert missing is None, missing
    await callee.close()


async def check_subscription_meta_api(url):
    sub = await full_peer(url)
    topic = unique("com.feature.submeta")
    sid = await sub.subscribe(topic)
    (found,), _ = await meta_call(sub, "wamp.subscription.lookup", [topic])
    assert found == sid, f"lookup {topic}: {found!r} != {sid}"
    (subscribers,), _ = await meta_call(sub, "wamp.subscription.list_subscribers", [sid])
    assert subscribers == [sub.session_id], subscribers
    (n,), _ = await meta_call(sub, "wamp.subscription.count_subscribers", [sid])
    assert n == 1, n
    await sub.close()


async def check_testament_meta_api(url):
    watcher = await full_peer(url)
    topic = unique("com.feature.testament")
    await watcher.subscribe(topic)
    dying = await full_peer(url)
    await meta_call(dying, "wamp.session.add_testament", [topic, ["gone"], {"who": "dying"}])
    dying.ws.transport.abort()  # lost without GOODBYE
    ev = await watcher.recv_code(EVENT, timeout=5)
    assert ev[4:] == [["gone"], {"who": "dying"}], ev
    await watcher.close()


FEATURE_CHECKS = {
    ("broker", "publisher_exclusion"): check_publisher_exclusion,
    ("broker", "publisher_identification"): check_publisher_identification,
    ("broker", "pattern_based_subscription"): check_pattern_based_subscription,
    ("broker", "subscriber_blackwhite_listing"): check_subscriber_blackwhite_listing,
    ("broker", "event_retention"): check_event_retention,
    ("broker", "payload_passthru_mode"): check_payload_passthru,
    ("broker", "session_meta_api"): check_session_meta_api,
    ("broker", "subscription_meta_api"): check_subscription_meta_api,
    ("dealer", "caller_identification"): check_caller_identification,
    ("dealer", "progressive_call_results"): check_progressive_call_results,
    ("dealer", "call_canceling"): check_call_canceling,
    ("dealer", "call_timeout"): check_call_timeout,
    ("dealer", "pattern_based_registration"): check_pattern_based_registration,
    ("dealer", "shared_registration"): check_shared_registration,
    ("dealer", "session_meta_api"): check_session_meta_api,
    ("dealer", "payload_passthru_mode"): check_dealer_payload_passthru,
    ("dealer", "registration_meta_api"): check_registration_meta_api,
    ("dealer", "testament_meta_api"): check_testament_meta_api,
}


def announced_features(url) -> list[tuple[str, str]]:
    async def hello():
        peer = await RawPeer.joined(url)
        await peer.close()
        return peer.welcome_details

    details = run(hello())
    out = []
    for role in ("broker", "dealer"):
        features = details["roles"][role].get("features", {})
        assert isinstance(features, dict), f"{role} features must be an object: {details!r}"
        out += [(role, name) for name, on in features.items() if on is True]
    return out


def test_welcome_roles_and_features_are_well_formed(router):
    async def hello():
        peer = await RawPeer.joined(router.url)
        await peer.close()
        return peer.welcome_details

    details = run(hello())
    for role in ("broker", "dealer"):
        role_details = details["roles"][role]
        assert isinstance(role_details, dict), details
        features = role_details.get("features", {})
        assert isinstance(features, dict), f"{role}.features must be an object: {details!r}"
        assert all(isinstance(k, str) and isinstance(v, bool) for k, v in features.items()), \
            f"{role}.features must map names to booleans: {features!r}"
    assert isinstance(details.get("authrole", "anonymous"), str) and isinstance(details.get("realm", "realm1"), str)


def test_every_announced_feature_that_has_a_check_works(router):
    features = announced_features(router.url)
    checked = [f for f in features if f in FEATURE_CHECKS]
    unchecked = [f"{r}.{n}" for r, n in features if (r, n) not in FEATURE_CHECKS]
    if unchecked:
        print(f"announced features without an interop check here: {', '.join(unchecked)}")
    assert ("broker", "publisher_exclusion") in features, \
        "the router implements exclude_me (test_autobahn_client) and should announce publisher_exclusion"
    failures = []
    for feature in checked:
        try:
            run(FEATURE_CHECKS[feature](router.url), timeout=30)
        except (AssertionError, TimeoutError, ConnectionError, OSError) as e:
            failures.append(f"{feature[0]}.{feature[1]}: {type(e).__name__}: {e}")
    assert not failures, "announced features that do not work:\n" + "\n".join(failures)
