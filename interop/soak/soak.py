"""make soak: mixed WAMP traffic against the release router for SOAK_SECONDS (default 600).

Traffic (all on loopback, every loop bounded in count and time):
- RPC: stable callers calling echo, progressive (3 progress results + final), slow with a
  300 ms timeout (ERROR timeout), slow then CANCEL kill (ERROR canceled), and a flaky callee
  that comes and goes, leaving with GOODBYE or dropping TCP with calls pending (its callers
  must get ERROR canceled); callers that drop TCP with calls in flight.
- Pub/sub: stable publishers (80% acknowledged), a publisher that drops TCP with publications in
  flight; stable and short-lived subscribers with exact, prefix and wildcard subscriptions.
- Sessions: join + GOODBYE, join + TCP drop, HELLO then drop, half an HTTP upgrade then drop.
- Slow consumer: a subscriber with a 4 KiB receive buffer on a 16 KiB x 50/s firehose that stops
  reading (or reads one message per 200 ms) until the router logs a backlog overflow (at most
  20 s), then reads at full speed; the router (--max-backlog-bytes 131072 here) must have closed
  it: the client sees the connection end within 10 s. (Mostly as 1006: the router's 1008 close
  frame is queued behind the backlog that the close discards, so it rarely arrives.)

Pass rules (all must hold; the summary states each figure):
1. RSS: warm-up W = min(20% of the run, 60 s); window L = min(60 s, (run - W) / 2). The median
   VmRSS of the samples in [W, W + L) is the reference; the median of the last L seconds of
   traffic must not exceed it by more than 10%.
2. fds: the idle count (median of 3 samples before any client) is the baseline; after every
   client has gone, the count must be back within baseline + 2 within 10 s.
3. Calls: every CALL a caller sent ends in exactly one RESULT or ERROR that its kind allows
   (a call the caller itself abandoned by dropping TCP is counted, not checked); calls a
   flaky callee held when it left or dropped must end in ERROR wamp.error.canceled.
4. Events: every acknowledged publication reaches every accounted subscriber whose subscription
   matches (stable subscribers; short-lived ones that left with GOODBYE, for the publications
   sent after their SUBSCRIBED and acknowledged before they started to leave), exactly once.
5. The router closed at least one slow consumer, and every one (the client sees its connection
   end within 10 s of reading at full speed again), and no other connection unasked; at the end it reports 1 session (the monitor), no registrations and no
   subscriptions; it exits 0 on SIGTERM; no actor failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import traceback
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import pubsub_actors  # noqa: E402
import rpc_actors  # noqa: E402
import session_actors  # noqa: E402
from ledger import CANCELED, by_sent_at  # noqa: E402
from router_process import RouterProcess, Sample  # noqa: E402
from soak_context import STOP_GRACE, SoakContext  # noqa: E402
from wamp_peer import CALL, RESULT  # noqa: E402

REPO = HERE.parent.parent
RSS_GROWTH_LIMIT = 0.10
FD_TOLERANCE = 2
FD_SETTLE = 10.0
DRAIN_BOUND = 10.0
ROW_EVERY = 10
BACKLOG_BYTES = 131072
BACKLOG_OVERFLOW_LOG = "outbound backlog overflow"  # the router's warning when it closes for it
STABLE_CALLERS = 3
STABLE_PUBLISHERS = 2


class Report:
    """Prints and keeps every line, for interop/soak/reports/soak.txt."""

    def __init__(self):
        self.lines: list[str] = []

    def __call__(self, line: str = "") -> None:
        print(line, flush=True)
        self.lines.append(line)


def rss_windows(seconds: float) -> tuple[float, float]:
    warmup = min(0.2 * seconds, 60.0)
    return warmup, min(60.0, (seconds - warmup) / 2)


async def meta_call(monitor, procedure: str, args=None):
    reply = await monitor.request([CALL, monitor.next_id(), {}, procedure, args or []], timeout=10)
    if reply[0] != RESULT:
        raise RuntimeError(f"{procedure}: {reply!r:.200}")
    return reply[3][0] if len(reply) > 3 and reply[3] else None


async def soak(args, out: Report) -> list[str]:
    router = RouterProcess(Path(args.router_bin), args.reports / "router.log",
                           ["--max-backlog-bytes", str(args.backlog), "--log-level", "info"])
    try:
        return await run_traffic(args, out, router)
    finally:
        if router.alive():  # the soak failed on its own: leave nothing running
            router.stop()


async def run_traffic(args, out: Report, router: RouterProcess) -> list[str]:
    out(f"soak: router pid {router.proc.pid}: {' '.join(router.args)}")
    out(f"soak: {args.seconds:.0f} s of traffic, seed {args.seed}; log {router.log_path}")
    idle = []
    for _ in range(3):
        await asyncio.sleep(1.0)
        idle.append(router.sample(0))
    baseline_fds = int(statistics.median(s.fds for s in idle))
    baseline_rss = statistics.median(s.rss_kib for s in idle)
    out(f"soak: idle router: {baseline_rss / 1024:.1f} MiB RSS, {baseline_fds} fds")

    ctx = SoakContext(router.url, args.seed, lambda: router.log_lines_containing(BACKLOG_OVERFLOW_LOG))
    monitor = await ctx.join("monitor")
    stable_done = asyncio.Event()
    stable: list[asyncio.Task] = []
    ready: list[asyncio.Event] = []

    def start_stable(factory, name):
        ev = asyncio.Event()
        ready.append(ev)
        stable.append(ctx.spawn(factory(ev), name))

    for i in range(rpc_actors.STABLE_CALLEES):
        start_stable(lambda ev, i=i: rpc_actors.stable_callee(ctx, i, ev, stable_done), f"callee{i}")
    start_stable(lambda ev: rpc_actors.slow_callee(ctx, ev, stable_done), "slowcallee")
    for pattern, match in pubsub_actors.STABLE_SUBSCRIPTIONS:
        start_stable(lambda ev, p=pattern, m=match: pubsub_actors.stable_subscriber(ctx, p, m, ev, stable_done),
                     f"sub {match} {pattern}")
    for _ in range(300):  # up to 30 s for the stable sessions to join and register/subscribe
        if all(ev.is_set() for ev in ready) or any(task.done() for task in stable):
            break
        await asyncio.sleep(0.1)
    if not all(ev.is_set() for ev in ready):
        raise RuntimeError("stable sessions not ready: " + "; ".join(ctx.totals.failures or ["30 s passed"]))

    t0 = time.monotonic()
    traffic = [ctx.spawn(rpc_actors.stable_caller(ctx, i), f"caller{i}") for i in range(STABLE_CALLERS)]
    traffic += [ctx.spawn(pubsub_actors.stable_publisher(ctx, i), f"pub{i}") for i in range(STABLE_PUBLISHERS)]
    traffic += [ctx.spawn(rpc_actors.flaky_callee(ctx), "flaky"),
                ctx.spawn(rpc_actors.dropping_caller(ctx), "dropcaller"),
                ctx.spawn(pubsub_actors.dropping_publisher(ctx), "droppub"),
                ctx.spawn(pubsub_actors.churn_subscriber(ctx), "churnsub-a"),
                ctx.spawn(pubsub_actors.churn_subscriber(ctx), "churnsub-b"),
                ctx.spawn(pubsub_actors.firehose_publisher(ctx), "firehose"),
                ctx.spawn(pubsub_actors.slow_consumer(ctx), "slow"),
                ctx.spawn(session_actors.session_churner(ctx), "churn")]

    samples: list[Sample] = []
    header = (f"{'elapsed':>7} {'RSS MiB':>8} {'fds':>5} {'sess':>5} {'router':>6} {'calls ok':>9} "
              f"{'calls err':>9} {'pub acked':>9} {'events rx':>9} {'drops':>6} {'slow cl':>7}")
    out()
    out(header)
    out("-" * len(header))
    t = ctx.totals
    died = False
    for second in range(1, int(args.seconds) + 1):  # one sample per second of traffic
        await asyncio.sleep(max(0.0, t0 + second - time.monotonic()))
        if not router.alive():
            died = True
            ctx.fail(f"the router died (exit code {router.proc.returncode}) at {second} s; see {router.log_path}")
            break
        sample = router.sample(time.monotonic() - t0)
        samples.append(sample)
        if second % ROW_EVERY == 0:
            try:
                sessions = await meta_call(monitor, "wamp.session.count")
            except Exception as e:  # counted below; the table goes on
                ctx.fail(f"monitor: wamp.session.count failed at {second} s: {e}")
                sessions = "?"
            ok = sum(c.ok for c in ctx.callers)
            err = sum(c.errors for c in ctx.callers)
            out(f"{second:>6}s {sample.rss_kib / 1024:>8.1f} {sample.fds:>5} {t.connected:>5} {sessions:>6} "
                f"{ok:>9} {err:>9} {t.publications_acked:>9} {t.events_received:>9} {t.drops:>6} {t.slow_closes:>7}")

    ctx.stopping.set()
    stop_started = time.monotonic()
    finished, unfinished = await asyncio.wait(traffic, timeout=STOP_GRACE + rpc_actors.REPLY_BOUND)
    for task in unfinished:
        ctx.fail(f"actor {task.get_name()} did not stop within {STOP_GRACE + rpc_actors.REPLY_BOUND:.0f} s")
        task.cancel()
    await drain_events(ctx)
    stable_done.set()
    _, stuck = await asyncio.wait(stable, timeout=20)
    for task in stuck:
        ctx.fail(f"stable actor {task.get_name()} did not leave within 20 s")
        task.cancel()
    out(f"soak: traffic stopped; clients finished in {time.monotonic() - stop_started:.1f} s")

    end_state = {}
    if not died:
        try:
            end_state["sessions"] = await meta_call(monitor, "wamp.session.count")
            end_state["registrations"] = await meta_call(monitor, "wamp.registration.list")
            end_state["subscriptions"] = await meta_call(monitor, "wamp.subscription.list")
        except Exception as e:
            ctx.fail(f"monitor: end-of-run meta calls failed: {e}")
    await monitor.leave()

    end_fds = None
    if router.alive():
        deadline = time.monotonic() + FD_SETTLE
        while True:
            end_fds = router.sample(0).fds
            if end_fds <= baseline_fds + FD_TOLERANCE or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
    end_rss = router.sample(0).rss_kib if router.alive() else None
    if router.alive():
        out(f"soak: router CPU time {router.cpu_seconds():.1f} s, this driver's {time.process_time():.1f} s")
    rc = router.stop()
    return summarize(ctx, out, args, router, samples, baseline_fds, baseline_rss, end_fds, end_rss,
                     end_state, rc)


async def drain_events(ctx: SoakContext) -> None:
    """Wait (bounded) until every accounted subscriber has what it should have."""
    deadline = time.monotonic() + DRAIN_BOUND
    while time.monotonic() < deadline:
        publications = by_sent_at(ctx.publications)
        if all(s.expected(publications) <= s.received for s in ctx.subscribers):
            return
        await asyncio.sleep(0.2)


def summarize(ctx, out, args, router, samples, baseline_fds, baseline_rss, end_fds, end_rss,
              end_state, rc) -> list[str]:
    t = ctx.totals
    failures = list(t.failures)
    out()
    out("## Summary")

    warmup, window = rss_windows(args.seconds)
    first = [s.rss_kib for s in samples if warmup <= s.elapsed < warmup + window]
    last = [s.rss_kib for s in samples if s.elapsed >= args.seconds - window]
    if first and last and len(samples) >= int(args.seconds) - 1:
        ref, fin = statistics.median(first), statistics.median(last)
        growth = fin / ref - 1
        verdict = "ok" if growth <= RSS_GROWTH_LIMIT else "FAIL"
        out(f"RSS: idle {baseline_rss / 1024:.1f} MiB; median {ref / 1024:.1f} MiB in [{warmup:.0f} s, "
            f"{warmup + window:.0f} s), median {fin / 1024:.1f} MiB in the last {window:.0f} s "
            f"({growth * 100:+.1f}%, limit +{RSS_GROWTH_LIMIT * 100:.0f}%); peak "
            f"{max(s.rss_kib for s in samples) / 1024:.1f} MiB; after the clients left "
            f"{(end_rss or 0) / 1024:.1f} MiB: {verdict}")
        if verdict != "ok":
            failures.append(f"RSS grew {growth * 100:.1f}% after warm-up (limit {RSS_GROWTH_LIMIT * 100:.0f}%)")
    else:
        failures.append("RSS: not enough samples to apply the rule")
    peak_fds = max((s.fds for s in samples), default=0)
    fd_ok = end_fds is not None and end_fds <= baseline_fds + FD_TOLERANCE
    out(f"fds: idle {baseline_fds}, peak {peak_fds}, after the clients left {end_fds} "
        f"(limit {baseline_fds + FD_TOLERANCE}): {'ok' if fd_ok else 'FAIL'}")
    if not fd_ok:
        failures.append(f"fds: {end_fds} open after the clients left, idle baseline {baseline_fds}")

    callers = {c.name: c for c in ctx.callers}
    outcomes = sum((c.outcomes for c in ctx.callers), start=Counter())
    sent = sum(c.sent for c in ctx.callers)
    abandoned = sum(c.abandoned for c in ctx.callers)
    lost = sum(len(c.outstanding) for c in ctx.callers)
    unexpected = [u for c in ctx.callers for u in c.unexpected]
    finished = sum(outcomes.values())
    out(f"calls: {sent} sent by {len(ctx.callers)} callers = {finished} finished + {abandoned} abandoned "
        f"(caller dropped TCP) + {lost} lost; outcomes " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
        + f"; {t.progress_results} progressive results; {len(unexpected)} unexpected")
    if lost:
        failures.append(f"calls: {lost} lost (no RESULT or ERROR within {rpc_actors.REPLY_BOUND:.0f} s): "
                        + "; ".join(f"{c.name} {sorted(c.outstanding.items())[:5]}" for c in ctx.callers if c.outstanding))
    failures += [f"calls: {u}" for u in unexpected[:20]]
    canceled_ok = 0
    for (caller, request), why in t.must_cancel.items():
        outcome = callers[caller].finished.get(request) if caller in callers else None
        if outcome == CANCELED:
            canceled_ok += 1
        else:
            failures.append(f"calls: {caller} #{request} was pending when the {why}, ended in {outcome}")
    out(f"calls pending at a flaky callee when it left or dropped TCP: {len(t.must_cancel)}, "
        f"ended in ERROR {CANCELED}: {canceled_ok}")

    expected = received = missing = 0
    publications = by_sent_at(ctx.publications)
    for s in ctx.subscribers:
        want = s.expected(publications)
        gap = want - s.received
        expected += len(want)
        received += len(want & s.received)
        missing += len(gap)
        if gap:
            failures.append(f"events: {s.name} ({s.match} {s.pattern}) missed {len(gap)} of {len(want)} "
                            f"acknowledged publications, e.g. {sorted(gap)[:5]}")
        if s.duplicates:
            failures.append(f"events: {s.name} got {s.duplicates} duplicates")
        failures += [f"events: {m}" for m in s.misrouted[:5]]
    out(f"events: {t.publications_acked} acknowledged + {t.publications_unacked} unacknowledged publications, "
        f"{t.firehose_sent} firehose; {len(ctx.subscribers)} accounted subscribers expected {expected} "
        f"deliveries, got {received}, missed {missing}; {t.events_received} events received in all")

    overflow_logged = router.log_lines_containing(BACKLOG_OVERFLOW_LOG)
    codes = ", ".join(f"{code} x{n}" for code, n in sorted(t.slow_close_codes.items()))
    out(f"sessions: {t.joins} joined, {t.drops} connections dropped by the soak without GOODBYE; slow consumers "
        f"closed by the router: {t.slow_closes} (close codes seen by the client: {codes or 'none'}), "
        f"not closed in time: {t.slow_not_closed}; router log 'outbound backlog overflow': {overflow_logged}")
    if t.slow_closes == 0:
        failures.append("slow consumer: the router never closed one")
    out(f"router at the end: {end_state.get('sessions')} session(s), registrations "
        f"{end_state.get('registrations')}, subscriptions {end_state.get('subscriptions')}")
    if end_state.get("sessions") != 1:
        failures.append(f"router reports {end_state.get('sessions')} sessions at the end (only the monitor was left)")
    for what in ("registrations", "subscriptions"):
        lists = end_state.get(what)
        if not isinstance(lists, dict) or any(lists.get(k) for k in ("exact", "prefix", "wildcard")):
            failures.append(f"router still lists {what} at the end: {lists!r:.200}")
    out(f"router log lines by level: {router.log_level_counts()}")
    out(f"router exit code after SIGTERM: {rc}")
    if rc != 0:
        failures.append(f"router exit code {rc} after SIGTERM (None: still running after 15 s, killed)")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=float(os.environ.get("SOAK_SECONDS", "600")))
    parser.add_argument("--seed", type=int, default=int(os.environ.get("SOAK_SEED", "8")))
    parser.add_argument("--router-bin", default=os.environ.get("ROUTER_BIN", str(REPO / ".build/release/wamp-router")))
    parser.add_argument("--backlog", type=int, default=BACKLOG_BYTES, help="--max-backlog-bytes of the router")
    parser.add_argument("--reports", type=Path, default=HERE / "reports")
    args = parser.parse_args()
    if args.seconds < 10:
        parser.error("--seconds / SOAK_SECONDS must be at least 10")
    out = Report()
    try:
        failures = asyncio.run(soak(args, out))
    except Exception as e:
        out("".join(traceback.format_exception(e)))
        failures = [f"the soak itself failed: {type(e).__name__}: {e}"]
    args.reports.mkdir(parents=True, exist_ok=True)
    if failures:
        out()
        out(f"## {len(failures)} failure(s)")
        for f in failures[:50]:
            out(f"- {f}")
        if len(failures) > 50:
            out(f"- ... and {len(failures) - 50} more")
        out(f"soak: FAILED ({len(failures)} failure(s), {args.seconds:.0f} s)")
    else:
        out(f"soak: PASSED ({args.seconds:.0f} s: no RSS growth past the limit, no fd leak, no lost call or event)")
    (args.reports / "soak.txt").write_text("\n".join(out.lines) + "\n")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
