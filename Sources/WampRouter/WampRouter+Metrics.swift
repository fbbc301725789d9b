import RawSocketIO
import Realm
import RouterMetrics
import WebSocketIO

/// `/metrics`: what the admin listener serves. Everything counted per message is added up from
/// per-thread counters here, at scrape time; gauges are read from the realms now.
extension WampRouter {
    /// The Prometheus text exposition (format 0.0.4) of this router's metrics (README, "Metrics").
    /// Safe from any thread; costs one lock per realm table read, none on the routing path.
    public func metricsText() -> String { Self.metricsText(context) }

    /// Static, over the context: the admin listener starts (and scrapes) before the router
    /// value exists.
    static func metricsText(_ context: RouterContext) -> String {
        context.metrics.render { scrape in
            collectRouter(context, into: &scrape)
            collectRealms(context.realms, into: &scrape)
            collectTransports(into: &scrape)
            collectCluster(context, into: &scrape)
        }
    }

    /// What `/metrics` serves: the exposition, or nil (a 404 saying metrics are off) with
    /// `configuration.metrics` false.
    static func metricsSource(_ configuration: RouterConfiguration, _ context: RouterContext) -> @Sendable () -> String? {
        guard configuration.metrics else { return { nil } }
        return { metricsText(context) }
    }

    /// Turns the hot-path recording (`Traffic`: messages, bytes, errors, call durations, fan-out)
    /// on or off for the whole process. Call it before the first router starts (`wamp-router`
    /// does, from `--metrics`/`--no-metrics`), never while one runs: the switch is read without
    /// synchronization on every message, which is safe only because it does not change then.
    public static func recordMetrics(_ on: Bool) { Traffic.isRecording = on }

    /// Whether the hot path records (`recordMetrics(_:)`).
    public static var recordsMetrics: Bool { Traffic.isRecording }

    /// Messages sent by every router in the process, for the status page's "messages out" chart.
    static func messagesSentTotal() -> Int { TrafficTotals.now().messagesSent }

    /// The exporter behind `metricsText()`, whose `metricsFactory` lets swift-metrics users in
    /// the process record into the same exposition.
    public var metricsExporter: RouterMetricsExporter { context.metrics }

    private static func collectRouter(_ context: RouterContext, into scrape: inout MetricsScrape) {
        scrape.gauge("wamp_connections", "Open WAMP connections (joined or still in the opening handshake).", [],
                     context.openConnections.count)
        scrape.counter("wamp_protocol_violations_total", "Sessions aborted with wamp.error.protocol_violation.", [],
                       context.counters.protocolViolations.load(ordering: .relaxed))
        scrape.counter("wamp_router_messages_undeliverable_total",
                       "Messages the router built that a peer could not take (larger than its announced maximum).", [],
                       context.counters.undeliverable.load(ordering: .relaxed))
    }

    private static func collectRealms(_ realms: RealmRegistry, into scrape: inout MetricsScrape) {
        for name in realms.realmNames {
            guard let realm = realms.realm(named: name) else { continue }
            let labels = [("realm", name)]
            scrape.gauge("wamp_registrations", "Procedure registrations now.", labels, realm.dealer.registrationCount)
            scrape.gauge("wamp_subscriptions", "Topic subscriptions now.", labels, realm.broker.subscriptionCount)
            scrape.gauge("wamp_pending_calls", "Calls routed to a callee and not yet answered.", labels, realm.dealer.pendingCallCount)
            let stored = realm.broker.storedEventBytes
            scrape.gauge("wamp_retained_bytes", "Payload bytes of retained events.", labels, stored.retained)
            scrape.gauge("wamp_history_bytes", "Payload bytes of stored event history.", labels, stored.history)
            let counters = realm.counters
            for (limit, counter) in [("limit_exceeded", RealmCounters.Counter.limitRefusals),
                                     ("retained_evicted", .retainedEvicted), ("history_evicted", .historyEvicted),
                                     ("retained_not_delivered", .retainedNotDelivered),
                                     ("authorization_cache_cleared", .authorizationCacheCleared)] {
                scrape.counter("wamp_realm_limit_hits_total",
                               "Realm bounds reached, by name: requests refused with router.error.limit_exceeded, stored events evicted, retained events not delivered, authorization caches emptied.",
                               [("realm", name), ("limit", limit)], counters.value(counter))
            }
            for (reason, counter) in [("unacknowledged_publish_refused", RealmCounters.Counter.unacknowledgedPublishRefused),
                                      ("authorizer_failure", .authorizerFailures), ("undeliverable", .undeliverable)] {
                scrape.counter("wamp_realm_refusals_total",
                               "Realm refusals without a limit: unacknowledged PUBLISH denied, dynamic authorizer failed, forwarded message the receiver could not take.",
                               [("realm", name), ("reason", reason)], counters.value(counter))
            }
        }
    }

    /// The transports' counters are process-wide (every router in the process adds to them).
    private static func collectTransports(into scrape: inout MetricsScrape) {
        let websocket = [("transport", "websocket")]
        let rawsocket = [("transport", "rawsocket")]
        let backlogHelp = "Connections closed because their outbound backlog passed its bound (--max-backlog-bytes)."
        scrape.counter("wamp_outbound_backlog_closes_total", backlogHelp, websocket, WebSocketMetrics.backlogOverflowClosures)
        scrape.counter("wamp_outbound_backlog_closes_total", backlogHelp, rawsocket, RawSocketMetrics.backlogOverflowClosures)
        scrape.counter("wamp_backpressure_pauses_total", "Times reading from a peer paused because its outbound backlog passed the high-water mark.",
                       websocket, WebSocketMetrics.backpressurePauses)
        scrape.counter("wamp_rate_pauses_total", "Times reading from a peer paused because it was over --max-message-rate.",
                       websocket, WebSocketMetrics.ratePauses)
        let refusedHelp = "Connections refused before a session: at the connection limit, Origin or path not allowed, RawSocket handshake failed."
        scrape.counter("wamp_connections_refused_total", refusedHelp, [("transport", "websocket"), ("reason", "connection_limit")],
                       WebSocketMetrics.connectionsRefused)
        scrape.counter("wamp_connections_refused_total", refusedHelp, [("transport", "websocket"), ("reason", "origin")],
                       WebSocketMetrics.originsRefused)
        scrape.counter("wamp_connections_refused_total", refusedHelp, [("transport", "websocket"), ("reason", "path")],
                       WebSocketMetrics.pathsRefused)
        scrape.counter("wamp_connections_refused_total", refusedHelp, [("transport", "rawsocket"), ("reason", "connection_limit")],
                       RawSocketMetrics.connectionsRefused)
        scrape.counter("wamp_connections_refused_total", refusedHelp, [("transport", "rawsocket"), ("reason", "handshake")],
                       RawSocketMetrics.handshakeFailures)
        let timeoutHelp = "Timeouts that fired, by name."
        scrape.counter("wamp_timeouts_total", timeoutHelp, [("timeout", "websocket_handshake")], WebSocketMetrics.handshakeTimeouts)
        scrape.counter("wamp_timeouts_total", timeoutHelp, [("timeout", "websocket_ping")], WebSocketMetrics.pingTimeouts)
        scrape.counter("wamp_timeouts_total", timeoutHelp, [("timeout", "rawsocket_handshake")], RawSocketMetrics.handshakeTimeouts)
        let discardedHelp = "Messages the transport dropped: queued after the connection started closing, or longer than the RawSocket peer's maximum."
        scrape.counter("wamp_messages_discarded_total", discardedHelp, [("transport", "websocket"), ("reason", "after_close")],
                       WebSocketMetrics.messagesDiscardedAfterClose)
        scrape.counter("wamp_messages_discarded_total", discardedHelp, [("transport", "rawsocket"), ("reason", "after_close")],
                       RawSocketMetrics.messagesDiscardedAfterClose)
        scrape.counter("wamp_messages_discarded_total", discardedHelp, [("transport", "rawsocket"), ("reason", "oversized")],
                       RawSocketMetrics.oversizedMessagesDropped)
        scrape.counter("wamp_transport_protocol_failures_total", "RawSocket connections failed for a bad frame (too long, reserved bits or type).",
                       rawsocket, RawSocketMetrics.protocolFailures)
    }
}
