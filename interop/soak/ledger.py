"""The soak's accounting: every CALL a caller sends ends in exactly one accepted outcome, and
every acknowledged PUBLISH reaches every accounted subscriber whose subscription matches it.
Anything else is a failure listed in the summary."""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass, field

CANCELED = "wamp.error.canceled"
TIMEOUT = "wamp.error.timeout"
NO_SUCH_PROCEDURE = "wamp.error.no_such_procedure"

# The outcomes each kind of call may end in; any other outcome is "unexpected".
ACCEPTED = {
    "echo": {"result"},
    "progressive": {"result"},
    "timeout": {TIMEOUT},
    "cancel": {CANCELED},
    # a flaky callee may answer, leave (or drop) with the call pending, or not be registered yet
    "flaky": {"result", CANCELED, NO_SUCH_PROCEDURE},
}


@dataclass
class CallLedger:
    """One caller's calls by request ID: kind at send, outcome at reply."""

    name: str
    sent: int = 0
    outcomes: Counter = field(default_factory=Counter)  # "result" or an error URI
    unexpected: list[str] = field(default_factory=list)
    outstanding: dict[int, str] = field(default_factory=dict)  # request ID -> kind
    finished: dict[int, str] = field(default_factory=dict)  # request ID -> outcome (flaky calls only)
    abandoned: int = 0  # in flight when this caller dropped its own connection

    def sent_call(self, request_id: int, kind: str) -> None:
        self.sent += 1
        self.outstanding[request_id] = kind

    def finished_call(self, request_id: int, outcome: str, problem: str | None = None) -> None:
        kind = self.outstanding.pop(request_id)
        self.outcomes[outcome] += 1
        if kind == "flaky":
            self.finished[request_id] = outcome
        if problem is None and outcome not in ACCEPTED[kind]:
            problem = f"{kind} call ended in {outcome}"
        if problem is not None:
            self.unexpected.append(f"{self.name} #{request_id}: {problem}")

    def abandon_outstanding(self) -> None:
        self.abandoned += len(self.outstanding)
        self.outstanding.clear()

    @property
    def ok(self) -> int:
        return self.outcomes["result"]

    @property
    def errors(self) -> int:
        return sum(n for outcome, n in self.outcomes.items() if outcome != "result")


@dataclass
class Publication:
    topic: str
    sent_at: float
    acked_at: float


def topic_matches(topic: str, pattern: str, match: str) -> bool:
    if match == "exact":
        return topic == pattern
    if match == "prefix":
        return topic.startswith(pattern)
    parts, want = topic.split("."), pattern.split(".")
    return len(parts) == len(want) and all(w == "" or w == p for w, p in zip(want, parts))


@dataclass
class SubscriberLedger:
    """What one accounted subscriber received, and the window in which it must receive every
    acknowledged publication that matches its subscription: PUBLISH sent after SUBSCRIBED was
    received, PUBLISHED received before the subscriber started to leave (`None`: still there)."""

    name: str
    pattern: str
    match: str
    subscribed_at: float
    left_at: float | None = None
    received: set[int] = field(default_factory=set)
    duplicates: int = 0
    misrouted: list[str] = field(default_factory=list)

    def got(self, publication_id: int, topic: str) -> None:
        if publication_id in self.received:
            self.duplicates += 1
        self.received.add(publication_id)
        if not topic_matches(topic, self.pattern, self.match):
            self.misrouted.append(f"{self.name} ({self.match} {self.pattern}) got an event for {topic}")

    def expected(self, by_sent_at: list[tuple[float, int, Publication]]) -> set[int]:
        """`by_sent_at`: (sent_at, publication ID, publication), sorted (see `by_sent_at()`)."""
        end = self.left_at if self.left_at is not None else float("inf")
        first = bisect.bisect_right(by_sent_at, (self.subscribed_at, float("inf")))
        return {pid for _, pid, p in by_sent_at[first:]
                if p.sent_at < end and p.acked_at < end and topic_matches(p.topic, self.pattern, self.match)}


def by_sent_at(publications: dict[int, Publication]) -> list[tuple[float, int, Publication]]:
    return sorted((p.sent_at, pid, p) for pid, p in publications.items())


@dataclass
class Totals:
    """Counters for the table: cumulative since the start."""

    connected: int = 0
    joins: int = 0
    drops: int = 0  # connections the soak closed abruptly (TCP, no GOODBYE)
    slow_closes: int = 0  # slow consumers the router closed
    slow_close_codes: Counter = field(default_factory=Counter)
    slow_not_closed: int = 0
    publications_acked: int = 0
    publications_unacked: int = 0
    firehose_sent: int = 0
    events_received: int = 0
    progress_results: int = 0
    must_cancel: dict[tuple[str, int], str] = field(default_factory=dict)  # (caller, request) -> why
    failures: list[str] = field(default_factory=list)
