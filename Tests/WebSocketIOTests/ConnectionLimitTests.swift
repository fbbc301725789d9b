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

    /// A transport security that installs nothing but says the connection is secure; counts
    /// the channels it was asked to configure.
    struct MarkerSecurity: WebSocketTransportSecurity {
        let configured = NIOLockedValueBox(0)
        func configure(channel: any Channel) throws { self.configured.withLockedValue { $0 += 1 } }
        func channelBinding(_ type: ChannelBindingType, channel: any Channel) -> EventLoopFuture<[UInt8]?> {
            channel.eventLoop.makeSucceededFuture([7])
        }
    }

    func testPastTheLimitASecureListenerClosesWithoutPlainText503OrHandshake() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let security = MarkerSecurity()
        var configuration = WebSocketServerConfiguration()
        configuration.port = 0
        configuration.maxConnections = 1
        configuration.transportSecurity = security
        let recorder = RecordingHandler()
        let server = try await WebSocketServer.start(
            configuration: configuration, group: group, logger: Logger(label: "test.server")) { _ in recorder }
        let refusedBefore = WebSocketMetrics.connectionsRefused

        let (first, firstBytes) = try await self.connect(group, port: server.port)
        let (second, secondBytes) = try await self.connect(group, port: server.port)
        try await self.waitUntil { !second.isActive }
        XCTAssertFalse(second.isActive, "refused")
        XCTAssertEqual(secondBytes.text.withLockedValue { $0 }, "", "no plain-text answer on a TLS listener")
        XCTAssertEqual(WebSocketMetrics.connectionsRefused, refusedBefore + 1)
        XCTAssertEqual(security.configured.withLockedValue { $0 }, 1, "the refused one got no TLS handler")

        try await first.writeAndFlush(ByteBuffer(string: EmbeddedServer.upgradeRequest())).get()
        try await self.waitUntil { firstBytes.text.withLockedValue { $0 }.contains("\r\n\r\n") }
        XCTAssertTrue(firstBytes.text.withLockedValue { $0 }.hasPrefix("HTTP/1.1 101"))
        let connection = try await group.next().submit { recorder.connection }.get()
        XCTAssertEqual(connection?.isSecure, true)
        let binding = try await connection?.channelBinding(type: .tlsExporter).get()
        XCTAssertEqual(binding, [7], "the connection asks its transport security")

        try? await first.close()
        try await server.shutdown()
        try await group.shutdownGracefully()
    }
}
