"""Pub/sub actors: stable publishers (mostly acknowledged PUBLISHes), a publisher that drops TCP
with publications in flight, stable and short-lived subscribers (exact, prefix and wildcard),
and the slow consumer: a subscriber to a firehose topic that stops reading, or reads slowly,
until the router closes it for backlog overflow."""

from __future__ import annotations

import asyncio
import json

from ledger import Publication, SubscriberLedger
from soak_context import SoakContext
from wamp_peer import PUBLISH, PUBLISHED

TOPICS = [f"soak.ps.{k}.{leaf}" for k in range(4) for leaf in ("tick", "tock")]
STABLE_SUBSCRIPTIONS = [("soak.ps.1.tick", "exact"), ("soak.ps", "prefix"),
                        ("soak.ps..tick", "wildcard"), ("soak.ps.2.tock", "exact")]
CHURN_SUBSCRIPTIONS = STABLE_SUBSCRIPTIONS + [("soak.ps.3", "prefix"), ("soak.ps.0.", "wildcard"),
                                              ("soak.ps.0.tock", "exact")]
PUBLISH_PACE = 1 / 30
ACKED_SHARE = 0.8
LEAVE_GRACE = 0.2  # a leaving subscriber keeps reading this long before its GOODBYE

FIREHOSE = "soak.firehose"
FIREHOSE_PACE = 1 / 50
FIREHOSE_PAYLOAD = 16 * 1024
SLOW_RCVBUF = 4096
SLOW_PHASE_MAX = 20.0
SLOW_POLL = 0.25
SLOW_READ_DELAY = 0.2
SLOW_CLOSE_BOUND = 10.0


async def stable_subscriber(ctx: SoakContext, pattern: str, match: str, ready: asyncio.Event,
                            done: asyncio.Event):
    peer = await ctx.join("sub")
    ledger = await subscribe_accounted(ctx, peer, pattern, match)
    ctx.subscribers.append(ledger)
    ready.set()
    await done.wait()
    await peer.leave()


async def subscribe_accounted(ctx: SoakContext, peer, pattern: str, match: str) -> SubscriberLedger:
    ledger = None

    def on_event(msg):
        ctx.totals.events_received += 1
        if ledger is not None:
            ledger.got(msg[2], msg[4][0])

    peer.on_event = on_event
    await peer.subscribe(pattern, match)
    ledger = SubscriberLedger(peer.name, pattern, match, subscribed_at=ctx.now())
    return ledger


async def publish_acked(ctx: SoakContext, peer, topic: str, seq: int, wait: bool = True):
    """An acknowledged PUBLISH; once PUBLISHED arrives, the publication is accounted."""
    request = peer.next_id()
    sent_at = ctx.now()
    reply = peer.expect_reply(request)

    def settled(fut: asyncio.Future):
        if fut.cancelled() or fut.exception() is not None:
            return  # the publisher's own connection ended first: not acknowledged, not accounted
        msg = fut.result()
        if msg[0] == PUBLISHED:
            ctx.publications[msg[2]] = Publication(topic, sent_at, ctx.now())
            ctx.totals.publications_acked += 1
        else:
            ctx.fail(f"{peer.name}: PUBLISH to {topic} refused: {msg!r:.200}")

    reply.add_done_callback(settled)
    await peer.send([PUBLISH, request, {"acknowledge": True}, topic, [topic, seq]])
    if wait:
        try:
            await asyncio.wait_for(asyncio.shield(reply), 15)
        except TimeoutError:
            ctx.fail(f"{peer.name}: no PUBLISHED within 15 s for {topic} #{request}")


async def stable_publisher(ctx: SoakContext, index: int):
    peer = await ctx.join(f"pub{index}")
    for seq in ctx.running():
        topic = ctx.rng.choice(TOPICS)
        if ctx.rng.random() < ACKED_SHARE:
            await publish_acked(ctx, peer, topic, seq)
        else:
            await peer.send([PUBLISH, peer.next_id(), {}, topic, [topic, seq]])
            ctx.totals.publications_unacked += 1
        await asyncio.sleep(PUBLISH_PACE)
    await peer.leave()


async def dropping_publisher(ctx: SoakContext):
    """Five acknowledged publications awaited, five more sent, then TCP dropped at once."""
    for _ in ctx.running():
        peer = await ctx.join("droppub")
        for seq in range(5):
            await publish_acked(ctx, peer, ctx.rng.choice(TOPICS), seq)
        for seq in range(5, 10):
            await publish_acked(ctx, peer, ctx.rng.choice(TOPICS), seq, wait=False)
        ctx.drop(peer)
        await peer.wait_closed()
        await asyncio.sleep(ctx.rng.uniform(1.0, 2.0))


async def churn_subscriber(ctx: SoakContext):
    """Subscribes for 1-3 s; leaves with GOODBYE (then accounted for the publications acknowledged
    before it started to leave) or drops TCP (not accounted)."""
    for _ in ctx.running():
        peer = await ctx.join("churnsub")
        pattern, match = ctx.rng.choice(CHURN_SUBSCRIPTIONS)
        ledger = await subscribe_accounted(ctx, peer, pattern, match)
        await asyncio.sleep(ctx.rng.uniform(1.0, 3.0))
        if ctx.rng.random() < 0.6:
            ledger.left_at = ctx.now()
            await asyncio.sleep(LEAVE_GRACE)
            await peer.leave()
            ctx.subscribers.append(ledger)
        else:
            ctx.drop(peer)
            await peer.wait_closed()
        await asyncio.sleep(ctx.rng.uniform(0.2, 0.6))


async def firehose_publisher(ctx: SoakContext):
    """Unacknowledged 16 KiB events to the firehose topic that only slow consumers read."""
    peer = await ctx.join("firehose")
    blob = json.dumps("f" * FIREHOSE_PAYLOAD)
    for _ in ctx.running():
        await peer.send(f'[{PUBLISH},{peer.next_id()},{{}},"{FIREHOSE}",[{blob}]]')
        ctx.totals.firehose_sent += 1
        await asyncio.sleep(FIREHOSE_PACE)
    await peer.leave()


async def slow_consumer(ctx: SoakContext):
    """Even cycles stop reading, odd ones read one message per SLOW_READ_DELAY, until the router
    logs a backlog overflow (or SLOW_PHASE_MAX passes); then the consumer reads at full speed,
    and the connection must end within SLOW_CLOSE_BOUND. A consumer reading at full speed keeps
    up with the firehose, so a router that had not closed it by then never would: the end, seen
    by the client, proves the close; the log only says when to stop being slow. (What the router
    had already handed to its kernel still arrives after the close, hence the drain.)"""
    for cycle in ctx.running():
        peer = await ctx.join("slow", slow_consumer=True, rcvbuf=SLOW_RCVBUF, max_queue=(4, 1))
        peer.on_event = lambda _msg: None
        await peer.subscribe(FIREHOSE)
        stalled = cycle % 2 == 0
        overflows_before = ctx.backlog_overflows_logged()
        if stalled:
            peer.read_gate.clear()
        else:
            peer.read_delay = SLOW_READ_DELAY
        for _ in range(int(SLOW_PHASE_MAX / SLOW_POLL)):
            if ctx.stopping.is_set() or ctx.backlog_overflows_logged() > overflows_before:
                break
            await asyncio.sleep(SLOW_POLL)
        peer.read_gate.set()
        peer.read_delay = 0.0
        if ctx.stopping.is_set():
            # the run ends (and the firehose with it) mid-cycle: this one proves nothing
            ctx.drop(peer)
            await peer.wait_closed()
            break
        try:
            await asyncio.wait_for(asyncio.shield(peer.closed), SLOW_CLOSE_BOUND)
        except TimeoutError:
            ctx.totals.slow_not_closed += 1
            ctx.fail(f"{peer.name}: slow consumer still open {SLOW_CLOSE_BOUND:.0f} s after it "
                     f"{'stopped reading' if stalled else 'read slowly'} for {SLOW_PHASE_MAX:.0f} s")
            await peer.leave()
        await peer.wait_closed()
        await asyncio.sleep(1.0)
