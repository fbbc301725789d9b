"""RPC actors: stable callees (echo, progressive, slow), a flaky callee that comes and goes
(half the time dropping TCP with calls pending), stable callers that account for every call,
and short-lived callers that drop their connection with calls in flight."""

from __future__ import annotations

import asyncio

from ledger import CANCELED, CallLedger
from soak_context import SoakContext
from websockets.exceptions import ConnectionClosed

from wamp_peer import CALL, CANCEL, ERROR, INVOCATION, RESULT, YIELD, PeerClosed

PROGRESS_STEPS = 3
SLOW_SECONDS = 1.5  # the slow callee's answer time, far above the callers' timeout
CALL_TIMEOUT_MS = 300
CANCEL_AFTER = 0.2
REPLY_BOUND = 30.0  # a call not answered within this is lost
STABLE_CALLEES = 2
CALLS_IN_FLIGHT = 4
CALL_PACE = 1 / 30  # seconds between calls per stable caller

# kind -> weight of the mix a stable caller draws from
CALL_MIX = {"echo": 60, "progressive": 10, "timeout": 8, "cancel": 7, "flaky": 15}


def procedure_for(kind: str, ctx: SoakContext) -> tuple[str, dict]:
    k = ctx.rng.randrange(STABLE_CALLEES)
    if kind == "echo":
        return f"soak.rpc.echo.{k}", {}
    if kind == "progressive":
        return f"soak.rpc.progressive.{k}", {"receive_progress": True}
    if kind == "timeout":
        return "soak.rpc.slow", {"timeout": CALL_TIMEOUT_MS}
    if kind == "cancel":
        return "soak.rpc.slow", {}
    return "soak.rpc.flaky", {}


async def stable_callee(ctx: SoakContext, index: int, ready: asyncio.Event, done: asyncio.Event):
    """Echoes on soak.rpc.echo.<index>; PROGRESS_STEPS progressive results then a final one on
    soak.rpc.progressive.<index>."""
    peer = await ctx.join(f"callee{index}")
    echo = await peer.register(f"soak.rpc.echo.{index}")
    progressive = await peer.register(f"soak.rpc.progressive.{index}")

    def on_invocation(msg):
        _, request, registration, details, *rest = msg
        args = rest[0] if rest else []
        if registration == echo:
            send(peer, [YIELD, request, {}, args])
        elif registration == progressive and details.get("receive_progress") is True:
            for step in range(PROGRESS_STEPS):
                send(peer, [YIELD, request, {"progress": True}, [step]])
            send(peer, [YIELD, request, {}, ["done", PROGRESS_STEPS]])
        else:
            peer.oddities.append(f"INVOCATION it cannot place: {msg!r:.200}")

    def on_interrupt(_msg):
        pass  # a dropping caller's call whose YIELD crossed the router's INTERRUPT: already answered

    peer.on_invocation = on_invocation
    peer.on_interrupt = on_interrupt
    ready.set()
    await done.wait()
    await peer.leave()


async def slow_callee(ctx: SoakContext, ready: asyncio.Event, done: asyncio.Event):
    """soak.rpc.slow answers after SLOW_SECONDS unless interrupted; an INTERRUPT with mode
    kill is answered with ERROR canceled, as the spec asks."""
    peer = await ctx.join("slowcallee")
    await peer.register("soak.rpc.slow")
    pending: dict[int, asyncio.Task] = {}

    async def answer_late(request, args):
        await asyncio.sleep(SLOW_SECONDS)
        pending.pop(request, None)
        await send_if_open(peer, [YIELD, request, {}, args])

    def on_invocation(msg):
        request, args = msg[1], (msg[4] if len(msg) > 4 else [])
        pending[request] = asyncio.get_running_loop().create_task(answer_late(request, args))

    def on_interrupt(msg):
        request, options = msg[1], msg[2]
        task = pending.pop(request, None)
        if task is not None:
            task.cancel()
        if options.get("mode") == "kill":
            send(peer, [ERROR, INVOCATION, request, {}, CANCELED])

    peer.on_invocation = on_invocation
    peer.on_interrupt = on_interrupt
    ready.set()
    await done.wait()
    for task in pending.values():
        task.cancel()
    await peer.leave()


async def flaky_callee(ctx: SoakContext):
    """Registers soak.rpc.flaky for 1-3 s, answers some invocations and holds the others, then
    leaves with GOODBYE or drops TCP. Every call it held must end at its caller in ERROR
    canceled: those are recorded in `must_cancel` and checked at the end."""
    for _ in ctx.running():
        peer = await ctx.join("flaky")
        held: dict[int, tuple[str, int]] = {}

        def on_invocation(msg, peer=peer, held=held):
            request, args = msg[1], msg[4]
            if ctx.rng.random() < 0.6:
                send(peer, [YIELD, request, {}, args])
            else:
                held[request] = (args[0], args[1])

        peer.on_invocation = on_invocation  # before REGISTER: an INVOCATION may follow REGISTERED at once
        for attempt in range(20):  # the previous flaky callee's close may still be in progress
            try:
                await peer.register("soak.rpc.flaky")
                break
            except ConnectionError as e:
                if "procedure_already_exists" not in str(e) or attempt == 19:
                    raise
                await asyncio.sleep(0.1)
        await asyncio.sleep(ctx.rng.uniform(1.0, 3.0))
        abrupt = ctx.rng.random() < 0.5
        for key in held.values():
            ctx.totals.must_cancel[key] = "flaky callee dropped TCP" if abrupt else "flaky callee left"
        if abrupt:
            ctx.drop(peer)
            await peer.wait_closed()
        else:
            await peer.leave()
        await asyncio.sleep(0.3)


async def stable_caller(ctx: SoakContext, index: int):
    """Calls the mix until the stop signal, CALLS_IN_FLIGHT at most, then waits for every
    outstanding call (bounded) and leaves."""
    peer = await ctx.join(f"caller{index}")
    ledger = CallLedger(peer.name)
    ctx.callers.append(ledger)
    progress: dict[int, int] = {}

    def on_progress(msg):
        progress[msg[1]] = progress.get(msg[1], 0) + 1
        ctx.totals.progress_results += 1

    peer.on_progress = on_progress
    slots = asyncio.Semaphore(CALLS_IN_FLIGHT)
    kinds, weights = list(CALL_MIX), list(CALL_MIX.values())
    tasks: set[asyncio.Task] = set()

    async def one_call(kind: str):
        try:
            await call(ctx, peer, ledger, kind, progress)
        finally:
            slots.release()

    for _ in ctx.running():
        await slots.acquire()
        kind = ctx.rng.choices(kinds, weights)[0]
        task = asyncio.get_running_loop().create_task(one_call(kind))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        await asyncio.sleep(CALL_PACE)
    if tasks:
        await asyncio.wait(tasks, timeout=REPLY_BOUND + 5)
    await peer.leave()


async def call(ctx: SoakContext, peer, ledger: CallLedger, kind: str, progress: dict[int, int]) -> None:
    procedure, options = procedure_for(kind, ctx)
    request = peer.next_id()
    args = [peer.name, request, "x" * ctx.rng.randrange(0, 512)]
    reply = peer.expect_reply(request)
    ledger.sent_call(request, kind)
    await peer.send([CALL, request, options, procedure, args])
    if kind == "cancel":
        await asyncio.sleep(CANCEL_AFTER)
        await peer.send([CANCEL, request, {"mode": "kill"}])
    try:
        msg = await asyncio.wait_for(reply, REPLY_BOUND)
    except TimeoutError:
        return  # stays outstanding: lost
    except PeerClosed:
        return  # stays outstanding; the unasked close is a failure of its own
    if msg[0] == RESULT:
        problem = None
        result_args = msg[3] if len(msg) > 3 else None
        if kind == "progressive":
            steps = progress.pop(request, 0)
            if steps != PROGRESS_STEPS or result_args != ["done", PROGRESS_STEPS]:
                problem = f"progressive call: {steps} progress results, final {result_args!r}"
        elif result_args != args:
            problem = f"{kind} RESULT args {result_args!r:.120} differ from the CALL's"
        ledger.finished_call(request, "result", problem)
    else:
        ledger.finished_call(request, msg[4])


async def dropping_caller(ctx: SoakContext):
    """Joins, calls soak.rpc.slow (no timeout) and echo, and drops TCP with calls in flight; every
    third one waits for its answers and leaves with GOODBYE instead."""
    for cycle in ctx.running():
        peer = await ctx.join("dropcaller")
        ledger = CallLedger(peer.name)
        ctx.callers.append(ledger)
        graceful = cycle % 3 == 2
        calls = [call(ctx, peer, ledger, "echo", {}) for _ in range(2)]
        if graceful:
            calls.append(call(ctx, peer, ledger, "timeout", {}))
        else:
            for _ in range(3):
                request = peer.next_id()
                # never awaited: the caller drops first (or takes what comes); mark it retrieved
                peer.expect_reply(request).add_done_callback(lambda f: f.cancelled() or f.exception())
                ledger.sent_call(request, "cancel")
                await peer.send([CALL, request, {}, "soak.rpc.slow", [peer.name, request, ""]])
        tasks = [asyncio.get_running_loop().create_task(c) for c in calls]
        if graceful:
            await asyncio.wait(tasks, timeout=REPLY_BOUND + 5)
            await peer.leave()
        else:
            await asyncio.sleep(0.3)
            ctx.drop(peer)
            await peer.wait_closed()
            await asyncio.gather(*tasks, return_exceptions=True)
            ledger.abandon_outstanding()
        await asyncio.sleep(ctx.rng.uniform(0.3, 1.0))


def send(peer, msg) -> None:
    """Send from a handler (the reader task must not block on writes). Tasks start in creation
    order and websockets writes a message before its first await, so the order is kept."""
    if peer.is_open:
        asyncio.get_running_loop().create_task(send_if_open(peer, msg))


async def send_if_open(peer, msg) -> None:
    """Nothing after our GOODBYE: the router has ended the session, and a YIELD would be a
    protocol violation (it answers ABORT); it cancels the call for the caller instead."""
    if not peer.is_open or peer.goodbye_sent:
        return
    try:
        await peer.send(msg)
    except ConnectionClosed:
        pass  # the peer is gone; what it would have answered is the router's to account for
