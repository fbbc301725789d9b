import Foundation
import HTTPTestSupport
import Logging
import NIOCore
import NIOPosix
import WampClient
import WampMessages
@testable import WampRouter
import XCTest

/// The admin listener and the status snapshot of an in-process router, with Swift client sessions.
final class StatusSnapshotTests: XCTestCase {
    var router: WampRouter!

    override func setUp() async throws {
        var configuration = RouterConfiguration()
        configuration.port = 0
        configuration.realms = ["realm1", "realm2"]
        configuration.eventLoopThreads = 2
        configuration.shutdownGracePeriod = .milliseconds(500)
        configuration.admin = AdminListenerConfiguration(port: 0)
        var logger = Logger(label: "test-router")
        logger.logLevel = .warning
        router = try await WampRouter.start(configuration: configuration, logger: logger)
    }

    override func tearDown() async throws {
        await router?.shutdown()
        router = nil
    }

    func snapshot() async throws -> RouterStatus {
        try await router.statusCollector.snapshot(on: MultiThreadedEventLoopGroup.singleton.next()).get()
    }

    func testSnapshotShowsSessionsRegistrationsSubscriptionsAndErrors() async throws {
        let callee = try await WampClient.connect(port: router.port, realm: "realm1")
        let other = try await WampClient.connect(port: router.port, realm: "realm2")
        _ = try await callee.register("com.example.<b>bold</b>") { _ in Payload() }
        _ = try await other.subscribe("com.example.topic") { _ in }
        _ = try await other.subscribe("com.example", options: JSONValue.parse(#"{"match":"prefix"}"#)!) { _ in }
        do {
            _ = try await callee.call("com.example.nobody")
            XCTFail("the call should fail")
        } catch WampClientError.error(let uri, _, _) {
            XCTAssertEqual(uri, "wamp.error.no_such_procedure")
        }

        let status = try await snapshot()
        XCTAssertEqual(status.phase, "serving")
        XCTAssertEqual(status.totals.sessions, 2)
        XCTAssertEqual(status.realms.map(\.name), ["realm1", "realm2"])
        XCTAssertEqual(status.realms.map(\.sessions), [1, 1])
        let ids = Set(status.sessions.map(\.id))
        XCTAssertEqual(ids, [callee.sessionID, other.sessionID])
        let calleeRow = try XCTUnwrap(status.sessions.first { $0.id == callee.sessionID })
        XCTAssertEqual(calleeRow.realm, "realm1")
        XCTAssertEqual(calleeRow.transport, "websocket")
        XCTAssertFalse(calleeRow.secure)
        XCTAssertEqual(calleeRow.serializer, "json")
        XCTAssertGreaterThanOrEqual(calleeRow.messages_in, 3)  // HELLO, REGISTER, CALL
        XCTAssertGreaterThanOrEqual(calleeRow.backlog_bytes, 0)
        XCTAssertEqual(status.registrations.map(\.uri), ["com.example.<b>bold</b>"])
        XCTAssertEqual(status.registrations.first?.callees, 1)
        XCTAssertEqual(Set(status.subscriptions.map(\.uri)), ["com.example.topic", "com.example"])
        XCTAssertEqual(status.subscriptions.first { $0.uri == "com.example" }?.match, "prefix")
        XCTAssertEqual(status.totals.subscriptions, 2)
        let error = try XCTUnwrap(status.errors.last)
        XCTAssertEqual(error.uri, "wamp.error.no_such_procedure")
        XCTAssertEqual(error.kind, "ERROR CALL")
        XCTAssertEqual(error.realm, "realm1")
        XCTAssertEqual(error.session, callee.sessionID)
        XCTAssertGreaterThanOrEqual(status.errors_total, 1)

        try await other.leave()
        let after = try await snapshot()
        XCTAssertEqual(after.sessions.map(\.id), [callee.sessionID])
        XCTAssertEqual(after.totals.subscriptions, 0)
        try await callee.leave()
    }

    func testTheRatesRingFillsOncePerSample() async throws {
        let session = try await WampClient.connect(port: router.port, realm: "realm1")
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let collector = router.statusCollector
        try await collector.sample(on: loop).get()
        for _ in 0..<5 { _ = try? await session.call("com.example.nobody") }
        try await collector.sample(on: loop).get()
        let status = try await snapshot()
        // The sampler of the listener runs too; the last increase we caused is in the ring.
        XCTAssertGreaterThanOrEqual(status.rates.messages_in.reduce(0, +), 5)
        XCTAssertGreaterThanOrEqual(status.rates.errors.reduce(0, +), 5)
        XCTAssertEqual(status.rates.sessions.last, 1)
        XCTAssertGreaterThanOrEqual(status.rates.messages_out?.reduce(0, +) ?? 0, 5,
                                    "the metrics' sent totals feed the messages-out chart (5 ERRORs at least)")
        XCTAssertLessThanOrEqual(status.rates.messages_in.count, 60)
        try await session.leave()
    }

    func testAdminListenerServesHealthFeedAndMetricsOverHTTP() async throws {
        let port = try XCTUnwrap(router.adminPort)
        let health = try await httpGet(port: port, "/health")
        XCTAssertTrue(health.hasPrefix("HTTP/1.1 200 OK"), health)
        XCTAssertTrue(health.contains("\"status\":\"serving\""), health)
        XCTAssertTrue(health.contains("\"listeners\":1"), health)
        XCTAssertTrue(health.contains("\"loops\":2"), health)

        let session = try await WampClient.connect(port: router.port, realm: "realm2")
        let feed = try await httpGet(port: port, "/status.json")
        XCTAssertTrue(feed.hasPrefix("HTTP/1.1 200 OK"), feed)
        let body = try XCTUnwrap(feed.range(of: "\r\n\r\n")).upperBound
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(feed[body...].utf8)) as? [String: Any])
        let sessions = try XCTUnwrap(json["sessions"] as? [[String: Any]])
        XCTAssertEqual(sessions.compactMap { ($0["id"] as? NSNumber)?.uint64Value }, [session.sessionID])

        let metrics = try await httpGet(port: port, "/metrics")
        XCTAssertTrue(metrics.contains("wamp_sessions{realm=\"realm2\",transport=\"websocket\",serializer=\"json\"} 1"), metrics)
        XCTAssertTrue(metrics.lowercased().contains("content-type: text/plain; version=0.0.4"), metrics)
        let page = try await httpGet(port: port, "/")
        XCTAssertTrue(page.contains("<!doctype html>"))
        try await session.leave()
    }

    /// One HTTP/1.1 GET over loopback; the whole answer (the listener closes after it).
    func httpGet(port: Int, _ path: String) async throws -> String {
        try await HTTPExchange.get(path, port: port)
    }
}
