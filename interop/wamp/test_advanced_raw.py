"""Advanced Profile wire shapes that Autobahn|Python hides or does not support, checked with raw
`websockets` peers that send exact JSON and read exact replies: progressive call invocations,
the three cancel modes, dealer-side call timeouts, registration and subscription revocation
(UNREGISTERED/UNSUBSCRIBED with request 0), Details.retained, and payload passthru mode."""

from __future__ import annotations

import time

from wamp_helpers import (
    ABORT_CLOSE_CODES, CALL, CANCEL, ERROR, EVENT, INTERRUPT, INVOCATION, PUBLISH, PUBLISHED,
    REGISTER, REGISTERED, RESULT, SUBSCRIBE, SUBSCRIBED, UNREGISTERED, UNSUBSCRIBED, YIELD, RawPeer,
    is_id, run, unique,
)


def roles(caller=(), callee=(), publisher=(), subscriber=()):
    """HELLO.Details.roles announcing exactly the given features per role."""
    return {
        "caller": {"features": {f: True for f in caller}},
        "callee": {"features": {f: True for f in callee}},
        "publisher": {"features": {f: True for f in publisher}},
        "subscriber": {"features": {f: True for f in subscriber}},
    }


async def peer(url, **kw) -> RawPeer:
    p = await RawPeer.connect(url)
    await p.hello("realm1", roles=roles(**kw))
    return p


async def no_message(p: RawPeer, wait: float = 0.3, what: str = "") -> None:
    try:
        msg = await p.recv(timeout=wait)
    except TimeoutError:
        return
    raise AssertionError(f"unexpected message {msg!r}" + (f" ({what})" if what else ""))


async def meta_call(p: RawPeer, procedure: str, args=None, kwargs=None):
    """Call a meta procedure; return the RESULT's (args, kwargs)."""
    rid = p.next_id()
    msg = [CALL, rid, {}, procedure, args or []]
    if kwargs is not None:
        msg.append(kwargs)
    await p.send(msg)
    res = await p.recv()
    assert res[:2] == [RESULT, rid], f"{procedure}{args!r}: expected RESULT, got {res!r}"
    return (res[3] if len(res) > 3 else []), (res[4] if len(res) > 4 else {})


def assert_error(msg, request_type, request, uri):
    assert isinstance(msg, list) and len(msg) >= 5 and msg[:3] == [ERROR, request_type, request] \
        and isinstance(msg[3], dict) and msg[4] == uri, \
        f"expected [8, {request_type}, {request}, {{...}}, {uri!r}], got {msg!r}"


async def close(*peers):
    for p in peers:
        try:
            await p.close()
        except Exception:
            pass


# ============================================================================================
# Progressive call invocations

PCI_CALLER = dict(caller=("progressive_call_invocations", "progressive_call_results", "call_canceling"))
PCI_CALLEE = dict(callee=("progressive_call_invocations", "progressive_call_results", "call_canceling"))


def test_progressive_call_invocations_share_one_request_id(router):
    async def scenario():
        callee, caller = await peer(router.url, **PCI_CALLEE), await peer(router.url, **PCI_CALLER)
        try:
            proc = unique("com.raw.pci")
            reg = await callee.register(proc)
            await caller.send([CALL, 1, {"progress": True}, proc, ["chunk-0"]])
            first = await callee.recv_code(INVOCATION)
            assert len(first) == 5 and is_id(first[1]) and first[2] == reg and first[4] == ["chunk-0"], first
            assert first[3].get("progress") is True, f"INVOCATION.Details.progress must be true: {first!r}"
            inv = first[1]
            await caller.send([CALL, 1, {"progress": True}, proc, ["chunk-1"], {"part": 1}])
            second = await callee.recv_code(INVOCATION)
            assert second[1:3] == [inv, reg] and second[3].get("progress") is True \
                and second[4:] == [["chunk-1"], {"part": 1}], f"same INVOCATION request id {inv} expected: {second!r}"
            await caller.send([CALL, 1, {}, proc, ["last"]])
            final = await callee.recv_code(INVOCATION)
            assert final[1:3] == [inv, reg] and final[4] == ["last"], final
            assert final[3].get("progress", False) is False, f"the final INVOCATION must not be progressive: {final!r}"
            await no_message(caller, what="no RESULT before the callee yields")
            await callee.send([YIELD, inv, {}, ["got 3 chunks"]])
            res = await caller.recv_code(RESULT)
            assert res[:2] == [RESULT, 1] and res[3] == ["got 3 chunks"] and not res[2].get("progress"), res

            # the finished call's request ID may be used again: it is a new call and gets its
            # answer (issue 8: it used to be dropped in silence)
            await caller.send([CALL, 1, {"progress": True}, proc, ["again"]])
            again = await callee.recv_code(INVOCATION)
            assert again[1] != inv and again[4] == ["again"] and again[3].get("progress") is True, again
            await caller.send([CALL, 1, {}, proc, ["end"]])
            end = await callee.recv_code(INVOCATION)
            assert end[1] == again[1] and end[4] == ["end"], end
            await callee.send([YIELD, again[1], {}, ["again done"]])
            res = await caller.recv_code(RESULT)
            assert res[:2] == [RESULT, 1] and res[3] == ["again done"], res
            # and the next call is a new invocation with a new id
            await caller.send([CALL, 2, {}, proc, ["next"]])
            nxt = await callee.recv_code(INVOCATION)
            assert nxt[1] != inv and nxt[4] == ["next"] and not nxt[3].get("progress"), nxt
            await callee.send([YIELD, nxt[1], {}, ["ok"]])
            assert (await caller.recv_code(RESULT))[:2] == [RESULT, 2]
        finally:
            await close(callee, caller)

    run(scenario())


def test_progressive_call_invocations_with_progressive_results_stream_both_ways(router):
    async def scenario():
        callee, caller = await peer(router.url, **PCI_CALLEE), await peer(router.url, **PCI_CALLER)
        try:
            proc = unique("com.raw.pci_stream")
            await callee.register(proc)
            await caller.send([CALL, 1, {"progress": True, "receive_progress": True}, proc, [1]])
            inv = await callee.recv_code(INVOCATION)
            assert inv[3].get("progress") is True and inv[3].get("receive_progress") is True, inv
            await callee.send([YIELD, inv[1], {"progress": True}, ["echo 1"]])
            r = await caller.recv_code(RESULT)
            assert r[1] == 1 and r[2].get("progress") is True and r[3] == ["echo 1"], r
            await caller.send([CALL, 1, {"progress": True, "receive_progress": True}, proc, [2]])
            inv2 = await callee.recv_code(INVOCATION)
            assert inv2[1] == inv[1] and inv2[4] == [2], inv2
            await caller.send([CALL, 1, {"receive_progress": True}, proc, [3]])
            inv3 = await callee.recv_code(INVOCATION)
            assert inv3[1] == inv[1] and inv3[4] == [3] and not inv3[3].get("progress"), inv3
            await callee.send([YIELD, inv[1], {}, ["done"]])
            r = await caller.recv_code(RESULT)
            assert r[1] == 1 and not r[2].get("progress") and r[3] == ["done"], r
        finally:
            await close(callee, caller)

    run(scenario())


def test_progressive_call_to_callee_without_support_is_feature_not_supported(router):
    async def scenario():
        caller = await peer(router.url, **PCI_CALLER)
        no_pci = await peer(router.url, callee=("call_canceling",))
        no_cancel = await peer(router.url, callee=("progressive_call_invocations",))
        try:
            for i, callee in enumerate((no_pci, no_cancel), start=1):
                proc = unique("com.raw.pci_unsupported")
                await callee.register(proc)
                await caller.send([CALL, i, {"progress": True}, proc, ["chunk"]])
                assert_error(await caller.recv(), CALL, i, "wamp.error.feature_not_supported")
                await no_message(callee, what="no INVOCATION for an unsupported progressive call")
        finally:
            await close(caller, no_pci, no_cancel)

    run(scenario())


def test_progressive_call_from_caller_that_did_not_announce_is_aborted(router):
    async def scenario():
        callee = await peer(router.url, **PCI_CALLEE)
        caller = await peer(router.url, caller=("call_canceling",))
        try:
            proc = unique("com.raw.pci_unannounced")
            await callee.register(proc)
            sent = [CALL, 1, {"progress": True}, proc, ["chunk"]]
            await caller.send(sent)
            await caller.expect_abort_and_close("wamp.error.protocol_violation", sent=sent)
            await no_message(callee)
        finally:
            await close(callee, caller)

    run(scenario())


# ============================================================================================
# Call canceling: the three modes


CANCELING_CALLEE = dict(callee=("call_canceling",))
CANCELING_CALLER = dict(caller=("call_canceling",))


async def start_call(caller, callee, request, proc):
    await caller.send([CALL, request, {}, proc, [request]])
    inv = await callee.recv_code(INVOCATION)
    assert inv[4] == [request], inv
    return inv[1]


def assert_interrupt(msg, inv):
    assert isinstance(msg, list) and len(msg) == 3 and msg[:2] == [INTERRUPT, inv] and isinstance(msg[2], dict), \
        f"expected [69, {inv}, {{...}}], got {msg!r}"


def test_cancel_mode_skip_errors_at_once_without_interrupt(router):
    async def scenario():
        callee, caller = await peer(router.url, **CANCELING_CALLEE), await peer(router.url, **CANCELING_CALLER)
        try:
            proc = unique("com.raw.cancel_skip")
            await callee.register(proc)
            inv = await start_call(caller, callee, 1, proc)
            await caller.send([CANCEL, 1, {"mode": "skip"}])
            assert_error(await caller.recv(timeout=2), CALL, 1, "wamp.error.canceled")
            await no_message(callee, what="skip sends no INTERRUPT")
            await callee.send([YIELD, inv, {}, ["late"]])  # discarded
            await no_message(caller, what="the callee's late YIELD after skip is discarded")
            inv2 = await start_call(caller, callee, 2, proc)  # both still work
            await callee.send([YIELD, inv2, {}, ["ok"]])
            assert (await caller.recv_code(RESULT))[:2] == [RESULT, 2]
        finally:
            await close(callee, caller)

    run(scenario())


def test_cancel_mode_killnowait_errors_at_once_and_interrupts(router):
    async def scenario():
        callee, caller = await peer(router.url, **CANCELING_CALLEE), await peer(router.url, **CANCELING_CALLER)
        try:
            proc = unique("com.raw.cancel_killnowait")
            await callee.register(proc)
            inv = await start_call(caller, callee, 1, proc)
            await caller.send([CANCEL, 1, {"mode": "killnowait"}])
            assert_error(await caller.recv(timeout=2), CALL, 1, "wamp.error.canceled")
            interrupt = await callee.recv(timeout=2)
            assert_interrupt(interrupt, inv)
            assert interrupt[2].get("mode", "killnowait") == "killnowait", interrupt
            await callee.send([ERROR, INVOCATION, inv, {}, "wamp.error.canceled"])  # discarded
            await no_message(caller, what="the callee's answer after killnowait is discarded")
        finally:
            await close(callee, caller)

    run(scenario())


def test_cancel_mode_kill_interrupts_and_waits_for_the_callee(router):
    async def scenario():
        callee, caller = await peer(router.url, **CANCELING_CALLEE), await peer(router.url, **CANCELING_CALLER)
        try:
            proc = unique("com.raw.cancel_kill")
            await callee.register(proc)
            # the callee answers the INTERRUPT with an ERROR: the caller gets that ERROR
            inv = await start_call(caller, callee, 1, proc)
            await caller.send([CANCEL, 1, {"mode": "kill"}])
            interrupt = await callee.recv(timeout=2)
            assert_interrupt(interrupt, inv)
            assert interrupt[2].get("mode", "kill") == "kill", interrupt
            await no_message(caller, what="kill: no ERROR before the callee answers")
            await callee.send([ERROR, INVOCATION, inv, {}, "wamp.error.canceled", ["stopped"]])
            err = await caller.recv(timeout=2)
            assert_error(err, CALL, 1, "wamp.error.canceled")
            # the callee finishes first: the caller gets its RESULT (spec: "RESULT or ERROR")
            inv = await start_call(caller, callee, 2, proc)
            await caller.send([CANCEL, 2, {"mode": "kill"}])
            assert_interrupt(await callee.recv(timeout=2), inv)
            await callee.send([YIELD, inv, {}, ["finished anyway"]])
            res = await caller.recv(timeout=2)
            assert res[:2] == [RESULT, 2] and res[3] == ["finished anyway"], res
        finally:
            await close(callee, caller)

    run(scenario())


def test_cancel_to_callee_without_call_canceling_behaves_as_skip(router):
    async def scenario():
        callee, caller = await peer(router.url), await peer(router.url, **CANCELING_CALLER)
        try:
            proc = unique("com.raw.cancel_unsupported")
            await callee.register(proc)
            for request, mode in ((1, "kill"), (2, "killnowait"), (3, "skip")):
                inv = await start_call(caller, callee, request, proc)
                await caller.send([CANCEL, request, {"mode": mode}])
                assert_error(await caller.recv(timeout=2), CALL, request, "wamp.error.canceled")
                await no_message(callee, what=f"mode {mode}: no INTERRUPT to a callee without call_canceling")
                await callee.send([YIELD, inv, {}, ["late"]])
                await no_message(caller, what="the late YIELD is discarded")
        finally:
            await close(callee, caller)

    run(scenario())


# ============================================================================================
# Call timeout (dealer-side)


def test_call_timeout_dealer_side(router):
    async def scenario():
        canceling = await peer(router.url, **CANCELING_CALLEE)
        plain = await peer(router.url)
        caller = await peer(router.url)
        try:
            p1, p2 = unique("com.raw.timeout_canceling"), unique("com.raw.timeout_plain")
            await canceling.register(p1)
            await plain.register(p2)

            # callee with call_canceling: ERROR wamp.error.timeout and INTERRUPT (killnowait)
            t0 = time.monotonic()
            await caller.send([CALL, 1, {"timeout": 250}, p1])
            inv = (await canceling.recv_code(INVOCATION))[1]
            got = [await caller.recv(timeout=3), await canceling.recv(timeout=3)]
            elapsed = time.monotonic() - t0
            assert_error(got[0], CALL, 1, "wamp.error.timeout")
            assert_interrupt(got[1], inv)
            assert 0.2 <= elapsed < 2.5, f"timeout 250 ms fired after {elapsed:.3f} s"
            await canceling.send([YIELD, inv, {}, ["too late"]])
            await no_message(caller, what="a YIELD after the timeout is discarded")

            # callee without call_canceling: ERROR wamp.error.timeout, no INTERRUPT
            await caller.send([CALL, 2, {"timeout": 250}, p2])
            inv = (await plain.recv_code(INVOCATION))[1]
            assert_error(await caller.recv(timeout=3), CALL, 2, "wamp.error.timeout")
            await no_message(plain, what="no INTERRUPT to a callee without call_canceling")
            await plain.send([YIELD, inv, {}, ["too late"]])
            await no_message(caller)

            # timeout 0: no timeout at all
            await caller.send([CALL, 3, {"timeout": 0}, p2])
            inv = (await plain.recv_code(INVOCATION))[1]
            await no_message(caller, wait=0.5, what="timeout 0 disables the timeout")
            await plain.send([YIELD, inv, {}, ["slow but fine"]])
            res = await caller.recv_code(RESULT)
            assert res[:2] == [RESULT, 3] and res[3] == ["slow but fine"], res
        finally:
            await close(canceling, plain, caller)

    run(scenario())


# ============================================================================================
# Registration and subscription revocation


def test_registration_revocation_unregistered_with_request_zero(router):
    async def scenario():
        revocable = await peer(router.url, callee=("registration_revocation",))
        plain = await peer(router.url)
        admin, watcher = await peer(router.url), await peer(router.url)
        try:
            proc = unique("com.raw.revoke_reg")
            await watcher.subscribe("wamp.registration.on_unregister")
            await revocable.send([REGISTER, 1, {"invoke": "roundrobin"}, proc])
            reg = (await revocable.recv_code(REGISTERED))[2]
            await plain.send([REGISTER, 1, {"invoke": "roundrobin"}, proc])
            assert (await plain.recv_code(REGISTERED))[2] == reg

            await meta_call(admin, "wamp.registration.remove_callee", [reg, revocable.session_id, "moving endpoint"])
            msg = await revocable.recv(timeout=2)
            assert msg == [UNREGISTERED, 0, {"registration": reg, "reason": "moving endpoint"}], \
                f"expected [67, 0, {{'registration': {reg}, 'reason': 'moving endpoint'}}], got {msg!r}"
            ev = await watcher.recv_code(EVENT)
            assert ev[4] == [revocable.session_id, reg], ev

            # a callee that did not announce registration_revocation gets no UNREGISTERED
            await meta_call(admin, "wamp.registration.remove_callee", [reg, plain.session_id], {"reason": "bye"})
            await no_message(plain, what="no UNREGISTERED to a callee without registration_revocation")
            ev = await watcher.recv_code(EVENT)
            assert ev[4] == [plain.session_id, reg], ev
            rid = admin.next_id()
            await admin.send([CALL, rid, {}, proc])
            assert_error(await admin.recv(), CALL, rid, "wamp.error.no_such_procedure")
        finally:
            await close(revocable, plain, admin, watcher)

    run(scenario())


def test_subscription_revocation_unsubscribed_with_request_zero(router):
    async def scenario():
        revocable = await peer(router.url, subscriber=("subscription_revocation",))
        plain = await peer(router.url)
        admin = await peer(router.url)
        try:
            topic = unique("com.raw.revoke_sub")
            sub = await revocable.subscribe(topic)
            assert await plain.subscribe(topic) == sub
            await meta_call(admin, "wamp.subscription.remove_subscriber", [sub, revocable.session_id, "no longer authorized"])
            msg = await revocable.recv(timeout=2)
            assert msg == [UNSUBSCRIBED, 0, {"subscription": sub, "reason": "no longer authorized"}], \
                f"expected [35, 0, {{'subscription': {sub}, 'reason': 'no longer authorized'}}], got {msg!r}"
            await meta_call(admin, "wamp.subscription.remove_subscriber", [sub, plain.session_id])
            await no_message(plain, what="no UNSUBSCRIBED to a subscriber without subscription_revocation")
            await admin.send([PUBLISH, admin.next_id(), {"acknowledge": True}, topic, ["after revocation"]])
            await admin.recv_code(PUBLISHED)
            await no_message(revocable, what="a revoked subscriber gets no events")
            await no_message(plain, what="a revoked subscriber gets no events")
        finally:
            await close(revocable, plain, admin)

    run(scenario())


# ============================================================================================
# Event retention: exact Details.retained


def test_retained_event_has_details_retained_true(router):
    async def scenario():
        pub = await peer(router.url)
        try:
            topic = unique("com.raw.retained")
            await pub.send([PUBLISH, 1, {"acknowledge": True, "retain": True}, topic, ["kept"], {"v": 1}])
            pub_id = (await pub.recv_code(PUBLISHED))[2]
            late = await peer(router.url)
            try:
                await late.send([SUBSCRIBE, 1, {"get_retained": True}, topic])
                sub = (await late.recv_code(SUBSCRIBED))[2]
                ev = await late.recv_code(EVENT)
                assert ev[:3] == [EVENT, sub, pub_id] and ev[3].get("retained") is True \
                    and ev[4:] == [["kept"], {"v": 1}], ev
                await no_message(late)
                await pub.send([PUBLISH, 2, {}, topic, ["live"]])
                live = await late.recv_code(EVENT)
                assert live[4] == ["live"] and "retained" not in live[3], f"a live EVENT is not retained: {live!r}"
            finally:
                await close(late)
        finally:
            await close(pub)

    run(scenario())


# ============================================================================================
# Payload passthru mode


PPT = {"ppt_scheme": "x_custom", "ppt_serializer": "cbor", "ppt_cipher": "xsalsa20poly1305", "ppt_keyid": "key-7"}


def test_payload_passthru_event_details_carry_ppt_untouched(router):
    async def scenario():
        pub = await peer(router.url, publisher=("payload_passthru_mode",))
        sub = await peer(router.url, subscriber=("payload_passthru_mode",))
        try:
            topic = unique("com.raw.ppt")
            sid = await sub.subscribe(topic)
            await pub.send([PUBLISH, 1, dict(PPT, acknowledge=True), topic, ["\u0000oWF4AQ=="]])
            pub_id = (await pub.recv_code(PUBLISHED))[2]
            ev = await sub.recv_code(EVENT)
            assert ev[:3] == [EVENT, sid, pub_id] and ev[4] == ["\u0000oWF4AQ=="] and len(ev) == 5, ev
            assert {k: ev[3].get(k) for k in PPT} == PPT, f"EVENT.Details must carry the ppt_* options: {ev!r}"
        finally:
            await close(pub, sub)

    run(scenario())


def test_payload_passthru_publish_without_announcing_is_aborted(router):
    async def scenario():
        pub = await peer(router.url, publisher=("publisher_exclusion",))
        sub = await peer(router.url, subscriber=("payload_passthru_mode",))
        try:
            topic = unique("com.raw.ppt_unannounced")
            await sub.subscribe(topic)
            sent = [PUBLISH, 1, dict(PPT, acknowledge=True), topic, ["\u0000AA=="]]
            await pub.send(sent)
            await pub.expect_abort_and_close("wamp.error.protocol_violation", close_codes=ABORT_CLOSE_CODES, sent=sent)
            await no_message(sub, what="the aborted PUBLISH must not be delivered")
        finally:
            await close(pub, sub)

    run(scenario())


def test_payload_passthru_call_without_announcing_is_aborted(router):
    async def scenario():
        callee = await peer(router.url, callee=("payload_passthru_mode",))
        caller = await peer(router.url, caller=("call_canceling",))
        try:
            proc = unique("com.raw.ppt_call_unannounced")
            await callee.register(proc)
            sent = [CALL, 1, dict(PPT), proc, ["\u0000AA=="]]
            await caller.send(sent)
            await caller.expect_abort_and_close("wamp.error.protocol_violation", sent=sent)
            await no_message(callee, what="the aborted CALL must not be invoked")
        finally:
            await close(callee, caller)

    run(scenario())


def test_payload_passthru_call_to_callee_without_support_is_feature_not_supported(router):
    async def scenario():
        callee = await peer(router.url)
        caller = await peer(router.url, caller=("payload_passthru_mode",))
        try:
            proc = unique("com.raw.ppt_call_unsupported")
            await callee.register(proc)
            await caller.send([CALL, 1, dict(PPT), proc, ["\u0000AA=="]])
            assert_error(await caller.recv(timeout=2), CALL, 1, "wamp.error.feature_not_supported")
            await no_message(callee)
        finally:
            await close(callee, caller)

    run(scenario())


def test_payload_passthru_yield_without_announcing_is_aborted(router):
    async def scenario():
        callee = await peer(router.url, callee=("call_canceling",))
        caller = await peer(router.url, caller=("payload_passthru_mode",))
        try:
            proc = unique("com.raw.ppt_yield_unannounced")
            await callee.register(proc)
            await caller.send([CALL, 1, {}, proc, ["plain"]])
            inv = await callee.recv_code(INVOCATION)
            sent = [YIELD, inv[1], dict(PPT), ["\u0000AA=="]]
            await callee.send(sent)
            await callee.expect_abort_and_close("wamp.error.protocol_violation", sent=sent)
            res = await caller.recv(timeout=2)  # the callee is gone: the call ends in an ERROR
            assert res[:3] == [ERROR, CALL, 1], f"expected the caller's ERROR after its callee was aborted, got {res!r}"
        finally:
            await close(callee, caller)

    run(scenario())
