import Logging
import Synchronization
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

extension TransportLimitsTests {
    /// A callee that stops answering pings is dropped; its caller's pending CALL is canceled
    /// and its registration goes.
    func testCalleeThatStopsAnsweringPingsIsDroppedAndItsCallsCanceled() async throws {
        try await restartRouter {
            $0.autoPingInterval = .milliseconds(200)
            $0.autoPingTimeout = .milliseconds(200)
        }
        let callee = try await SilentPeer.connect(port: port)
        try await callee.sendText(#"[1,"realm1",{"roles":{"callee":{}}}]"#)
        try await callee.waitFor("[2,")
        try await callee.sendText(#"[64,1,{},"com.silent.proc"]"#)
        try await callee.waitFor("[65,1,")

        let caller = try await client()
        let outcome = Mutex<String?>(nil)
        Task {
            do {
                _ = try await caller.call("com.silent.proc")
                outcome.withLock { $0 = "RESULT" }
            } catch let error as WampClientError {
                outcome.withLock { $0 = error.uri ?? "\(error)" }
            }
        }
        try await callee.waitFor("[68,", within: 5)
        // interval + timeout is 0.4 s; the wait is bounded at 10 s for a loaded machine.
        var uri: String?
        for _ in 0..<1000 where uri == nil {
            try await Task.sleep(for: .milliseconds(10))
            uri = outcome.withLock { $0 }
        }
        XCTAssertEqual(uri, "wamp.error.canceled")
        XCTAssertTrue(callee.received.contains(0x89), "the router pinged the callee")
        await assertError("wamp.error.no_such_procedure") { _ = try await caller.call("com.silent.proc") }
        await callee.close()
    }
}

extension TransportLimitsTests {
    /// Over `--max-message-rate` a peer is slowed, not refused: every CALL is answered, in order.
    func testMessageRateSlowsAPeerDownAndLosesNothing() async throws {
        try await restartRouter { $0.maxMessageRate = 20 }
        let peer = try await RawPeer.connect(port: port)
        try await peer.join()
        let start = ContinuousClock.now
        for request in 1...60 {
            peer.send(#"[48,\#(request),{},"wamp.session.count"]"#)
        }
        var answered: [Int] = []
        for _ in 1...60 {
            guard case .text(let text) = try await peer.next(within: 10) else { return XCTFail("closed after \(answered.count)") }
            guard text.hasPrefix("[50,"), let id = Int(text.dropFirst(4).prefix { $0 != "," }) else { return XCTFail(text) }
            answered.append(id)
        }
        let elapsed = ContinuousClock.now - start
        XCTAssertEqual(answered, Array(1...60), "every CALL answered, in order")
        // HELLO took one token of the burst of 20; the other 41 messages come at 20 a second.
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(1800), "the peer was not slowed down")
    }
}
