import CoreMetrics
import Prometheus
import Synchronization
import WampMessages

/// The router's `/metrics`: the hot-path totals of every thread (`TrafficSlots`), the session
/// and authentication tallies kept here, and what the router reads from its realms and
/// transports at scrape time, set into swift-prometheus collectors and rendered in the
/// Prometheus text format.
///
/// Nothing here runs per message. Sessions joining and leaving and authentication outcomes
/// take this object's lock once per session, which the join itself already outweighs.
public final class RouterMetricsExporter: Sendable {
    /// The swift-prometheus registry the exposition is rendered from. Anything else in the
    /// process may record into it through swift-metrics (`metricsFactory`).
    public let registry: PrometheusCollectorRegistry
    private let tallies = Mutex(Tallies())
    /// One scrape at a time: a counter is set by reset-then-add, which a second scrape must not see halfway.
    private let scrapeLock = Mutex(())

    struct Tallies {
        var sessions: [SessionLabels: SessionTally] = [:]
        var authentications: [AuthenticationOutcome: Int] = [:]
    }

    struct SessionTally {
        var current = 0
        var joins = 0
        var leaves = 0
    }

    struct AuthenticationOutcome: Hashable {
        let method: String
        let succeeded: Bool
    }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// A swift-metrics factory writing into `registry`: `MetricsSystem.bootstrap(exporter.metricsFactory)`
    /// puts what libraries record through swift-metrics into the same `/metrics` text. (Their
    /// names must not reuse the `wamp_` ones.)
    public var metricsFactory: any MetricsFactory { PrometheusMetricsFactory(registry: registry) }

    // MARK: Recording (once per session)

    package func sessionJoined(_ labels: SessionLabels) {
        tallies.withLock {
            $0.sessions[labels, default: SessionTally()].current += 1
            $0.sessions[labels, default: SessionTally()].joins += 1
        }
    }

    package func sessionLeft(_ labels: SessionLabels) {
        tallies.withLock {
            $0.sessions[labels, default: SessionTally()].current -= 1
            $0.sessions[labels, default: SessionTally()].leaves += 1
        }
    }

    /// `method`: one of the router's method names (`AuthMethod.rawValue`), or `none` when the
    /// handshake failed before a method was chosen.
    package func authenticated(method: String, succeeded: Bool) {
        tallies.withLock { $0.authentications[AuthenticationOutcome(method: method, succeeded: succeeded), default: 0] += 1 }
    }

    // MARK: Scrape

    /// The Prometheus text exposition: `collect` adds the router's own readings (realms,
    /// transports) to the hot-path totals and the tallies.
    package func render(_ collect: (inout MetricsScrape) -> Void) -> String {
        var scrape = MetricsScrape()
        addTallies(to: &scrape)
        let traffic = TrafficTotals.now()
        Self.addTraffic(traffic, to: &scrape)
        collect(&scrape)
        return scrapeLock.withLock { _ in
            for sample in scrape.counters {
                let counter = registry.makeCounter(descriptor: sample.descriptor, labels: sample.labels)
                counter.reset()
                counter.increment(by: Int64(max(0, sample.value)))
            }
            for sample in scrape.gauges {
                registry.makeGauge(descriptor: sample.descriptor, labels: sample.labels).set(to: Double(sample.value))
            }
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16_384)
            registry.emit(into: &buffer)
            HistogramText.write("wamp_call_duration_seconds",
                                help: "Dealer time from CALL to the final RESULT sent to the caller, in seconds.",
                                traffic.callDuration, layout: .callDuration, into: &buffer)
            HistogramText.write("wamp_publication_receivers",
                                help: "Sessions one publication was delivered to (event fan-out).",
                                traffic.fanOut, layout: .fanOut, into: &buffer)
            return String(decoding: buffer, as: UTF8.self)
        }
    }

    private func addTallies(to scrape: inout MetricsScrape) {
        let tallies = self.tallies.withLock { $0 }
        for (labels, tally) in tallies.sessions.sorted(by: { $0.key < $1.key }) {
            scrape.gauge("wamp_sessions", "Sessions joined to a realm now, by realm, transport and serializer.", labels.pairs, tally.current)
            scrape.counter("wamp_session_joins_total", "Sessions that joined a realm (WELCOME sent).", labels.pairs, tally.joins)
            scrape.counter("wamp_session_leaves_total", "Sessions that left a realm (GOODBYE, ABORT, kill or closed transport).",
                           labels.pairs, tally.leaves)
        }
        for (outcome, count) in tallies.authentications.sorted(by: { ($0.key.method, $0.key.succeeded ? 1 : 0) < ($1.key.method, $1.key.succeeded ? 1 : 0) }) {
            scrape.counter("wamp_authentications_total", "Opening handshakes that ended in WELCOME (success) or in ABORT after authentication (failure), by method.",
                           [("method", outcome.method), ("outcome", outcome.succeeded ? "success" : "failure")], count)
        }
    }

    static func addTraffic(_ traffic: TrafficTotals, to scrape: inout MetricsScrape) {
        for code in MessageCode.allCases {
            scrape.counter("wamp_messages_received_total", "WAMP messages decoded from peers, by message type.",
                           [("type", code.name)], traffic.received(code))
            scrape.counter("wamp_messages_sent_total", "WAMP messages queued to peers, by message type.",
                           [("type", code.name)], traffic.sent(code))
        }
        if traffic.sentUnknown > 0 {
            scrape.counter("wamp_messages_sent_total", "WAMP messages queued to peers, by message type.", [("type", "unknown")], traffic.sentUnknown)
        }
        scrape.counter("wamp_received_bytes_total", "Bytes of WAMP messages decoded from peers (before transport framing).", [], traffic.bytesReceived)
        scrape.counter("wamp_sent_bytes_total", "Bytes of WAMP messages queued to peers (before transport framing).", [], traffic.bytesSent)
        scrape.counter("wamp_routed_calls_total", "Calls routed to a callee (INVOCATIONs sent).", [], traffic.sent(.invocation))
        scrape.counter("wamp_routed_events_total", "Events delivered to subscribers (EVENTs sent).", [], traffic.sent(.event))
        for (index, uri) in ReasonURI.labels.enumerated() {
            scrape.counter("wamp_errors_sent_total", "ERROR messages sent, by URI (the spec's and the router's URIs; any other is 'other').",
                           [("uri", uri)], traffic.errors(labelIndex: index))
            scrape.counter("wamp_aborts_sent_total", "ABORT messages sent, by reason (the spec's and the router's URIs; any other is 'other').",
                           [("reason", uri)], traffic.aborts(labelIndex: index))
        }
        for kind in TimeoutKind.allCases {
            scrape.counter("wamp_timeouts_total", "Timeouts that fired, by name.", [("timeout", kind.label)], traffic.timeouts(kind))
        }
    }
}
