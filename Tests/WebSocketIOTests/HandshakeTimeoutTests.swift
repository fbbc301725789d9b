import NIOCore
import NIOEmbedded
import XCTest

@testable import WebSocketIO

final class HandshakeTimeoutTests: XCTestCase {
    private func server(timeout: TimeAmount) throws -> EmbeddedServer {
        var configuration = WebSocketServerConfiguration()
        configuration.handshakeTimeout = timeout
        return try EmbeddedServer(configuration: configuration)
    }

    func testHalfSentUpgradeIsClosedAtTheDeadline() throws {
        let server = try self.server(timeout: .seconds(2))
        let before = WebSocketMetrics.handshakeTimeouts
        let request = EmbeddedServer.upgradeRequest()
        try server.writeString(String(request.prefix(40)))  // a slowloris: never finishes
        server.channel.embeddedEventLoop.advanceTime(by: .milliseconds(1900))
        XCTAssertTrue(server.channel.isActive)
        server.channel.embeddedEventLoop.advanceTime(by: .milliseconds(100))
        XCTAssertFalse(server.channel.isActive, "not upgraded in time: closed")
        XCTAssertEqual(WebSocketMetrics.handshakeTimeouts, before + 1)
        XCTAssertEqual(server.recorder.opened, 0)
    }

    func testUpgradedConnectionCarriesTheDeadlineAndIsNotClosedByIt() throws {
        let server = try self.server(timeout: .seconds(2))
        let acceptedAt = server.channel.embeddedEventLoop.now
        server.channel.embeddedEventLoop.advanceTime(by: .milliseconds(500))
        try server.upgrade()
        let connection = try XCTUnwrap(server.recorder.connection)
        XCTAssertEqual(connection.handshakeDeadline, acceptedAt + .seconds(2), "counted from accept, not from the upgrade")
        XCTAssertEqual(connection.handshakeTimeout, .seconds(2))
        server.channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        XCTAssertTrue(server.channel.isActive, "the transport leaves the rest of the handshake to the application")
    }

    func testNoTimeoutWhenNotConfigured() throws {
        let server = try EmbeddedServer()
        try server.writeString("GET / HT")
        server.channel.embeddedEventLoop.advanceTime(by: .hours(1))
        XCTAssertTrue(server.channel.isActive)
    }
}
