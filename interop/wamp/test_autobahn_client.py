"""Autobahn|Python (asyncio) clients against the router: the README scenario and Basic Profile
behaviour seen through a real WAMP client library. Every test runs once per serializer (json,
msgpack, cbor: the `autobahn_serializer` fixture); which serializer the router picks among
several offers is checked in test_serializers_websocket.py."""

from __future__ import annotations

import asyncio
import random
import time

import pytest
from autobahn.wamp.exception import ApplicationError
from autobahn.wamp.types import CallResult, PublishOptions, RegisterOptions, SubscribeOptions

from wamp_helpers import LeftBeforeJoin, autobahn_session, close_all, is_id, run, unique

ACK = PublishOptions(acknowledge=True)

pytestmark = pytest.mark.usefixtures("autobahn_serializer")


async def wait_until(predicate, timeout: float = 5.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.01)


def test_readme_scenario_register_call_subscribe_publish(router):
    """A registers com.example.add2, B calls it; C subscribes com.example.tick, D publishes."""

    async def scenario():
        a, b, c, d = [await autobahn_session(router.url) for _ in range(4)]
        try:
            reg = await a.register(lambda x, y: x + y, "com.example.add2")
            assert is_id(reg.id)
            assert await b.call("com.example.add2", 2, 3) == 5
            assert await b.call("com.example.add2", -7, 100) == 93

            loop = asyncio.get_running_loop()
            got = loop.create_future()
            sub = await c.subscribe(lambda n: got.done() or got.set_result(n), "com.example.tick")
            assert is_id(sub.id)
            pub = await d.publish("com.example.tick", 42, options=ACK)
            assert is_id(pub.id)
            assert await asyncio.wait_for(got, 5) == 42
            await sub.unsubscribe()
            await reg.unregister()
        finally:
            await close_all(a, b, c, d)

    run(scenario())


PAYLOAD_ARGS = [
    {"nested": {"list": [1, [2, [3, [4, {"deep": True}]]]], "empty_obj": {}, "empty_list": []}},
    "unicode: h\u00e9llo w\u00f6rld \u2603 \u4e2d\u6587 \U0001F600 \u202e rtl",
    2**53,
    -(2**53),
    0,
    0.1,
    1e100,
    -2.5e-300,
    None,
    True,
    False,
    [],
    "",
    b"\x00\x01\x02binary\xff\xfe",  # JSON: "\u0000" + base64 (autobahn converts); msgpack bin, cbor bytes
    'quotes " and \\ backslash and \n newline \t tab',
]
PAYLOAD_KWARGS = {
    "nested": {"a": [1, 2, {"b": None}], "c": {"d": {"e": "f"}}},
    "\u00fcnic\u00f8de_key \u2603": "value \U0001F680",
    "big": 2**53,
    "float": 0.1,
    "huge": 1e100,
    "null": None,
    "empty": [],
    "bytes": b"\x00\x00\xff",
}


def test_call_args_kwargs_round_trip_exactly(router):
    async def scenario():
        callee, caller = await autobahn_session(router.url), await autobahn_session(router.url)
        try:
            proc = unique("com.example.echo")
            seen = {}

            def echo(*args, **kwargs):
                seen["args"], seen["kwargs"] = args, kwargs
                return CallResult(*args, **kwargs)

            await callee.register(echo, proc)
            result = await caller.call(proc, *PAYLOAD_ARGS, **PAYLOAD_KWARGS)
            assert list(seen["args"]) == PAYLOAD_ARGS, "callee received different args"
            assert seen["kwargs"] == PAYLOAD_KWARGS, "callee received different kwargs"
            assert list(result.results) == PAYLOAD_ARGS, "caller received different args"
            assert result.kwresults == PAYLOAD_KWARGS, "caller received different kwargs"
            assert type(result.results[2]) is int and type(result.results[5]) is float
        finally:
            await close_all(callee, caller)

    run(scenario())


def test_event_args_kwargs_round_trip_exactly(router):
    async def scenario():
        sub, pub = await autobahn_session(router.url), await autobahn_session(router.url)
        try:
            topic = unique("com.example.payload")
            got = asyncio.get_running_loop().create_future()
            await sub.subscribe(lambda *a, **kw: got.done() or got.set_result((a, kw)), topic)
            await pub.publish(topic, *PAYLOAD_ARGS, options=ACK, **PAYLOAD_KWARGS)
            args, kwargs = await asyncio.wait_for(got, 5)
            assert list(args) == PAYLOAD_ARGS
            assert kwargs == PAYLOAD_KWARGS
        finally:
            await close_all(sub, pub)

    run(scenario())


def test_application_error_reaches_caller_with_uri_args_kwargs(router):
    async def scenario():
        callee, caller = await autobahn_session(router.url), await autobahn_session(router.url)
        try:
            proc = unique("com.example.fails")

            def fails():
                raise ApplicationError("com.example.error.custom", 1, 2, a=3)

            await callee.register(fails, proc)
            with pytest.raises(ApplicationError) as info:
                await caller.call(proc)
            assert info.value.error == "com.example.error.custom"
            assert info.value.args == (1, 2)
            assert info.value.kwargs == {"a": 3}
            # the callee is still registered and usable after an error
            with pytest.raises(ApplicationError) as info2:
                await caller.call(proc)
            assert info2.value.error == "com.example.error.custom"
        finally:
            await close_all(callee, caller)

    run(scenario())


def test_call_to_unregistered_procedure_is_no_such_procedure(router):
    async def scenario():
        caller = await autobahn_session(router.url)
        try:
            with pytest.raises(ApplicationError) as info:
                await caller.call(unique("com.example.nobody"), 1)
            assert info.value.error == "wamp.error.no_such_procedure"
            assert caller.is_attached()
        finally:
            await close_all(caller)

    run(scenario())


def test_call_after_unregister_is_no_such_procedure(router):
    async def scenario():
        callee, caller = await autobahn_session(router.url), await autobahn_session(router.url)
        try:
            proc = unique("com.example.gone")
            reg = await callee.register(lambda: "here", proc)
            assert await caller.call(proc) == "here"
            await reg.unregister()
            with pytest.raises(ApplicationError) as info:
                await caller.call(proc)
            assert info.value.error == "wamp.error.no_such_procedure"
        finally:
            await close_all(callee, caller)

    run(scenario())


def test_register_twice_is_procedure_already_exists(router):
    async def scenario():
        first, second = await autobahn_session(router.url), await autobahn_session(router.url)
        try:
            proc = unique("com.example.twice")
            await first.register(lambda: 1, proc)
            with pytest.raises(ApplicationError) as info:
                await second.register(lambda: 2, proc)
            assert info.value.error == "wamp.error.procedure_already_exists"
            with pytest.raises(ApplicationError) as info_same:
                await first.register(lambda: 3, proc)
            assert info_same.value.error == "wamp.error.procedure_already_exists"
            # the first registration still answers
            assert await second.call(proc) == 1
        finally:
            await close_all(first, second)

    run(scenario())


def test_procedure_is_free_again_after_callee_leaves(router):
    async def scenario():
        first = await autobahn_session(router.url)
        second = await autobahn_session(router.url)
        try:
            proc = unique("com.example.handover")
            await first.register(lambda: "first", proc)
            await first.leave_and_wait()
            await second.register(lambda: "second", proc)
            assert await second.call(proc) == "second"
        finally:
            await close_all(first, second)

    run(scenario())


def test_publish_acknowledged_returns_publication_id(router):
    async def scenario():
        pub = await autobahn_session(router.url)
        try:
            topic = unique("com.example.ack")
            p1 = await pub.publish(topic, 1, options=ACK)
            p2 = await pub.publish(topic, 2, options=ACK)
            assert is_id(p1.id) and is_id(p2.id)
            assert p1.id != p2.id
        finally:
            await close_all(pub)

    run(scenario())


def test_publisher_is_excluded_by_default_and_included_with_exclude_me_false(router):
    async def scenario():
        s, other = await autobahn_session(router.url), await autobahn_session(router.url)
        try:
            topic = unique("com.example.self")
            mine, theirs = [], []
            await s.subscribe(lambda x: mine.append(x), topic)
            await other.subscribe(lambda x: theirs.append(x), topic)
            await s.publish(topic, "default", options=ACK)
            await s.publish(topic, "included", options=PublishOptions(acknowledge=True, exclude_me=False))
            await wait_until(lambda: len(theirs) == 2 and len(mine) >= 1, what="events")
            await asyncio.sleep(0.2)
            assert mine == ["included"], "exclude_me default must skip the publisher; exclude_me=False must not"
            assert theirs == ["default", "included"]
        finally:
            await close_all(s, other)

    run(scenario())


def test_unsubscribe_stops_events(router):
    async def scenario():
        sub, pub = await autobahn_session(router.url), await autobahn_session(router.url)
        try:
            topic = unique("com.example.unsub")
            got = []
            subscription = await sub.subscribe(lambda x: got.append(x), topic)
            await pub.publish(topic, 1, options=ACK)
            await wait_until(lambda: got == [1], what="first event")
            await subscription.unsubscribe()
            await pub.publish(topic, 2, options=ACK)
            # a marker on a second subscription shows the router has processed the publish
            marker = asyncio.get_running_loop().create_future()
            topic2 = unique("com.example.marker")
            await sub.subscribe(lambda: marker.done() or marker.set_result(True), topic2)
            await pub.publish(topic2, options=ACK)
            await asyncio.wait_for(marker, 5)
            await asyncio.sleep(0.1)
            assert got == [1], f"events after unsubscribe: {got}"
        finally:
            await close_all(sub, pub)

    run(scenario())


def test_two_subscribers_both_receive(router):
    async def scenario():
        s1, s2, pub = [await autobahn_session(router.url) for _ in range(3)]
        try:
            topic = unique("com.example.fanout")
            g1, g2 = [], []
            await s1.subscribe(lambda x: g1.append(x), topic)
            await s2.subscribe(lambda x: g2.append(x), topic)
            for i in range(10):
                pub.publish(topic, i)  # no acknowledge: returns None
            await wait_until(lambda: len(g1) == 10 and len(g2) == 10, what="10 events on each subscriber")
            assert g1 == list(range(10)) and g2 == list(range(10))
        finally:
            await close_all(s1, s2, pub)

    run(scenario())


def test_publish_to_other_realm_is_not_delivered(router):
    async def scenario():
        sub1 = await autobahn_session(router.url, "realm1")
        sub2 = await autobahn_session(router.url, "realm2")
        pub2 = await autobahn_session(router.url, "realm2")
        try:
            topic = unique("com.example.realms")
            g1, g2 = [], []
            await sub1.subscribe(lambda x: g1.append(x), topic)
            await sub2.subscribe(lambda x: g2.append(x), topic)
            await pub2.publish(topic, "realm2 only", options=ACK)
            await wait_until(lambda: g2 == ["realm2 only"], what="event in realm2")
            await asyncio.sleep(0.2)
            assert g1 == [], "an event published in realm2 reached a realm1 subscriber"
        finally:
            await close_all(sub1, sub2, pub2)

    run(scenario())


@pytest.mark.parametrize("how", ["goodbye", "transport_drop"])
def test_callee_leaving_with_pending_call_cancels_it_promptly(router, how):
    async def scenario():
        callee, caller = await autobahn_session(router.url), await autobahn_session(router.url)
        try:
            proc = unique("com.example.never")
            invoked = asyncio.get_running_loop().create_future()

            async def never():
                invoked.done() or invoked.set_result(True)
                await asyncio.sleep(3600)

            await callee.register(never, proc)
            pending = asyncio.ensure_future(caller.call(proc))
            await asyncio.wait_for(invoked, 5)
            t0 = time.monotonic()
            if how == "goodbye":
                callee.leave()
            else:
                callee.tcp_transport.abort()
            with pytest.raises(ApplicationError) as info:
                await asyncio.wait_for(pending, 5)
            elapsed = time.monotonic() - t0
            assert info.value.error == "wamp.error.canceled"
            assert elapsed < 3.0, f"caller got wamp.error.canceled only after {elapsed:.1f} s"
            assert caller.is_attached()
        finally:
            await close_all(callee, caller)

    run(scenario())


def test_thousand_events_arrive_in_publish_order(router):
    async def scenario():
        sub, pub = await autobahn_session(router.url), await autobahn_session(router.url)
        try:
            topic = unique("com.example.order")
            got = []
            await sub.subscribe(lambda i: got.append(i), topic)
            for i in range(1000):
                pub.publish(topic, i)  # fire and forget, no acknowledge: maximum pipelining
            await pub.publish(topic, 1000, options=ACK)
            await wait_until(lambda: len(got) >= 1001, timeout=20, what="1001 events")
            assert got == list(range(1001))
        finally:
            await close_all(sub, pub)

    run(scenario())


def test_many_concurrent_outstanding_calls_all_matched(router):
    async def scenario():
        callee, caller = await autobahn_session(router.url), await autobahn_session(router.url)
        try:
            proc = unique("com.example.slow_square")
            outstanding = {"now": 0, "max": 0}

            async def slow_square(i):
                outstanding["now"] += 1
                outstanding["max"] = max(outstanding["max"], outstanding["now"])
                await asyncio.sleep(random.uniform(0.3, 0.8))  # answers come back out of order
                outstanding["now"] -= 1
                return {"i": i, "sq": i * i}

            await callee.register(slow_square, proc)
            n = 250
            results = await asyncio.gather(*[caller.call(proc, i) for i in range(n)])
            assert results == [{"i": i, "sq": i * i} for i in range(n)]
            assert outstanding["max"] >= 200, f"only {outstanding['max']} calls were outstanding at once"
        finally:
            await close_all(callee, caller)

    run(scenario())


def test_one_mebibyte_payload_round_trip(router):
    async def scenario():
        callee, caller = await autobahn_session(router.url), await autobahn_session(router.url)
        sub = await autobahn_session(router.url)
        try:
            proc = unique("com.example.big")
            await callee.register(lambda s, d: (s[::-1], d), proc)
            blob = "".join(random.choice("abcdefghijklmnopqrstuvwxyz0123456789\u00e9\u2603") for _ in range(1 << 20))
            data = {"k%d" % i: list(range(i % 50)) for i in range(2000)}
            rev, back = await caller.call(proc, blob, data)
            assert rev == blob[::-1]
            assert back == data
            topic = unique("com.example.bigevent")
            got = asyncio.get_running_loop().create_future()
            await sub.subscribe(lambda s: got.done() or got.set_result(s), topic)
            await caller.publish(topic, blob, options=ACK)
            assert await asyncio.wait_for(got, 10) == blob
        finally:
            await close_all(callee, caller, sub)

    run(scenario())


def test_unknown_realm_is_aborted_with_no_such_realm(router):
    async def scenario():
        with pytest.raises(LeftBeforeJoin) as info:
            await autobahn_session(router.url, "com.example.no_such_realm")
        assert info.value.details.reason == "wamp.error.no_such_realm"

    run(scenario())


def test_second_realm_is_served(router):
    async def scenario():
        callee = await autobahn_session(router.url, "realm2")
        caller = await autobahn_session(router.url, "realm2")
        other = await autobahn_session(router.url, "realm1")
        try:
            proc = unique("com.example.realm2")
            await callee.register(lambda: "realm2", proc)
            assert await caller.call(proc) == "realm2"
            with pytest.raises(ApplicationError) as info:
                await other.call(proc)
            assert info.value.error == "wamp.error.no_such_procedure", "realm1 must not see realm2 registrations"
        finally:
            await close_all(callee, caller, other)

    run(scenario())


@pytest.mark.parametrize("action", ["register", "subscribe"])
def test_invalid_uri_with_empty_component_is_refused_and_session_stays_usable(router, action):
    """Autobahn itself refuses most malformed URIs before sending; an empty component passes its
    check for REGISTER/SUBSCRIBE (wildcard syntax), so the router must refuse it. The exact-bytes
    version of this for all four requests is in test_raw_protocol.py."""

    async def scenario():
        s = await autobahn_session(router.url)
        try:
            uri = "com.example..double_dot"
            with pytest.raises(ApplicationError) as info:
                if action == "register":
                    await s.register(lambda: None, uri)
                else:
                    await s.subscribe(lambda: None, uri)
            assert info.value.error == "wamp.error.invalid_uri", f"{action} {uri!r}: got {info.value.error}"
            assert s.is_attached()
            proc = unique("com.example.still_usable")
            await s.register(lambda: "yes", proc)
            assert await s.call(proc) == "yes"
        finally:
            await close_all(s)

    run(scenario())


@pytest.mark.parametrize("action", ["register", "publish_ack"])
def test_reserved_wamp_prefix_is_refused(router, action):
    async def scenario():
        s = await autobahn_session(router.url)
        try:
            uri = unique("wamp.example")
            with pytest.raises(ApplicationError) as info:
                if action == "register":
                    await s.register(lambda: None, uri)
                else:
                    await s.publish(uri, options=ACK)
            assert info.value.error == "wamp.error.invalid_uri", f"{action} {uri!r}: got {info.value.error}"
            assert s.is_attached()
            await s.publish(unique("com.example.ok"), options=ACK)
        finally:
            await close_all(s)

    run(scenario())


def test_goodbye_is_answered_with_goodbye_and_out(router):
    async def scenario():
        s = await autobahn_session(router.url)
        details = await s.leave_and_wait()
        assert details.reason == "wamp.close.goodbye_and_out"
        await asyncio.wait_for(asyncio.shield(s.disconnected), 5)

    run(scenario())


def test_permessage_deflate_offer_is_handled(router):
    """Autobahn offers permessage-deflate (as ApplicationRunner does); whether or not the router
    accepts it, WAMP must work, including a large compressible message."""

    async def scenario():
        callee = await autobahn_session(router.url, compression=True)
        caller = await autobahn_session(router.url, compression=True)
        try:
            proc = unique("com.example.deflate")
            await callee.register(lambda s: len(s), proc)
            assert await caller.call(proc, "abc" * 100000) == 300000
            assert await caller.call(proc, "x") == 1
        finally:
            await close_all(callee, caller)

    run(scenario())


def test_pattern_free_exact_match_is_exact(router):
    """An exact subscription does not match a longer or shorter topic."""

    async def scenario():
        sub, pub = await autobahn_session(router.url), await autobahn_session(router.url)
        try:
            base = unique("com.example.exact")
            got = []
            await sub.subscribe(lambda t: got.append(t), base, options=SubscribeOptions(match="exact"))
            await pub.publish(base + ".child", "child", options=ACK)
            await pub.publish(base.rsplit(".", 1)[0], "parent", options=ACK)
            await pub.publish(base, "exact", options=ACK)
            await wait_until(lambda: "exact" in got, what="exact event")
            await asyncio.sleep(0.1)
            assert got == ["exact"]
        finally:
            await close_all(sub, pub)

    run(scenario())


def test_caller_receives_result_after_callee_yields_later(router):
    async def scenario():
        callee, caller = await autobahn_session(router.url), await autobahn_session(router.url)
        try:
            proc = unique("com.example.later")

            async def later(x):
                await asyncio.sleep(0.3)
                return x * 2

            await callee.register(later, proc, options=RegisterOptions())
            assert await caller.call(proc, 21) == 42
        finally:
            await close_all(callee, caller)

    run(scenario())
