import Logging
import NIOCore
import WampClient
import WampMessages
import WampRouter
import XCTest

/// The router's connection-level timers and limits, against a router started with small values.
final class TransportLimitsTests: RouterTestCase {
    /// Replaces the default router with one configured by `configure`.
    func restartRouter(_ configure: (inout RouterConfiguration) -> Void) async throws {
        await router.shutdown()
        var configuration = RouterConfiguration()
        configuration.port = 0
        configuration.realms = ["realm1"]
        configuration.eventLoopThreads = 2
        configuration.shutdownGracePeriod = .milliseconds(500)
        configure(&configuration)
        var logger = Logger(label: "test-router")
        logger.logLevel = .warning
        router = try await WampRouter.start(configuration: configuration, logger: logger)
    }

    func testNoHelloWithinTheHandshakeTimeoutIsAbortedThenClosed1008() async throws {
        try await restartRouter { $0.handshakeTimeout = .milliseconds(300) }
        let peer = try await RawPeer.connect(port: port)
        guard case .text(let abort) = try await peer.next(within: 5) else { return XCTFail("no ABORT") }
        XCTAssertEqual(abort, #"[3,{"message":"no HELLO within 0.3 s"},"wamp.error.timeout"]"#)
        let closed = try await peer.next(within: 5)
        XCTAssertEqual(closed, .closed(code: 1008))
    }

    func testAWelcomedSessionOutlivesTheHandshakeTimeout() async throws {
        try await restartRouter { $0.handshakeTimeout = .milliseconds(200) }
        let peer = try await RawPeer.connect(port: port)
        let welcome = try await peer.join()
        XCTAssertTrue(welcome.hasPrefix("[2,"), welcome)
        try await Task.sleep(for: .milliseconds(500))
        peer.send(#"[48,1,{},"wamp.session.count"]"#)
        guard case .text(let result) = try await peer.next(within: 5) else { return XCTFail("no RESULT") }
        XCTAssertTrue(result.hasPrefix("[50,1,"), result)
    }
}
