import Logging
import NIOCore
import NIOEmbedded
import XCTest

@testable import WebSocketIO

/// A close that a send causes must not reach the user handler on the sender's stack: the
/// router sends under routing locks, and its `webSocketDidClose` takes those locks again.
final class SendReentrancyTests: XCTestCase {
    /// Notes whether `webSocketDidClose` ran while the test was inside `connection.send`.
    final class ReentrancyProbe: WebSocketMessageHandler, @unchecked Sendable {
        var connection: WebSocketConnection?
        var sendOnStack = false
        var closedDuringSend = false
        var closes = 0

        func webSocketDidOpen(_ connection: WebSocketConnection) { self.connection = connection }
        func webSocket(_ connection: WebSocketConnection, didReceive message: ByteBuffer, kind: WebSocketMessageKind) {}
        func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason) {
            self.closes += 1
            if self.sendOnStack { self.closedDuringSend = true }
        }

        func send(_ payload: ByteBuffer) {
            self.sendOnStack = true
            self.connection?.send(payload)
            self.sendOnStack = false
        }
    }

    private func upgradedChannel(maxBacklogBytes: Int, probe: ReentrancyProbe) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        var configuration = WebSocketServerConfiguration()
        configuration.maxBacklogBytes = maxBacklogBytes
        try WebSocketServer.configurePipeline(
            channel: channel, configuration: configuration, logger: Logger(label: "test"), makeHandler: { _ in probe })
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 4000)).wait()
        try channel.writeInbound(ByteBuffer(string: EmbeddedServer.upgradeRequest()))
        channel.embeddedEventLoop.run()
        while try channel.readOutbound(as: IOData.self) != nil {}
        return channel
    }

    func testBacklogOverflowClosesOnTheNextTickNotInsideSend() throws {
        let probe = ReentrancyProbe()
        let channel = try self.upgradedChannel(maxBacklogBytes: 100, probe: probe)
        let payload = ByteBuffer(repeating: 0x41, count: 60)
        probe.send(payload)
        probe.send(payload)  // 120 bytes unsent > 100: overflow
        XCTAssertFalse(probe.closedDuringSend, "webSocketDidClose ran inside send")
        XCTAssertEqual(probe.closes, 0, "the close waits for the next loop tick")

        // Closing at once: a later send is discarded and counted, not written.
        let discardedBefore = WebSocketMetrics.messagesDiscardedAfterClose
        probe.send(payload)
        XCTAssertEqual(WebSocketMetrics.messagesDiscardedAfterClose, discardedBefore + 1)

        channel.embeddedEventLoop.run()
        XCTAssertFalse(channel.isActive)
        XCTAssertEqual(probe.closes, 1)
        XCTAssertFalse(probe.closedDuringSend)
    }

    func testBacklogOverflowClosesWith1008AfterTheTick() throws {
        let probe = ReentrancyProbe()
        let channel = try self.upgradedChannel(maxBacklogBytes: 100, probe: probe)
        let payload = ByteBuffer(repeating: 0x41, count: 60)
        probe.send(payload)
        probe.send(payload)
        channel.embeddedEventLoop.run()
        var written = ByteBuffer()
        while let part = try channel.readOutbound(as: IOData.self) {
            if case .byteBuffer(var buffer) = part { written.writeBuffer(&buffer) }
        }
        let frames = try TestBytes.parseFrames(written)
        XCTAssertEqual(frames.last?.header.opcode, 0x8)
        XCTAssertEqual(frames.last?.closeCode, 1008)
        XCTAssertEqual(frames.filter { $0.header.opcode == 0x1 }.count, 1, "the message past the bound is not written")
    }
}
