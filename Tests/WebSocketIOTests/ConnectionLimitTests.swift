import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import XCTest

@testable import WebSocketIO

final class ConnectionLimitTests: XCTestCase {
    /// Collects what a raw TCP client receives.
    final class Bytes: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let text = NIOLockedValueBox("")
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = Self.unwrapInboundIn(data)
            self.text.withLockedValue { $0 += String(buffer: buffer) }
        }
    }

    private func connect(_ group: any EventLoopGroup, port: Int) async throws -> (any Channel, Bytes) {
        let bytes = Bytes()
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(bytes) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return (channel, bytes)
    }

    private func waitUntil(_ condition: () -> Bool) async throws {
        for _ in 0..<500 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
    }

    func testConnectionPastTheLimitGets503AndASlotFreesOnClose() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var configuration = WebSocketServerConfiguration()
        configuration.port = 0
        configuration.maxConnections = 2
        let server = try await WebSocketServer.start(
            configuration: configuration, group: group, logger: Logger(label: "test.server")) { _ in RecordingHandler() }
        let refusedBefore = WebSocketMetrics.connectionsRefused

        let (first, _) = try await self.connect(group, port: server.port)
        let (second, secondBytes) = try await self.connect(group, port: server.port)
        let (third, thirdBytes) = try await self.connect(group, port: server.port)
        try await self.waitUntil { !third.isActive }
        XCTAssertTrue(thirdBytes.text.withLockedValue { $0 }.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
        XCTAssertFalse(third.isActive, "refused connections are closed")
        XCTAssertEqual(WebSocketMetrics.connectionsRefused, refusedBefore + 1)
        XCTAssertTrue(first.isActive)
        XCTAssertTrue(second.isActive)

        // The admitted ones are served: an upgrade on the second works.
        try await second.writeAndFlush(ByteBuffer(string: EmbeddedServer.upgradeRequest())).get()
        try await self.waitUntil { secondBytes.text.withLockedValue { $0 }.contains("\r\n\r\n") }
        XCTAssertTrue(secondBytes.text.withLockedValue { $0 }.hasPrefix("HTTP/1.1 101"))

        // A closed connection frees its slot.
        try await first.close()
        var admitted = false
        for _ in 0..<100 where !admitted {
            let (next, nextBytes) = try await self.connect(group, port: server.port)
            try await Task.sleep(for: .milliseconds(50))
            admitted = next.isActive && nextBytes.text.withLockedValue { $0 }.isEmpty
            try? await next.close()
        }
        XCTAssertTrue(admitted, "a slot freed by a close is given to a new connection")

        try? await second.close()
        try await server.shutdown()
        try await group.shutdownGracefully()
    }
}
