import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

@testable import WebSocketIO

/// A real loopback socket: a peer that floods pings and never reads.
final class PingFloodLoopbackTests: XCTestCase {
    final class ServerSide: WebSocketMessageHandler, @unchecked Sendable {
        let opened = NIOLockedValueBox(false)
        let closed = NIOLockedValueBox<WebSocketCloseReason?>(nil)
        func webSocketDidOpen(_ connection: WebSocketConnection) { self.opened.withLockedValue { $0 = true } }
        func webSocket(_ connection: WebSocketConnection, didReceive message: ByteBuffer, kind: WebSocketMessageKind) {}
        func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason) {
            self.closed.withLockedValue { $0 = reason }
        }
    }

    func testReadsFromAPingFlooderThatNeverReadsStopAboveHighWater() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let serverSide = ServerSide()
        var configuration = WebSocketServerConfiguration()
        configuration.port = 0
        configuration.maxBacklogBytes = 256 << 10
        let server = try await WebSocketServer.start(
            configuration: configuration, group: group, logger: Logger(label: "test.server")) { _ in serverSide }
        let pausesBefore = WebSocketMetrics.backpressurePauses
        let client = try await ClientBootstrap(group: group)
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_rcvbuf), value: 16 << 10)
            .connect(host: "127.0.0.1", port: server.port).get()
        try await client.writeAndFlush(ByteBuffer(string: EmbeddedServer.upgradeRequest())).get()
        for _ in 0..<500 where !serverSide.opened.withLockedValue({ $0 }) {
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTAssertTrue(serverSide.opened.withLockedValue { $0 })

        var batch = ByteBuffer()
        for _ in 0..<1000 {
            var ping = TestBytes.clientFrame(opcode: 0x9, payload: [UInt8](repeating: 0x70, count: 125))
            batch.writeBuffer(&ping)
        }
        // Write batches while the socket takes them; stop once writes stall for a second (the
        // server stopped reading) or after 400 batches (52 MB, far beyond every socket buffer).
        let written = NIOLockedValueBox(0)
        var batches = 0
        var stalledSince: ContinuousClock.Instant?
        let deadline = ContinuousClock.now + .seconds(60)
        while batches < 400, ContinuousClock.now < deadline {
            if batches - written.withLockedValue({ $0 }) < 2 {
                stalledSince = nil
                client.writeAndFlush(batch).whenSuccess { written.withLockedValue { $0 += 1 } }
                batches += 1
                continue
            }
            let since = stalledSince ?? ContinuousClock.now
            stalledSince = since
            if ContinuousClock.now - since > .seconds(1) { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTAssertLessThan(batches, 400, "the server kept reading pings it could not answer")
        XCTAssertGreaterThan(WebSocketMetrics.backpressurePauses, pausesBefore)
        XCTAssertNil(serverSide.closed.withLockedValue { $0 }, "paused below the hard limit, not closed")

        try? await client.close()
        try await server.shutdown()
        try await group.shutdownGracefully()
    }
}
