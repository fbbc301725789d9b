import NIOCore
import NIOPosix
import NIOWebSocket
import Synchronization
import WebSocketIO
import XCTest

/// A WebSocket peer that sends exact text and records exactly what comes back, for testing how
/// the router answers bad input.
final class RawPeer: WebSocketMessageHandler, @unchecked Sendable {
    enum Received: Equatable {
        case text(String)
        case binary
        case closed(code: UInt16?)
    }

    private let received = Mutex<[Received]>([])
    private(set) var connection: WebSocketConnection!

    static func connect(port: Int, subprotocols: [String] = ["wamp.2.json"]) async throws -> RawPeer {
        let peer = RawPeer()
        peer.connection = try await WebSocketClient.connect(
            host: "127.0.0.1", port: port, path: "/", subprotocols: subprotocols,
            group: MultiThreadedEventLoopGroup.singleton, handler: peer)
        return peer
    }

    func webSocketDidOpen(_ connection: WebSocketConnection) {}

    func webSocket(_ connection: WebSocketConnection, didReceive message: ByteBuffer, kind: WebSocketMessageKind) {
        received.withLock { $0.append(kind == .text ? .text(String(buffer: message)) : .binary) }
    }

    func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason) {
        let code: UInt16? = reason.code.map { UInt16(webSocketErrorCode: $0) }
        received.withLock { $0.append(.closed(code: code)) }
    }

    func send(_ text: String) {
        connection.send(ByteBuffer(string: text), kind: .text)
    }

    func sendBinary(_ bytes: [UInt8]) {
        connection.send(ByteBuffer(bytes: bytes), kind: .binary)
    }

    /// Waits for the next received item, up to `seconds`.
    func next(within seconds: Double = 5, file: StaticString = #filePath, line: UInt = #line) async throws -> Received {
        let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
        while ContinuousClock.now < deadline {
            let item = received.withLock { $0.isEmpty ? nil : $0.removeFirst() }
            if let item { return item }
            try await Task.sleep(for: .milliseconds(5))
        }
        XCTFail("nothing received within \(seconds) s", file: file, line: line)
        throw CancellationError()
    }

    /// Says HELLO for `realm` and returns the WELCOME text.
    @discardableResult
    func join(realm: String = "realm1") async throws -> String {
        send(#"[1,"\#(realm)",{"roles":{"caller":{},"callee":{},"publisher":{},"subscriber":{}}}]"#)
        guard case .text(let welcome) = try await next() else { throw CancellationError() }
        return welcome
    }
}
