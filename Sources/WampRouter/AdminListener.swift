import AdminHTTP
import Logging
import NIOCore
import NIOPosix
import WebSocketIO

/// The running admin listener: a `WebSocketServer` that accepts no upgrades and hands every
/// request to an `AdminService`, on a loop of its own. Its own loop keeps `/health` answering
/// (503, "loops_ok": false) while a router loop is stuck, and keeps a burst of admin requests
/// off the routing loops.
final class AdminListener: Sendable {
    let server: WebSocketServer
    let group: MultiThreadedEventLoopGroup
    let collector: RouterStatusCollector

    private init(server: WebSocketServer, group: MultiThreadedEventLoopGroup, collector: RouterStatusCollector) {
        self.server = server
        self.group = group
        self.collector = collector
    }

    static func start(_ configuration: AdminListenerConfiguration, collector: RouterStatusCollector,
                      metrics: @escaping @Sendable () -> String?, logger: Logger) async throws -> AdminListener {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let service = AdminService.listener(
            credentials: configuration.credentials,
            sources: collector.sources(metrics: metrics, loopBound: configuration.loopBound, responder: loop),
            responders: group, maxBodyBytes: configuration.maxBodyBytes)
        var http = WebSocketServerConfiguration()
        http.host = configuration.host
        http.port = configuration.port
        http.acceptsWebSocket = false
        http.httpService = service
        http.maxConnections = configuration.maxConnections
        // A request sent a byte at a time is cut off like a slow WebSocket handshake.
        http.handshakeTimeout = .seconds(10)
        let server: WebSocketServer
        do {
            server = try await WebSocketServer.start(configuration: http, group: group, logger: logger) { _ in
                // Never called: upgrades are refused (`acceptsWebSocket` false).
                WebSocketEchoHandler()
            }
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        collector.startSampling(on: loop)
        logger.notice("admin listener up", metadata: [
            "url": "http://\(configuration.host):\(server.port)/", "endpoints": "/ /status.json /metrics /health",
            "auth": "\(configuration.token == nil ? "loopback only" : "bearer token")",
        ])
        return AdminListener(server: server, group: group, collector: collector)
    }

    func shutdown() async {
        collector.stopSampling()
        try? await server.shutdown()
        try? await group.shutdownGracefully()
    }
}
