import HTTPTestSupport
import Logging
@testable import RouterMetrics
import WampClient
import WampMessages
import WampRouter
import XCTest

/// `--no-metrics`: the hot path records nothing, and `/metrics` says it is off. The switch is
/// process-wide, so each test sets it before its router starts and puts it back after the
/// router stopped (XCTest runs these one at a time; no other router runs meanwhile).
final class MetricsSwitchTests: XCTestCase {
    override func tearDown() {
        WampRouter.recordMetrics(true)
    }

    private func startRouter(metrics: Bool) async throws -> WampRouter {
        var configuration = RouterConfiguration()
        configuration.port = 0
        configuration.eventLoopThreads = 2
        configuration.shutdownGracePeriod = .milliseconds(500)
        configuration.admin = AdminListenerConfiguration(port: 0)
        configuration.metrics = metrics
        var logger = Logger(label: "metrics-switch-test")
        logger.logLevel = .warning
        return try await WampRouter.start(configuration: configuration, logger: logger)
    }

    /// Calls (answered and failed) and acknowledged publications to a subscriber: every kind
    /// of hot-path recording (received, sent, errors, call durations, fan-out).
    private func traffic(port: Int) async throws {
        let callee = try await WampClient.connect(port: port, realm: "realm1")
        let caller = try await WampClient.connect(port: port, realm: "realm1")
        _ = try await callee.register("com.example.switch.echo") { invocation in invocation.payload }
        _ = try await callee.subscribe("com.example.switch.topic") { _ in }
        for _ in 0..<3 { _ = try await caller.call("com.example.switch.echo", arguments: RawJSON("[1]")!) }
        for _ in 0..<3 { _ = try await caller.publish("com.example.switch.topic", arguments: RawJSON("[1]")!, acknowledge: true) }
        _ = try? await caller.call("com.example.switch.nobody")
        try await caller.leave()
        try await callee.leave()
    }

    func testWithRecordingOffTrafficLeavesTheCountersUnchanged() async throws {
        WampRouter.recordMetrics(false)
        XCTAssertFalse(WampRouter.recordsMetrics)
        let router = try await startRouter(metrics: false)
        let before = TrafficTotals.now()
        try await traffic(port: router.port)
        await router.shutdown()
        let after = TrafficTotals.now()
        XCTAssertEqual(after.raw, before.raw, "no hot-path counter moved")
    }

    func testWithRecordingOnTheCountersMove() async throws {
        WampRouter.recordMetrics(true)
        let router = try await startRouter(metrics: true)
        let before = TrafficTotals.now()
        try await traffic(port: router.port)
        await router.shutdown()
        let after = TrafficTotals.now()
        XCTAssertGreaterThanOrEqual(after.received(.call) - before.received(.call), 4)
        XCTAssertGreaterThanOrEqual(after.sent(.result) - before.sent(.result), 3)
        XCTAssertGreaterThanOrEqual(after.callDuration.count - before.callDuration.count, 3)
        XCTAssertGreaterThanOrEqual(after.fanOut.count - before.fanOut.count, 3)
        XCTAssertGreaterThan(after.bytesSent, before.bytesSent)
    }

    func testMetricsOffAnswers404SayingSoAndTheRestStillServes() async throws {
        WampRouter.recordMetrics(false)
        let router = try await startRouter(metrics: false)
        let port = try XCTUnwrap(router.adminPort)
        let metrics = try await HTTPExchange.get("/metrics", port: port)
        XCTAssertTrue(metrics.hasPrefix("HTTP/1.1 404 Not Found\r\n"), metrics)
        XCTAssertEqual(HTTPExchange.body(of: metrics), "not found: metrics are off (the router runs with --no-metrics)\n")
        let health = try await HTTPExchange.get("/health", port: port)
        XCTAssertTrue(health.hasPrefix("HTTP/1.1 200 OK\r\n"), health)
        await router.shutdown()

        WampRouter.recordMetrics(true)
        let on = try await startRouter(metrics: true)
        let served = try await HTTPExchange.get("/metrics", port: try XCTUnwrap(on.adminPort))
        XCTAssertTrue(served.hasPrefix("HTTP/1.1 200 OK\r\n"), served)
        XCTAssertTrue(served.contains("wamp_messages_sent_total"), served)
        await on.shutdown()
    }
}
