import Foundation
import Logging
import WampClient
import WampMessages
import WampRouter
import XCTest

/// The Swift client over RawSocket (TCP and Unix socket), against a router with both listeners:
/// RPC and pub/sub across the two transports (CBOR and MessagePack) and a JSON WebSocket peer, progressive results, and
/// reconnect after the transport drops.
final class ClientRawSocketTests: XCTestCase {
    private var router: WampRouter!
    private var socketPath = ""

    override func setUp() async throws {
        socketPath = NSTemporaryDirectory() + "wamp-client-rs-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        var configuration = RouterConfiguration()
        configuration.port = 0
        configuration.rawSocketPort = 0
        configuration.rawSocketUnixPath = socketPath
        configuration.realms = ["realm1"]
        configuration.eventLoopThreads = 2
        configuration.shutdownGracePeriod = .milliseconds(500)
        var logger = Logger(label: "test-router")
        logger.logLevel = .warning
        router = try await WampRouter.start(configuration: configuration, logger: logger)
    }

    override func tearDown() async throws {
        await router?.shutdown()
        router = nil
    }

    private var tcp: WampClient.RawSocketEndpoint { .tcp(port: router.rawSocketPorts[0]) }

    func testRPCAndEventsAcrossTCPUnixAndWebSocket() async throws {
        let callee = try await WampClient.connect(rawSocket: .unix(path: socketPath), realm: "realm1", serialization: .cbor)
        let caller = try await WampClient.connect(rawSocket: tcp, realm: "realm1", serialization: .msgpack)
        let subscriber = try await WampClient.connect(port: router.port, realm: "realm1")
        let received = Recorder<String>()
        _ = try await subscriber.subscribe("com.example.rs.news") { event in
            received.append(event.payload.arguments?.description ?? "-")
        }
        _ = try await callee.register("com.example.rs.add") { invocation in
            let numbers = try invocation.payload.argumentValues().compactMap(\.integerValue)
            return try Payload(values: [.integer(numbers.reduce(0, +))])
        }
        let sum = try await caller.call("com.example.rs.add", values: [2, 3])
        XCTAssertEqual(try sum.payload.argumentValues(), [5])
        try await caller.publish("com.example.rs.news", arguments: raw("[\"over rawsocket\"]"), acknowledge: true)
        let news = try await received.wait(for: 1)
        XCTAssertEqual(news, [#"["over rawsocket"]"#])
        for client in [callee, caller, subscriber] { try await client.leave() }
    }

    func testProgressiveResultsOverRawSocket() async throws {
        let callee = try await WampClient.connect(rawSocket: tcp, realm: "realm1")
        let caller = try await WampClient.connect(rawSocket: .unix(path: socketPath), realm: "realm1")
        _ = try await callee.register("com.example.rs.count") { _, context in
            for i in 1...3 { try context.sendProgress(values: [.integer(Int64(i))]) }
            return try Payload(values: ["end"])
        }
        var seen: [WampValue] = []
        for try await result in caller.callProgressive("com.example.rs.count", values: []) {
            seen += try result.payload.argumentValues()
        }
        XCTAssertEqual(seen, [1, 2, 3, "end"])
    }

    func testReconnectOverRawSocketRestoresTheRegistration() async throws {
        let policy = WampClient.ReconnectPolicy(maxAttempts: 20, initialDelay: .milliseconds(20), maxDelay: .milliseconds(200))
        let service = try await WampClient.connect(rawSocket: tcp, realm: "realm1", reconnect: policy)
        let events = service.connectionEvents()
        _ = try await service.register("com.example.rs.ping") { _ in Payload(arguments: raw("[\"pong\"]")) }
        let oldSession = service.sessionID
        service.dropTransport()
        let newSession = try await withTimeout(10, "a rejoin") {
            for await event in events { if case .rejoined(let session) = event { return session } }
            throw TimedOut(what: "a rejoin (the events ended)")
        }
        XCTAssertNotEqual(newSession, oldSession)
        let caller = try await WampClient.connect(port: router.port, realm: "realm1")
        let pong = try await withTimeout { try await caller.call("com.example.rs.ping") }
        XCTAssertEqual(pong.payload.arguments?.description, #"["pong"]"#)
    }

    func testNothingListeningFailsTheConnect() async throws {
        let missing = socketPath + ".missing"
        do {
            _ = try await WampClient.connect(rawSocket: .unix(path: missing), realm: "realm1")
            XCTFail("connected to a socket that does not exist")
        } catch {
        }
    }
}
