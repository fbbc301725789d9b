import Logging
import NIOCore
import NIOEmbedded
import NIOPosix
import XCTest

@testable import WebSocketIO

/// Counts `read` requests that get past the WebSocket handler to the socket end.
final class ReadCounter: ChannelOutboundHandler, @unchecked Sendable {
    typealias OutboundIn = Any
    var reads = 0
    func read(context: ChannelHandlerContext) {
        self.reads += 1
        context.read()
    }
}

final class BackpressureTests: XCTestCase {
    private func upgraded(maxBacklogBytes: Int = 16 << 20) throws -> (EmbeddedServer, ReadCounter) {
        var configuration = WebSocketServerConfiguration()
        configuration.maxBacklogBytes = maxBacklogBytes
        let server = try EmbeddedServer(configuration: configuration)
        let counter = ReadCounter()
        try server.channel.pipeline.syncOperations.addHandler(counter, position: .first)
        try server.upgrade()
        return (server, counter)
    }

    func testWaterMarksAreHalfAndQuarterOfTheBacklogBound() throws {
        let (server, _) = try self.upgraded(maxBacklogBytes: 1 << 20)
        let marks = try server.channel.getOption(.writeBufferWaterMark).wait()
        XCTAssertEqual(marks.high, 1 << 19)
        XCTAssertEqual(marks.low, 1 << 18)
    }

    func testReadsStopWhileUnwritableAndResumeWhenWritable() throws {
        let (server, counter) = try self.upgraded()
        let pausesBefore = WebSocketMetrics.backpressurePauses
        server.channel.read()
        XCTAssertEqual(counter.reads, 1, "reads pass while writable")

        server.channel.isWritable = false
        server.channel.pipeline.fireChannelWritabilityChanged()
        XCTAssertEqual(WebSocketMetrics.backpressurePauses, pausesBefore + 1)
        server.channel.read()
        XCTAssertEqual(counter.reads, 1, "no read reaches the socket above the high-water mark")
        // Bytes of a read cycle already under way are kept, not parsed, not lost.
        try server.write(TestBytes.clientFrame(opcode: 0x1, text: "one"))
        try server.write(TestBytes.clientFrame(opcode: 0x9, text: "ping"))
        try server.write(TestBytes.clientFrame(opcode: 0x1, text: "two"))
        XCTAssertEqual(server.recorder.texts, [])
        XCTAssertEqual(try server.readFrames().count, 0, "no pong while paused")

        server.channel.isWritable = true
        server.channel.pipeline.fireChannelWritabilityChanged()
        XCTAssertEqual(server.recorder.texts, ["one", "two"])
        XCTAssertEqual(try server.readFrames().map(\.header.opcode), [0xA])
        XCTAssertEqual(counter.reads, 2, "the held read is passed on")
    }

    func testPauseInTheMiddleOfABufferHoldsTheRest() throws {
        let (server, _) = try self.upgraded()
        var bytes = ByteBuffer()
        for text in ["a", "b", "c"] {
            var frame = TestBytes.clientFrame(opcode: 0x1, text: text)
            bytes.writeBuffer(&frame)
        }
        // The user handler makes the channel unwritable while handling "a" (as a big reply would).
        server.recorder.onMessage = { [channel = server.channel] _ in
            guard channel.isWritable else { return }
            channel.isWritable = false
            channel.pipeline.fireChannelWritabilityChanged()
        }
        try server.write(bytes)
        XCTAssertEqual(server.recorder.texts, ["a"])
        server.recorder.onMessage = nil
        server.channel.isWritable = true
        server.channel.pipeline.fireChannelWritabilityChanged()
        XCTAssertEqual(server.recorder.texts, ["a", "b", "c"])
    }

    /// Pongs count against the backlog: a ping flood from a peer that reads nothing is closed
    /// with 1008 at the bound instead of buffering a pong for every ping.
    func testPingFloodIsBoundedByTheBacklogLimit() throws {
        let limit = 10_000
        let (server, _) = try self.upgraded(maxBacklogBytes: limit)
        var flood = ByteBuffer()
        let payload = [UInt8](repeating: 0x50, count: 125)
        for _ in 0..<2000 {
            var frame = TestBytes.clientFrame(opcode: 0x9, payload: payload)
            flood.writeBuffer(&frame)
        }
        let overflowsBefore = WebSocketMetrics.backlogOverflowClosures
        try server.write(flood)
        let frames = try server.readFrames()
        let pongBytes = frames.filter { $0.header.opcode == 0xA }.reduce(0) { $0 + $1.payload.readableBytes + 2 }
        XCTAssertLessThanOrEqual(pongBytes, limit, "pongs past the bound")
        XCTAssertGreaterThan(pongBytes, 0)
        XCTAssertEqual(frames.last?.header.opcode, 0x8)
        XCTAssertEqual(frames.last?.closeCode, 1008)
        XCTAssertEqual(WebSocketMetrics.backlogOverflowClosures, overflowsBefore + 1)
        XCTAssertFalse(server.channel.isActive)
    }
}
