import Logging
import NIOCore
import NIOPosix
import Synchronization
import HTTPTestSupport
import Testing
import WebSocketIO
@testable import AdminHTTP

/// The admin service on a real `WebSocketServer` that accepts no upgrades, over loopback TCP.
@Suite struct AdminListenerTests {
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    static func exchange(port: Int, _ request: String) async throws -> String {
        try await HTTPExchange.send(request, port: port)
    }

    static func startServer() async throws -> WebSocketServer {
        let sources = AdminSources(
            metrics: { "m 1\n" }, health: { AdminHealthState(phase: "serving", isServing: true, listeners: 1) },
            statusJSON: { group.next().makeSucceededFuture(ByteBuffer(string: "{}")) }, eventLoops: [group.next()])
        var configuration = WebSocketServerConfiguration()
        configuration.port = 0
        configuration.acceptsWebSocket = false
        configuration.httpService = AdminService.listener(credentials: AdminCredentials(), sources: sources, responders: group)
        return try await WebSocketServer.start(configuration: configuration, group: group, logger: Logger(label: "admin-test")) { _ in
            WebSocketEchoHandler()
        }
    }

    @Test func servesHealthAndRefusesUpgrades() async throws {
        let server = try await Self.startServer()
        let health = try await Self.exchange(port: server.port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(health.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(health.contains("\"loops_ok\":true"))
        #expect(health.lowercased().contains("connection: close"))

        let head = try await Self.exchange(port: server.port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(head.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(head.hasSuffix("\r\n\r\n"))

        let upgrade = try await Self.exchange(port: server.port, """
            GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
            Sec-WebSocket-Version: 13\r\n\r\n
            """)
        #expect(upgrade.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(upgrade.contains("accepts no WebSocket upgrades"))

        let post = try await Self.exchange(port: server.port, "POST /health HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        #expect(post.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
        try await server.shutdown()
    }
}

@Suite struct AdminHealthClusterTests {
    @Test func clusterStateIsInHealthAnd503WhileDisconnected() {
        let probe = EventLoopProbe.Result(loops: 1, answered: 1)
        let alone = AdminService.healthResponse(state: AdminHealthState(phase: "serving", isServing: true, listeners: 1),
                                                probe: probe, bound: .seconds(1))
        #expect(alone.status == .ok)
        #expect(!String(buffer: alone.body).contains("cluster"))
        let up = AdminService.healthResponse(state: AdminHealthState(phase: "serving", isServing: true, listeners: 1, cluster: "connected"),
                                             probe: probe, bound: .seconds(1))
        #expect(up.status == .ok)
        #expect(String(buffer: up.body).contains("\"cluster\":\"connected\""))
        let down = AdminService.healthResponse(state: AdminHealthState(phase: "serving", isServing: true, listeners: 1, cluster: "disconnected"),
                                               probe: probe, bound: .seconds(1))
        #expect(down.status == .serviceUnavailable)
        #expect(String(buffer: down.body).contains("\"cluster\":\"disconnected\""))
        #expect(String(buffer: down.body).contains("\"healthy\":false"))
    }
}
