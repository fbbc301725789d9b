import NIOCore
import NIOPosix
import RawSocketIO
import Synchronization
import XCTest

/// A RawSocket peer that sends exact bytes and records what comes back.
final class RawSocketPeer: RawSocketMessageHandler, @unchecked Sendable {
    enum Received: Equatable {
        case message([UInt8])
        case pong([UInt8])
        case closed
    }

    private let received = Mutex<[Received]>([])
    private(set) var connection: RawSocketConnection!

    static func connect(_ endpoint: RawSocketClient.Endpoint, serializer: UInt8 = 1,
                        lengthExponent: UInt8 = 15) async throws -> RawSocketPeer {
        let peer = RawSocketPeer()
        peer.connection = try await RawSocketClient.connect(
            to: endpoint, serializer: serializer, lengthExponent: lengthExponent,
            group: MultiThreadedEventLoopGroup.singleton, handler: peer)
        return peer
    }

    func rawSocketDidOpen(_ connection: RawSocketConnection) {}

    func rawSocket(_ connection: RawSocketConnection, didReceive message: ByteBuffer) {
        received.withLock { $0.append(.message(Array(message.readableBytesView))) }
    }

    func rawSocket(_ connection: RawSocketConnection, didReceivePong payload: ByteBuffer) {
        received.withLock { $0.append(.pong(Array(payload.readableBytesView))) }
    }

    func rawSocketDidClose(_ connection: RawSocketConnection, reason: String) {
        received.withLock { $0.append(.closed) }
    }

    func send(_ text: String) {
        connection.send(ByteBuffer(string: text))
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

    /// The next message as text (JSON).
    func nextText(file: StaticString = #filePath, line: UInt = #line) async throws -> String {
        let item = try await next(file: file, line: line)
        guard case .message(let bytes) = item else {
            XCTFail("expected a message, got \(item)", file: file, line: line)
            throw CancellationError()
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
