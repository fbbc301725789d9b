import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

@testable import WebSocketIO

/// Keeps the server side of each connection once it is open (attached, so sends are not dropped).
private final class OpenedConnections: WebSocketMessageHandler, @unchecked Sendable {
    private let opened = NIOLockedValueBox<[WebSocketConnection]>([])
    var connections: [WebSocketConnection] { self.opened.withLockedValue { $0 } }

    func webSocketDidOpen(_ connection: WebSocketConnection) { self.opened.withLockedValue { $0.append(connection) } }
    func webSocket(_ connection: WebSocketConnection, didReceive message: ByteBuffer, kind: WebSocketMessageKind) {}
    func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason) {}
}

/// The shared compressed frame over real sockets: server connections on two event loops, sends
/// from a third thread (through the cross-thread queue), our own client inflating.
final class SharedDeflateLoopbackTests: XCTestCase {
    private var group: MultiThreadedEventLoopGroup!

    override func setUp() {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
    }

    override func tearDown() {
        try? self.group.syncShutdownGracefully()
    }

    func testSubscribersOnSeveralLoopsGetOneCompressionOfEachMessage() async throws {
        let group = self.group!
        var configuration = WebSocketServerConfiguration()
        configuration.port = 0
        configuration.deflateServerContextTakeover = false
        let opened = OpenedConnections()
        let server = try await WebSocketServer.start(configuration: configuration, group: group,
                                                     logger: Logger(label: "test.server")) { _ in opened }
        let messages = (0..<5).map { i in
            ByteBuffer(string: "[36,1,\(i),{},[\"" + String(repeating: "event \(i) ", count: 50) + "\"]]")
        }
        var clients: [(WebSocketConnection, CollectingHandler)] = []
        for _ in 0..<4 {
            let handler = CollectingHandler(expected: messages.count, eventLoop: group.next())
            let connection = try await WebSocketClient.connect(host: "127.0.0.1", port: server.port, subprotocols: [],
                                                               group: group, handler: handler)
            clients.append((connection, handler))
        }
        for _ in 0..<200 where opened.connections.count < clients.count { try await Task.sleep(for: .milliseconds(10)) }
        XCTAssertEqual(opened.connections.count, clients.count)
        XCTAssertEqual(Set(opened.connections.map { ObjectIdentifier($0.eventLoop) }).count, 2, "connections on both loops")

        var caches: [CountingFrameCache] = []
        for message in messages {
            let cache = CountingFrameCache()
            caches.append(cache)
            for connection in opened.connections { connection.send(message, kind: .text, frameCache: cache) }
        }
        for (_, handler) in clients { try await handler.allReceived.get() }
        for (_, handler) in clients {
            XCTAssertEqual(handler.messages.map { $0.0 }, messages, "inflated to the originals, in order")
        }
        for cache in caches {
            XCTAssertEqual(cache.made, [WebSocketFrameCacheKey.compressed(windowBits: 15): 1], "one compression per message")
        }
        for (connection, handler) in clients {
            connection.close(code: .normalClosure, reason: "")
            _ = try await handler.closed.get()
        }
        try await server.shutdown()
    }
}
