import Dispatch
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOWebSocket
import XCTest

@testable import WebSocketIO

/// Client-side handler that hands received messages to the test through a lock.
final class CollectingHandler: WebSocketMessageHandler, @unchecked Sendable {
    private let state = NIOLockedValueBox<(messages: [(ByteBuffer, WebSocketMessageKind)], closed: [WebSocketCloseReason])>(([], []))
    private let expected: Int
    private let done: EventLoopPromise<Void>
    private let closedPromise: EventLoopPromise<WebSocketCloseReason>

    init(expected: Int, eventLoop: any EventLoop) {
        self.expected = expected
        self.done = eventLoop.makePromise()
        self.closedPromise = eventLoop.makePromise()
    }

    deinit {
        // Handlers of refused connections never complete their promises.
        self.done.fail(WebSocketClientError.connectionClosed)
        self.closedPromise.fail(WebSocketClientError.connectionClosed)
    }

    var messages: [(ByteBuffer, WebSocketMessageKind)] { self.state.withLockedValue { $0.messages } }
    var allReceived: EventLoopFuture<Void> { self.done.futureResult }
    var closed: EventLoopFuture<WebSocketCloseReason> { self.closedPromise.futureResult }

    func webSocketDidOpen(_ connection: WebSocketConnection) {}

    func webSocket(_ connection: WebSocketConnection, didReceive message: ByteBuffer, kind: WebSocketMessageKind) {
        let count = self.state.withLockedValue { state -> Int in
            state.messages.append((message, kind))
            return state.messages.count
        }
        if count == self.expected { self.done.succeed(()) }
    }

    func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason) {
        let first = self.state.withLockedValue { state -> Bool in
            state.closed.append(reason)
            return state.closed.count == 1
        }
        XCTAssertTrue(first, "didClose must be called once")
        self.closedPromise.succeed(reason)
        self.done.fail(WebSocketClientError.connectionClosed)
    }
}

final class WebSocketRoundTripTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!

    override func setUp() {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    }

    override func tearDown() {
        try? self.group.syncShutdownGracefully()
    }

    private func startEchoServer(_ configure: (inout WebSocketServerConfiguration) -> Void = { _ in }) async throws -> WebSocketServer {
        var configuration = WebSocketServerConfiguration()
        configuration.port = 0
        configure(&configuration)
        return try await WebSocketServer.start(
            configuration: configuration,
            group: self.group,
            logger: Logger(label: "test.server")
        ) { _ in WebSocketEchoHandler() }
    }

    func testEchoRoundTripTextBinaryAndOneMebibyte() async throws {
        let server = try await self.startEchoServer()
        XCTAssertGreaterThan(server.port, 0)
        let handler = CollectingHandler(expected: 4, eventLoop: self.group.next())
        let connection = try await WebSocketClient.connect(
            host: "127.0.0.1", port: server.port, subprotocols: [], group: self.group, handler: handler
        )
        var big = ByteBuffer()
        for i in 0..<(1 << 20) { big.writeInteger(UInt8(truncatingIfNeeded: i &* 31 &+ i >> 9)) }
        let bigText = ByteBuffer(string: String(repeating: "κόσμε-0123456789-", count: 1 << 16))

        // Sent from this (non event loop) thread: exercises the cross-thread queue.
        connection.send(ByteBuffer(string: "hello"), kind: .text)
        connection.send(ByteBuffer(bytes: [0, 1, 2, 255]), kind: .binary)
        connection.send(big, kind: .binary)
        connection.send(bigText, kind: .text)
        try await handler.allReceived.get()

        let messages = handler.messages
        XCTAssertEqual(messages.count, 4)
        XCTAssertEqual(String(buffer: messages[0].0), "hello")
        XCTAssertEqual(messages[0].1, .text)
        XCTAssertEqual(Array(messages[1].0.readableBytesView), [0, 1, 2, 255])
        XCTAssertEqual(messages[1].1, .binary)
        XCTAssertEqual(messages[2].0, big, "1 MiB binary message")
        XCTAssertEqual(messages[2].1, .binary)
        XCTAssertEqual(messages[3].0, bigText)
        XCTAssertEqual(messages[3].1, .text)

        connection.close(code: .normalClosure, reason: "done")
        let reason = try await handler.closed.get()
        XCTAssertEqual(reason.code, .normalClosure)
        try await server.shutdown()
    }

    func testManyMessagesFromAnotherThreadArriveInOrder() async throws {
        let server = try await self.startEchoServer()
        let count = 2000
        let handler = CollectingHandler(expected: count, eventLoop: self.group.next())
        let connection = try await WebSocketClient.connect(
            host: "127.0.0.1", port: server.port, subprotocols: [], group: self.group, handler: handler
        )
        for i in 0..<count {
            connection.send(ByteBuffer(string: "msg \(i)"), kind: .text)
        }
        try await handler.allReceived.get()
        XCTAssertEqual(handler.messages.map { String(buffer: $0.0) }, (0..<count).map { "msg \($0)" })
        connection.close(code: .normalClosure, reason: "")
        _ = try await handler.closed.get()
        try await server.shutdown()
    }

    /// A message queued from another thread, still waiting for its hop, goes out before a message
    /// sent later on the connection's own loop (the router relies on this for meta-event order).
    func testLaterSendOnTheLoopDoesNotOvertakeAQueuedCrossThreadSend() async throws {
        let server = try await self.startEchoServer()
        let handler = CollectingHandler(expected: 2, eventLoop: self.group.next())
        let connection = try await WebSocketClient.connect(
            host: "127.0.0.1", port: server.port, subprotocols: [], group: self.group, handler: handler
        )
        let loopIsBlocked = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        connection.eventLoop.execute {
            loopIsBlocked.signal()
            release.wait()
            connection.send(ByteBuffer(string: "second"), kind: .text)
        }
        loopIsBlocked.wait()
        connection.send(ByteBuffer(string: "first"), kind: .text)  // queued: its hop runs after the blocked task
        release.signal()
        try await handler.allReceived.get()
        XCTAssertEqual(handler.messages.map { String(buffer: $0.0) }, ["first", "second"])
        connection.close(code: .normalClosure, reason: "")
        _ = try await handler.closed.get()
        try await server.shutdown()
    }

    func testSubprotocolNegotiationAndRefusal() async throws {
        let server = try await self.startEchoServer {
            $0.subprotocols = ["wamp.2.json", "wamp.2.msgpack"]
            $0.requireSubprotocol = true
        }
        let handler = CollectingHandler(expected: 1, eventLoop: self.group.next())
        let connection = try await WebSocketClient.connect(
            host: "127.0.0.1", port: server.port, subprotocols: ["wamp.2.msgpack", "wamp.2.json"],
            group: self.group, handler: handler
        )
        XCTAssertEqual(connection.subprotocol, "wamp.2.msgpack", "the client's preference order wins")
        connection.close(code: .normalClosure, reason: "")
        _ = try await handler.closed.get()

        do {
            _ = try await WebSocketClient.connect(
                host: "127.0.0.1", port: server.port, subprotocols: ["mqtt"], group: self.group,
                handler: CollectingHandler(expected: 1, eventLoop: self.group.next())
            )
            XCTFail("upgrade must be refused")
        } catch let error as WebSocketClientError {
            guard case .upgradeRefused(let status, let body) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(status, 400)
            XCTAssertTrue(body.contains("wamp.2.json, wamp.2.msgpack"), body)
        }
        try await server.shutdown()
    }

    func testClientRequiresASubprotocolWhenItOffersOne() async throws {
        let server = try await self.startEchoServer()  // supports none
        do {
            _ = try await WebSocketClient.connect(
                host: "127.0.0.1", port: server.port, subprotocols: ["wamp.2.json"], group: self.group,
                handler: CollectingHandler(expected: 1, eventLoop: self.group.next())
            )
            XCTFail("must fail: no subprotocol selected")
        } catch let error as WebSocketClientError {
            XCTAssertEqual(error, .noSubprotocolSelected(offered: ["wamp.2.json"]))
        }
        try await server.shutdown()
    }

    /// A peer that completes the handshake but never reads: sends from another thread pile up
    /// until the backlog bound closes the connection with 1008, counted in WebSocketMetrics.
    func testBacklogOverflowAgainstAPeerThatDoesNotRead() async throws {
        final class ServerSide: WebSocketMessageHandler, @unchecked Sendable {
            let opened: EventLoopPromise<WebSocketConnection>
            let closed: EventLoopPromise<WebSocketCloseReason>
            init(eventLoop: any EventLoop) {
                self.opened = eventLoop.makePromise()
                self.closed = eventLoop.makePromise()
            }
            deinit {
                self.opened.fail(WebSocketClientError.connectionClosed)
                self.closed.fail(WebSocketClientError.connectionClosed)
            }
            func webSocketDidOpen(_ connection: WebSocketConnection) { self.opened.succeed(connection) }
            func webSocket(_ connection: WebSocketConnection, didReceive message: ByteBuffer, kind: WebSocketMessageKind) {}
            func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason) { self.closed.succeed(reason) }
        }
        let serverSide = ServerSide(eventLoop: self.group.next())
        var configuration = WebSocketServerConfiguration()
        configuration.port = 0
        configuration.maxBacklogBytes = 1 << 20
        let server = try await WebSocketServer.start(
            configuration: configuration, group: self.group, logger: Logger(label: "test.server")
        ) { _ in serverSide }

        let before = WebSocketMetrics.backlogOverflowClosures
        let client = try await ClientBootstrap(group: self.group)
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_rcvbuf), value: 16 << 10)
            .connect(host: "127.0.0.1", port: server.port).get()
        let request = EmbeddedServer.upgradeRequest()
        try await client.writeAndFlush(ByteBuffer(string: request)).get()

        let connection = try await serverSide.opened.futureResult.get()
        let chunk = ByteBuffer(repeating: 0x42, count: 64 << 10)
        var sent = 0
        while sent < 2000 {
            connection.send(chunk, kind: .binary)  // from this (non event loop) thread
            sent += 1
            if sent % 8 == 0 { try await Task.sleep(for: .milliseconds(5)) }  // let the loop drain: overflow must come from unsent bytes in NIO
        }
        let reason = try await serverSide.closed.futureResult.get()
        XCTAssertEqual(reason.code, .policyViolation)
        XCTAssertTrue(reason.reason.contains("backlog"), reason.reason)
        XCTAssertGreaterThan(WebSocketMetrics.backlogOverflowClosures, before)
        try? await client.close()  // the server already closed it
        try await server.shutdown()
    }
}
