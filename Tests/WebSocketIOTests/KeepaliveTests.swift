import NIOCore
import NIOEmbedded
import XCTest

@testable import WebSocketIO

final class KeepaliveTests: XCTestCase {
    private func server() throws -> EmbeddedServer {
        var configuration = WebSocketServerConfiguration()
        configuration.autoPingInterval = .seconds(1)
        configuration.autoPingTimeout = .seconds(1)
        let server = try EmbeddedServer(configuration: configuration)
        try server.upgrade()
        return server
    }

    private func advance(_ server: EmbeddedServer, milliseconds: Int64) {
        server.channel.embeddedEventLoop.advanceTime(by: .milliseconds(milliseconds))
    }

    func testSilentPeerIsPingedThenDroppedWithoutHandshake() throws {
        let server = try self.server()
        let timeoutsBefore = WebSocketMetrics.pingTimeouts
        self.advance(server, milliseconds: 999)
        XCTAssertEqual(try server.readFrames().count, 0, "no ping before the interval")
        self.advance(server, milliseconds: 1)
        XCTAssertEqual(try server.readFrames().map(\.header.opcode), [0x9])
        self.advance(server, milliseconds: 999)
        XCTAssertTrue(server.channel.isActive)
        self.advance(server, milliseconds: 1)
        XCTAssertFalse(server.channel.isActive, "no answer within the timeout: dropped")
        XCTAssertEqual(try server.readFrames().count, 0, "no close frame to a peer that is not answering")
        XCTAssertEqual(server.recorder.closeReasons.count, 1)
        XCTAssertNil(server.recorder.closeReasons.first?.code, "reported as an abnormal close (1006)")
        XCTAssertTrue(server.recorder.closeReasons.first?.reason.contains("ping") ?? false)
        XCTAssertEqual(WebSocketMetrics.pingTimeouts, timeoutsBefore + 1)
    }

    func testPongKeepsTheConnection() throws {
        let server = try self.server()
        self.advance(server, milliseconds: 1000)
        let ping = try XCTUnwrap(try server.readFrames().first)
        XCTAssertEqual(ping.header.opcode, 0x9)
        self.advance(server, milliseconds: 500)
        try server.write(TestBytes.clientFrame(opcode: 0xA, payload: Array(ping.payload.readableBytesView)))
        self.advance(server, milliseconds: 600)
        XCTAssertTrue(server.channel.isActive)
        XCTAssertEqual(try server.readFrames().count, 0, "answered: the next ping waits an interval after the pong")
        self.advance(server, milliseconds: 400)
        XCTAssertEqual(try server.readFrames().map(\.header.opcode), [0x9])
    }

    func testInboundTrafficPostponesThePing() throws {
        let server = try self.server()
        self.advance(server, milliseconds: 500)
        try server.write(TestBytes.clientFrame(opcode: 0x1, text: "still here"))
        self.advance(server, milliseconds: 999)
        XCTAssertEqual(try server.readFrames().count, 0)
        self.advance(server, milliseconds: 1)
        XCTAssertEqual(try server.readFrames().map(\.header.opcode), [0x9], "an interval after the last message")
    }

    func testNoPingsWhenOff() throws {
        let server = try EmbeddedServer()
        try server.upgrade()
        self.advance(server, milliseconds: 3_600_000)
        XCTAssertEqual(try server.readFrames().count, 0)
        XCTAssertTrue(server.channel.isActive)
    }
}
