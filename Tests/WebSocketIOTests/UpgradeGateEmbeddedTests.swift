import NIOCore
import XCTest

@testable import WebSocketIO

/// The Origin policy and the WebSocket path on the server pipeline (EmbeddedChannel).
final class UpgradeGateEmbeddedTests: XCTestCase {
    private func configuration(origins: [String]? = nil, path: String? = nil) throws -> WebSocketServerConfiguration {
        var configuration = WebSocketServerConfiguration()
        configuration.allowedOrigins = try origins.map { try OriginPolicy(patterns: $0) }
        configuration.webSocketPath = path
        configuration.httpPage = "<html>router</html>"
        return configuration
    }

    func testDisallowedOriginGets403NamingItAndIsCounted() throws {
        let server = try EmbeddedServer(configuration: try self.configuration(origins: ["https://app.example.com"]))
        let before = WebSocketMetrics.originsRefused
        try server.writeString(EmbeddedServer.upgradeRequest(origins: ["https://evil.example.net"]))
        let response = try server.readString()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 403 Forbidden"), response)
        XCTAssertTrue(response.contains("origin 'https://evil.example.net' is not allowed"), response)
        XCTAssertFalse(response.lowercased().contains("sec-websocket-accept"), response)
        XCTAssertFalse(server.channel.isActive, "refused upgrade closes the connection")
        XCTAssertEqual(server.recorder.opened, 0)
        XCTAssertGreaterThanOrEqual(WebSocketMetrics.originsRefused, before + 1)
    }

    func testRefusedOriginIsEscapedAndCutInTheBody() throws {
        let server = try EmbeddedServer(configuration: try self.configuration(origins: ["https://app.example.com"]))
        let hostile = "https://é.example/<script>" + String(repeating: "a", count: 500)
        try server.writeString(EmbeddedServer.upgradeRequest(origins: [hostile]))
        let response = try server.readString()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 403"), response)
        XCTAssertTrue(response.contains("..."), "cut")
        XCTAssertFalse(response.contains(String(repeating: "a", count: 300)), "at most 200 characters of it")
        XCTAssertFalse(response.contains("é"), "non-ASCII is replaced")
        XCTAssertTrue(response.contains("origin 'https://?"), response)
    }

    func testAllowedOriginUpgrades() throws {
        let server = try EmbeddedServer(configuration: try self.configuration(origins: ["https://*.example.com"]))
        try server.writeString(EmbeddedServer.upgradeRequest(origins: ["https://app.example.com"]))
        XCTAssertTrue(try server.readString().hasPrefix("HTTP/1.1 101"))
        XCTAssertEqual(server.recorder.opened, 1)
    }

    func testRequestWithoutOriginUpgradesUnderAPolicy() throws {
        let server = try EmbeddedServer(configuration: try self.configuration(origins: ["https://app.example.com"]))
        try server.writeString(EmbeddedServer.upgradeRequest())
        XCTAssertTrue(try server.readString().hasPrefix("HTTP/1.1 101"), "non-browser clients send no Origin")
    }

    func testWithoutPolicyAnyOriginUpgrades() throws {
        let server = try EmbeddedServer(configuration: try self.configuration())
        try server.writeString(EmbeddedServer.upgradeRequest(origins: ["https://evil.example.net"]))
        XCTAssertTrue(try server.readString().hasPrefix("HTTP/1.1 101"))
    }

    func testUpgradeOnOtherPathGets404() throws {
        let server = try EmbeddedServer(configuration: try self.configuration(path: "/ws"))
        let before = WebSocketMetrics.pathsRefused
        try server.writeString(EmbeddedServer.upgradeRequest(path: "/other"))
        let response = try server.readString()
        XCTAssertTrue(response.hasPrefix("HTTP/1.1 404"), response)
        XCTAssertTrue(response.contains("accepted on /ws only"), response)
        XCTAssertEqual(server.recorder.opened, 0)
        XCTAssertFalse(server.channel.isActive)
        XCTAssertGreaterThanOrEqual(WebSocketMetrics.pathsRefused, before + 1)

        let root = try EmbeddedServer(configuration: try self.configuration(path: "/ws"))
        try root.writeString(EmbeddedServer.upgradeRequest(path: "/"))
        XCTAssertTrue(try root.readString().hasPrefix("HTTP/1.1 404"), "/ is not /ws")
    }

    func testUpgradeOnTheWebSocketPathWithQueryUpgrades() throws {
        let server = try EmbeddedServer(configuration: try self.configuration(path: "ws"))
        try server.writeString(EmbeddedServer.upgradeRequest(path: "/ws?token=1"))
        XCTAssertTrue(try server.readString().hasPrefix("HTTP/1.1 101"))
        XCTAssertEqual(server.recorder.opened, 1)
    }

    func testPlainGetOfTheWebSocketPathAndRootServeThePage() throws {
        for path in ["/ws", "/"] {
            let server = try EmbeddedServer(configuration: try self.configuration(path: "/ws"))
            try server.writeString("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\r\n")
            let response = try server.readString()
            XCTAssertTrue(response.hasPrefix("HTTP/1.1 200 OK"), "\(path): \(response)")
            XCTAssertTrue(response.hasSuffix("<html>router</html>"), response)
        }
        let other = try EmbeddedServer(configuration: try self.configuration(path: "/ws"))
        try other.writeString("GET /elsewhere HTTP/1.1\r\nHost: localhost\r\n\r\n")
        XCTAssertTrue(try other.readString().hasPrefix("HTTP/1.1 404"))
    }

    func testPathIsCheckedBeforeOrigin() throws {
        let server = try EmbeddedServer(configuration: try self.configuration(origins: ["https://app.example.com"], path: "/ws"))
        try server.writeString(EmbeddedServer.upgradeRequest(path: "/x", origins: ["https://evil.example.net"]))
        XCTAssertTrue(try server.readString().hasPrefix("HTTP/1.1 404"))
    }

    func testPlainConnectionIsNotSecureAndHasNoBinding() throws {
        let server = try EmbeddedServer()
        try server.upgrade()
        let connection = try XCTUnwrap(server.recorder.connection)
        XCTAssertFalse(connection.isSecure)
        let binding = connection.channelBinding(type: .tlsExporter)
        server.channel.embeddedEventLoop.run()
        XCTAssertNil(try binding.wait())
    }
}
