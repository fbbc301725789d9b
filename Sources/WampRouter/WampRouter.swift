import AdminHTTP
import Cluster
import Logging
import NIOCore
import NIOPosix
import Realm
import WampMessages
import WampAuth
import RawSocketIO
import WampTLS
import HTTPBridge
import WebSocketIO

/// The running router: a WebSocket server whose connections are WAMP sessions routed through
/// the configured realms, and optionally the Autobahn testee echo endpoint beside it.
public final class WampRouter: Sendable {
    public let configuration: RouterConfiguration
    private let group: MultiThreadedEventLoopGroup
    private let servers: [WebSocketServer]
    /// RawSocket listeners (TCP and Unix), in configuration order.
    private let rawSocketServers: [RawSocketServer]
    /// Each listener's current transport settings; a reload swaps them for new sessions.
    let transports: [TransportBox]
    private let testee: WebSocketServer?
    let context: RouterContext
    /// The admin HTTP listener and its own loop (so `/health` answers while a router loop is stuck).
    private let admin: AdminListener?
    let statusCollector: RouterStatusCollector
    /// The HTTP bridge paths of every `web` transport: each has a session in its realm, which
    /// `shutdown()` ends after the drain.
    let bridges: [HTTPBridgeService]

    /// The port the first WAMP listener is bound to (useful when configured with port 0).
    public var port: Int { servers.first?.port ?? rawSocketServers.first?.port ?? 0 }
    /// Every WAMP listener's bound port, in configuration order.
    public var ports: [Int] { servers.map(\.port) }
    public var testeePort: Int? { testee?.port }
    /// Every RawSocket TCP listener's bound port, in configuration order.
    public var rawSocketPorts: [Int] { rawSocketServers.compactMap(\.port) }
    /// The admin listener's bound port (`--admin-port`), nil when it is off.
    public var adminPort: Int? { admin?.server.port }
    public var realms: RealmRegistry { context.realms }
    /// Starting, serving or draining (for `/health`).
    public var health: RouterHealth { context.health }
    public var protocolViolationCount: Int { context.counters.protocolViolations.load(ordering: .relaxed) }

    private init(configuration: RouterConfiguration, group: MultiThreadedEventLoopGroup, servers: [WebSocketServer],
                 rawSocketServers: [RawSocketServer], transports: [TransportBox], testee: WebSocketServer?, context: RouterContext,
                 admin: AdminListener?, statusCollector: RouterStatusCollector, bridges: [HTTPBridgeService]) {
        self.configuration = configuration
        self.group = group
        self.servers = servers
        self.rawSocketServers = rawSocketServers
        self.transports = transports
        self.testee = testee
        self.context = context
        self.admin = admin
        self.statusCollector = statusCollector
        self.bridges = bridges
    }

    /// `health`: the phase this router reports (`/health`); the admin listener, started first,
    /// says "starting" until this returns.
    public static func start(configuration: RouterConfiguration, logger: Logger,
                             health: RouterHealth = RouterHealth()) async throws -> WampRouter {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
        let realms = RealmRegistry(realmNames: configuration.realms, uris: URIValidator(rules: configuration.uriRules),
                                   scheduler: EventLoopScheduler(group: group), eventHistory: configuration.eventHistory,
                                   limits: configuration.realmLimits, rolesByRealm: configuration.roles, logger: logger)
        let cluster = try await startCluster(configuration, realms: realms, group: group, logger: logger)
        let context = RouterContext(realms: realms, logger: logger,
                                    decoderLimits: MessageDecoder.Limits(maxOptionsBytes: configuration.maxOptionsBytes),
                                    authenticatorTimeout: configuration.authenticatorTimeout,
                                    authenticationFailures: AuthenticationFailures(policy: configuration.authFailurePolicy),
                                    health: health, cluster: cluster)
        var servers: [WebSocketServer] = []
        var rawSocketServers: [RawSocketServer] = []
        var transports: [TransportBox] = []
        var bridges: [HTTPBridgeService] = []
        let statusCollector = RouterStatusCollector(context: context, loops: Array(group.makeIterator()),
                                                    messagesSentTotal: { Self.messagesSentTotal() })
        var admin: AdminListener?
        do {
            // Before the WAMP listeners, so that `/health` says "starting" until they are up.
            if let adminConfiguration = configuration.admin {
                admin = try await AdminListener.start(adminConfiguration, collector: statusCollector,
                                                      metrics: Self.metricsSource(configuration, context), logger: logger)
            }
            for listener in configuration.effectiveListeners {
                let transport = TransportBox(listener.auth)
                if listener.rawSocket != nil {
                    rawSocketServers.append(try await startRawSocket(listener, transport: transport, configuration: configuration,
                                                                     group: group, context: context))
                    transports.append(transport)
                    statusCollector.listenersUp.wrappingAdd(1, ordering: .relaxed)
                    continue
                }
                var wamp = try serverConfiguration(for: listener, configuration: configuration)
                let http = httpService(for: listener, configuration: configuration, context: context,
                                       statusCollector: statusCollector, group: group)
                wamp.httpService = http.service
                bridges += http.bridges
                let server = try await WebSocketServer.start(configuration: wamp, group: group, logger: logger) { connection in
                    let websocket = WebSocketWampTransport(connection: connection)
                    websocket.delegate = WampSession(transport: websocket, router: context, auth: transport.current)
                    return websocket
                }
                servers.append(server)
                transports.append(transport)
                statusCollector.listenersUp.wrappingAdd(1, ordering: .relaxed)
                let scheme = listener.tls == nil ? "ws" : "wss"
                logger.notice("router listening", metadata: [
                    "url": "\(listener.acceptsWebSocket ? scheme : "http")://\(listener.host):\(server.port)\(listener.webSocketPath ?? "/")\(listener.acceptsWebSocket ? "" : " (HTTP paths only, no WebSocket)")",
                    "transport": "\(listener.name)",
                    "authmethods": "\(listener.auth.methods.map(\.rawValue).sorted().joined(separator: ","))",
                ])
            }
            var testee: WebSocketServer?
            if let testeePort = configuration.testeePort {
                var echo = WebSocketServerConfiguration()
                echo.host = configuration.host
                echo.port = testeePort
                echo.maxMessageSize = configuration.maxMessageSize
                echo.maxBacklogBytes = configuration.maxBacklogBytes
                echo.permessageDeflate = true
                echo.httpPage = "swift-wamp-router WebSocket testee (echo)\n"
                testee = try await WebSocketServer.start(configuration: echo, group: group, logger: logger) { _ in
                    WebSocketEchoHandler()
                }
                logger.notice("testee echo endpoint listening", metadata: ["url": "ws://\(configuration.host):\(testee!.port)/"])
            }
            logStartupPosture(configuration, logger: logger)
            context.health.advance(to: .serving)
            return WampRouter(configuration: configuration, group: group, servers: servers, rawSocketServers: rawSocketServers,
                              transports: transports, testee: testee, context: context, admin: admin, statusCollector: statusCollector,
                              bridges: bridges)
        } catch {
            for bridge in bridges { bridge.close() }
            for server in servers { try? await server.shutdown() }
            for server in rawSocketServers { try? await server.shutdown() }
            await admin?.shutdown()
            await cluster?.stop()
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// Joins the cluster before any listener opens (sessions must draw IDs in the node's slot
    /// range): connects to NATS, claims a slot, shares every realm. Fails the start when no NATS
    /// server answers within the ack timeout x 5 (10 s by default), since without a slot the
    /// node's IDs could meet another node's.
    private static func startCluster(_ configuration: RouterConfiguration, realms: RealmRegistry,
                                     group: MultiThreadedEventLoopGroup, logger: Logger) async throws -> ClusterNode? {
        guard let clusterConfiguration = configuration.cluster else { return nil }
        let node: ClusterNode
        do {
            node = try ClusterNode(configuration: clusterConfiguration, eventLoop: group.next(), logger: logger)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        do {
            try await node.start(timeout: clusterConfiguration.ackTimeout * 5)
        } catch {
            await node.stop()
            try? await group.shutdownGracefully()
            throw error
        }
        do {
            try await node.share(realms)
        } catch {
            await node.stop()
            try? await group.shutdownGracefully()
            throw error
        }
        return node
    }

    /// Says at start-up what is open: the development default allows everyone everything.
    private static func logStartupPosture(_ configuration: RouterConfiguration, logger: Logger) {
        if configuration.configFile == nil {
            logger.notice("no --config: running the development default (realms \(configuration.realms.joined(separator: ",")), anonymous peers allowed everything, any Origin); do not expose it")
        }
        for realm in configuration.realms where configuration.roles[realm] == nil {
            if configuration.configFile != nil {
                logger.notice("realm has no roles: every session may do everything", metadata: ["realm": "\(realm)"])
            }
        }
        for listener in configuration.effectiveListeners
        where listener.allowedOrigins == nil && listener.rawSocket == nil && configuration.configFile != nil {
            logger.notice("transport allows any Origin (no allowed_origins)", metadata: ["transport": "\(listener.name)"])
        }
    }

    /// The WebSocket server settings of one listener: router-wide values, overridden by the
    /// listener's own.
    static func serverConfiguration(for listener: ListenerConfiguration, configuration: RouterConfiguration) throws -> WebSocketServerConfiguration {
        var wamp = WebSocketServerConfiguration()
        wamp.host = listener.host
        wamp.port = listener.port
        wamp.subprotocols = listener.serializers.map(\.subprotocol)
        wamp.requireSubprotocol = true
        wamp.maxMessageSize = listener.maxMessageSize ?? configuration.maxMessageSize
        wamp.maxBacklogBytes = configuration.maxBacklogBytes
        wamp.permessageDeflate = listener.permessageDeflate ?? configuration.permessageDeflate
        wamp.deflateServerContextTakeover = configuration.deflateContextTakeover
        wamp.handshakeTimeout = listener.handshakeTimeout ?? configuration.handshakeTimeout
        wamp.autoPingInterval = listener.autoPingInterval ?? configuration.autoPingInterval
        wamp.autoPingTimeout = listener.autoPingTimeout ?? configuration.autoPingTimeout
        wamp.maxConnections = configuration.maxConnections
        wamp.maxFragments = configuration.maxFragments
        wamp.maxMessageRate = configuration.maxMessageRate
        wamp.httpPage = httpPage(realms: configuration.realms)
        wamp.webSocketPath = listener.webSocketPath
        wamp.acceptsWebSocket = listener.acceptsWebSocket
        if let patterns = listener.allowedOrigins {
            wamp.allowedOrigins = try OriginPolicy(patterns: patterns, allowsNullOrigin: listener.allowNullOrigin)
        }
        if let tls = listener.tls {
            let credentials = try TLSServerCredentials.load(keyPath: tls.key, certificatePath: tls.certificate,
                                                            chainCertificatePaths: tls.chainCertificates,
                                                            caCertificatePaths: tls.caCertificates)
            // The router offers cryptosign no channel binding yet: one TLS context for all connections.
            wamp.transportSecurity = try TLSTransportSecurity.server(credentials, channelBinding: false)
        }
        return wamp
    }

    /// Stops accepting connections, says GOODBYE `wamp.close.system_shutdown` to every session,
    /// waits up to the grace period for them to answer, closes what is left, and stops the loops.
    ///
    /// The HTTP bridge takes no new requests from the start (503); a request already waiting
    /// for its callee may still get its answer within the grace (the wait covers them too), and
    /// one whose callee the shutdown sent away, or that is still waiting when the grace ends,
    /// gets 503 `wamp.close.system_shutdown`. Then the bridge sessions leave their realms.
    public func shutdown() async {
        let logger = context.logger
        context.health.advance(to: .draining)
        for bridge in bridges { bridge.beginDrain() }
        for server in servers { try? await server.shutdown() }
        for server in rawSocketServers { try? await server.shutdown() }
        statusCollector.listenersUp.store(0, ordering: .relaxed)
        try? await testee?.shutdown()
        let sessions = context.openConnections
        let discardedBefore = WebSocketMetrics.messagesDiscardedAfterClose + RawSocketMetrics.messagesDiscardedAfterClose
        logger.notice("shutting down", metadata: ["sessions": "\(sessions.count)"])
        for session in sessions {
            session.eventLoopExecute { session.shutDown() }
        }
        let deadline = NIODeadline.now() + configuration.shutdownGracePeriod
        while !context.openConnections.isEmpty || bridges.contains(where: { $0.pendingCount > 0 }), NIODeadline.now() < deadline {
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        await closeBridges()
        for session in context.openConnections {
            session.eventLoopExecute { session.forceClose() }
        }
        let closeDeadline = NIODeadline.now() + .seconds(1)
        while !context.openConnections.isEmpty, NIODeadline.now() < closeDeadline {
            try? await Task.sleep(nanoseconds: 20_000_000)
        }
        // What is written before a close frame still goes out; what was queued for a connection
        // that closed first could not be sent (the process-wide counter: other routers in the
        // same process may add to it).
        let unsent = WebSocketMetrics.messagesDiscardedAfterClose + RawSocketMetrics.messagesDiscardedAfterClose - discardedBefore
        let notClosed = context.openConnections.count
        if unsent > 0 || notClosed > 0 {
            logger.warning("shutdown could not send everything", metadata: [
                "unsentMessages": "\(unsent)", "connectionsNotClosedCleanly": "\(notClosed)",
            ])
        }
        // The sessions are gone: free the cluster slot and close NATS.
        await context.cluster?.stop()
        // The admin listener goes last: `/health` says "draining" until the WAMP side is gone.
        await admin?.shutdown()
        try? await group.shutdownGracefully()
    }

    /// Ends the bridge sessions, and waits until every loop has run what was queued before: the
    /// 503s `close()` handed to the HTTP connections' loops are written by then.
    private func closeBridges() async {
        guard !bridges.isEmpty else { return }
        for bridge in bridges { bridge.close() }
        for loop in group.makeIterator() { try? await loop.submit {}.get() }
    }

    static func httpPage(realms: [String]) -> String {
        let items = realms.map { "<li>\($0)</li>" }.joined()
        return """
            <!doctype html><html><head><title>swift-wamp-router</title></head><body>\
            <h1>swift-wamp-router</h1><p>WAMP v2 router. Connect with a WebSocket client offering \
            the subprotocol <code>wamp.2.json</code>.</p><p>Realms:</p><ul>\(items)</ul></body></html>

            """
    }
}
