import Logging
import Synchronization
import WampClient
import WampMessages
import WampRouter
import XCTest

/// `WampRouter.metricsText()` with real traffic: a router on loopback, Swift clients calling,
/// publishing and failing through it, and the scrape before and after. The per-message counters
/// are process-wide (other routers in this process add to them), so those are checked as moving
/// by at least what this test did; what is per router (sessions, registrations) is exact.
final class RouterMetricsTextTests: XCTestCase {
    private var router: WampRouter!

    override func setUp() async throws {
        var configuration = RouterConfiguration()
        configuration.port = 0
        configuration.realms = ["realm1", "realm2"]
        configuration.eventLoopThreads = 2
        configuration.shutdownGracePeriod = .milliseconds(500)
        var logger = Logger(label: "metrics-test-router")
        logger.logLevel = .warning
        router = try await WampRouter.start(configuration: configuration, logger: logger)
    }

    override func tearDown() async throws {
        await router?.shutdown()
        router = nil
    }

    func testFiguresMoveWithTrafficAndTheTextParses() async throws {
        let before = try PrometheusText(router.metricsText())
        XCTAssertEqual(before.value("wamp_registrations", ["realm": "realm1"]), 0)

        let callee = try await WampClient.connect(port: router.port, realm: "realm1")
        let caller = try await WampClient.connect(port: router.port, realm: "realm1")
        let subscriber = try await WampClient.connect(port: router.port, realm: "realm1", serialization: .msgpack)
        _ = try await callee.register("com.example.metrics.add") { invocation in invocation.payload }
        let received = Mutex(0)
        _ = try await subscriber.subscribe("com.example.metrics.topic") { _ in received.withLock { $0 += 1 } }
        _ = try await callee.subscribe("com.example.metrics.topic") { _ in received.withLock { $0 += 1 } }
        let calls = 5
        for _ in 0..<calls { _ = try await caller.call("com.example.metrics.add", arguments: RawJSON("[1]")!) }
        let publications = 3
        for _ in 0..<publications { _ = try await caller.publish("com.example.metrics.topic", arguments: RawJSON("[2]")!, acknowledge: true) }
        do {
            _ = try await caller.call("com.example.metrics.nobody")
            XCTFail("a call to no procedure succeeded")
        } catch WampClientError.error(let uri, _, _) {
            XCTAssertEqual(uri, "wamp.error.no_such_procedure")
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while received.withLock({ $0 }) < 2 * publications, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }

        let after = try PrometheusText(router.metricsText())
        func moved(_ name: String, _ labels: [String: String] = [:]) -> Double {
            (after.value(name, labels) ?? -1) - (before.value(name, labels) ?? 0)
        }
        let realm1 = ["realm": "realm1"]
        XCTAssertEqual(after.value("wamp_sessions", ["realm": "realm1", "transport": "websocket", "serializer": "json"]), 2)
        XCTAssertEqual(after.value("wamp_sessions", ["realm": "realm1", "transport": "websocket", "serializer": "msgpack"]), 1)
        XCTAssertEqual(after.value("wamp_session_joins_total", ["realm": "realm1", "transport": "websocket", "serializer": "json"]), 2)
        XCTAssertEqual(after.value("wamp_authentications_total", ["method": "anonymous", "outcome": "success"]), 3)
        XCTAssertEqual(after.value("wamp_connections"), 3)
        XCTAssertEqual(after.value("wamp_registrations", realm1), 1)
        XCTAssertEqual(after.value("wamp_subscriptions", realm1), 1)
        XCTAssertEqual(after.value("wamp_pending_calls", realm1), 0)
        XCTAssertEqual(after.value("wamp_registrations", ["realm": "realm2"]), 0)

        XCTAssertGreaterThanOrEqual(moved("wamp_messages_received_total", ["type": "CALL"]), Double(calls + 1))
        XCTAssertGreaterThanOrEqual(moved("wamp_messages_received_total", ["type": "YIELD"]), Double(calls))
        XCTAssertGreaterThanOrEqual(moved("wamp_messages_received_total", ["type": "PUBLISH"]), Double(publications))
        XCTAssertGreaterThanOrEqual(moved("wamp_messages_sent_total", ["type": "RESULT"]), Double(calls))
        XCTAssertGreaterThanOrEqual(moved("wamp_messages_sent_total", ["type": "WELCOME"]), 3)
        XCTAssertGreaterThanOrEqual(moved("wamp_messages_sent_total", ["type": "PUBLISHED"]), Double(publications))
        XCTAssertGreaterThanOrEqual(moved("wamp_routed_calls_total"), Double(calls))
        XCTAssertGreaterThanOrEqual(moved("wamp_routed_events_total"), Double(2 * publications))
        XCTAssertGreaterThanOrEqual(moved("wamp_errors_sent_total", ["uri": "wamp.error.no_such_procedure"]), 1)
        XCTAssertGreaterThan(moved("wamp_received_bytes_total"), 0)
        XCTAssertGreaterThan(moved("wamp_sent_bytes_total"), 0)
        XCTAssertGreaterThanOrEqual(moved("wamp_call_duration_seconds_count"), Double(calls))
        XCTAssertGreaterThan(moved("wamp_call_duration_seconds_sum"), 0)
        XCTAssertGreaterThanOrEqual(moved("wamp_publication_receivers_count"), Double(publications))
        XCTAssertGreaterThanOrEqual(moved("wamp_publication_receivers_sum"), Double(2 * publications))
        XCTAssertGreaterThanOrEqual(moved("wamp_publication_receivers_bucket", ["le": "2.0"]), Double(publications))

        // Every limit family is there, by name, even at zero.
        XCTAssertNotNil(after.value("wamp_realm_limit_hits_total", ["realm": "realm1", "limit": "limit_exceeded"]))
        XCTAssertNotNil(after.value("wamp_outbound_backlog_closes_total", ["transport": "websocket"]))
        XCTAssertNotNil(after.value("wamp_timeouts_total", ["timeout": "websocket_ping"]))
        XCTAssertNotNil(after.value("wamp_timeouts_total", ["timeout": "call"]))
        // No peer-chosen string became a label value.
        XCTAssertFalse(router.metricsText().contains("com.example"))
        for (name, family) in after.families {
            XCTAssertNotNil(family.help, name)
        }

        try await subscriber.leave()
        try await caller.leave()
        let leaveDeadline = ContinuousClock.now + .seconds(10)
        var sessions = try PrometheusText(router.metricsText())
        while sessions.value("wamp_session_leaves_total", ["realm": "realm1", "transport": "websocket", "serializer": "json"]) != 1,
              ContinuousClock.now < leaveDeadline {
            try await Task.sleep(for: .milliseconds(10))
            sessions = try PrometheusText(router.metricsText())
        }
        XCTAssertEqual(sessions.value("wamp_sessions", ["realm": "realm1", "transport": "websocket", "serializer": "json"]), 1)
        XCTAssertEqual(sessions.value("wamp_sessions", ["realm": "realm1", "transport": "websocket", "serializer": "msgpack"]), 0)
        XCTAssertEqual(sessions.value("wamp_subscriptions", realm1), 1, "the callee's subscription stays")
        try await callee.leave()
    }
}
