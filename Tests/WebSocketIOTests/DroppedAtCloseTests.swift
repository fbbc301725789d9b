import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import XCTest

@testable import WebSocketIO

/// Keeps every log record, for asserting on levels.
struct CapturingLogHandler: LogHandler {
    let records: NIOLockedValueBox<[(Logger.Level, String, Logger.Metadata)]>
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String,
             file: String, function: String, line: UInt) {
        self.records.withLockedValue { $0.append((level, "\(message)", self.metadata.merging(metadata ?? [:]) { $1 })) }
    }
}

final class DroppedAtCloseTests: XCTestCase {
    func testMessagesDroppedByAClosingConnectionAreLoggedAtTheCloseLevel() throws {
        let records = NIOLockedValueBox<[(Logger.Level, String, Logger.Metadata)]>([])
        let logger = Logger(label: "test") { _ in CapturingLogHandler(records: records) }
        let channel = EmbeddedChannel()
        let recorder = RecordingHandler()
        try WebSocketServer.configurePipeline(
            channel: channel, configuration: WebSocketServerConfiguration(), logger: logger, makeHandler: { _ in recorder })
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4000)).wait()
        try channel.writeInbound(ByteBuffer(string: EmbeddedServer.upgradeRequest()))
        channel.embeddedEventLoop.run()
        let connection = try XCTUnwrap(recorder.connection)
        let discardedBefore = WebSocketMetrics.messagesDiscardedAfterClose

        connection.close(code: .normalClosure, reason: "bye")
        for _ in 0..<3 { connection.send(ByteBuffer(string: "late")) }
        XCTAssertEqual(WebSocketMetrics.messagesDiscardedAfterClose, discardedBefore + 3)
        try channel.writeInbound(TestBytes.clientFrame(opcode: 0x8, payload: TestBytes.closePayload(1000)))
        channel.embeddedEventLoop.run()
        XCTAssertFalse(channel.isActive)

        let dropped = records.withLockedValue { $0 }.filter { $0.2["dropped"] != nil }
        XCTAssertEqual(dropped.count, 1, "one line for the close")
        XCTAssertEqual(dropped.first?.0, .info)
        XCTAssertEqual(dropped.first?.2["dropped"], "3")
    }
}
