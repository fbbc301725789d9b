import HTTPTestSupport
import Logging
import RouterConfig
import Synchronization
import WampClient
import WampMessages
@testable import WampRouter
import XCTest

/// The HTTP bridge through the router's shutdown: a call waiting at a callee that the shutdown
/// sends away is answered 503, new requests are refused 503, and no bridge session is left in
/// its realm afterwards.
final class BridgeShutdownTests: XCTestCase {
    func testShutdownAnswersWaitingBridgeCalls503AndLeavesNoBridgeSession() async throws {
        var configuration = RouterConfiguration()
        configuration.realms = ["realm1"]
        configuration.eventLoopThreads = 2
        configuration.shutdownGracePeriod = .seconds(2)
        var web = ListenerConfiguration(name: "web", host: "127.0.0.1", port: 0)
        web.webSocketPath = "/ws"
        web.webServices = [WebServiceSpec(path: "/call", kind: .caller(HTTPBridgeOptions(realm: "realm1", role: "anonymous")))]
        configuration.listeners = [web]
        var logger = Logger(label: "bridge-shutdown-test")
        logger.logLevel = .warning
        let router = try await WampRouter.start(configuration: configuration, logger: logger)
        let realm = try XCTUnwrap(router.realms.realm(named: "realm1"))
        let bridge = try XCTUnwrap(router.bridges.first)
        XCTAssertNotNil(realm.session(bridge.sessionID), "the bridge session is joined while the router serves")

        // A callee that never answers on its own: the shutdown's GOODBYE makes it leave.
        let callee = try await WampClient.connect(port: router.port, path: "/ws", realm: "realm1")
        _ = try await callee.register("com.example.slow") { _ in
            try await Task.sleep(for: .seconds(60))
            return Payload()
        }
        let port = router.port
        let body = #"{"procedure": "com.example.slow"}"#
        let answer = Task {
            try await HTTPExchange.send("POST /call HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)",
                                        port: port)
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while bridge.pendingCount == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        XCTAssertEqual(bridge.pendingCount, 1, "the call waits at the callee")

        await router.shutdown()
        let text = try await answer.value
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"), text)
        let json = try XCTUnwrap(JSONValue.parse(HTTPExchange.body(of: text)))
        XCTAssertEqual(json.string("error"), "wamp.close.system_shutdown")
        XCTAssertEqual(bridge.pendingCount, 0)
        XCTAssertNil(realm.session(bridge.sessionID), "the bridge session left its realm")
        XCTAssertEqual(realm.sessionCount, 0)
        XCTAssertEqual(realm.dealer.pendingCallCount, 0)
    }
}
