"""What every soak actor shares: the router URL, the ledgers, the stop signal, and `join()`,
which counts sessions and turns a peer's oddities or an unasked close into failures."""

from __future__ import annotations

import asyncio
import random
import time
import traceback
from typing import Callable

from ledger import CallLedger, Publication, SubscriberLedger, Totals
from wamp_peer import Peer

# Bounds for every actor loop: a cycle count far above what the rates allow, and the
# time after the stop signal within which each actor must have finished.
MAX_CYCLES = 1_000_000
STOP_GRACE = 30.0


class SoakContext:
    def __init__(self, url: str, seed: int, backlog_overflows_logged: Callable[[], int]):
        self.url = url
        self.backlog_overflows_logged = backlog_overflows_logged  # router log lines so far
        self.rng = random.Random(seed)
        self.totals = Totals()
        self.stopping = asyncio.Event()
        self.callers: list[CallLedger] = []
        self.subscribers: list[SubscriberLedger] = []
        self.publications: dict[int, Publication] = {}
        self._names: dict[str, int] = {}

    def name(self, prefix: str) -> str:
        n = self._names.get(prefix, 0) + 1
        self._names[prefix] = n
        return f"{prefix}-{n}"

    def running(self, limit: int = MAX_CYCLES):
        """Cycle numbers until the stop signal (or `limit` cycles, a bound never reached)."""
        for cycle in range(limit):
            if self.stopping.is_set():
                return
            yield cycle

    def fail(self, what: str) -> None:
        self.totals.failures.append(what)

    async def join(self, prefix: str, *, slow_consumer: bool = False, **kw) -> Peer:
        peer = await Peer.join(self.url, self.name(prefix), **kw)
        self.totals.connected += 1
        self.totals.joins += 1
        peer.slow_consumer = slow_consumer
        peer.closed.add_done_callback(lambda _f: self._closed(peer))
        return peer

    def drop(self, peer: Peer) -> None:
        if peer.is_open:
            peer.drop()
            self.totals.drops += 1

    def _closed(self, peer: Peer) -> None:
        self.totals.connected -= 1
        for oddity in peer.oddities:
            self.fail(f"{peer.name}: {oddity}")
        if not (peer.goodbye_sent or peer.dropped):
            if peer.slow_consumer:
                self.totals.slow_closes += 1
                self.totals.slow_close_codes[peer.close_code or 1006] += 1
            else:
                self.fail(f"{peer.name}: the router closed the connection unasked (close code {peer.close_code})")

    def spawn(self, coro, name: str) -> asyncio.Task:
        """An actor task whose exception becomes a failure instead of vanishing."""

        async def guarded():
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception as e:
                self.fail(f"actor {name} raised {type(e).__name__}: {e}\n"
                          + "".join(traceback.format_exception(e)[-3:]))

        return asyncio.get_running_loop().create_task(guarded(), name=name)

    def now(self) -> float:
        return time.monotonic()
