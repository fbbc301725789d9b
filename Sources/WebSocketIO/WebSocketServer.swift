import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A WebSocket server: HTTP/1.1 listener that upgrades WebSocket requests (subprotocol choice,
/// permessage-deflate negotiation) and hands each connection to a `WebSocketMessageHandler`.
public final class WebSocketServer: Sendable {
    /// The bound port (the ephemeral port chosen by the OS when configured with 0).
    public let port: Int
    private let channel: any Channel
    private let logger: Logger

    private init(port: Int, channel: any Channel, logger: Logger) {
        self.port = port
        self.channel = channel
        self.logger = logger
    }

    public static func start(
        configuration: WebSocketServerConfiguration,
        group: any EventLoopGroup,
        logger: Logger,
        makeHandler: @escaping @Sendable (WebSocketConnection) -> any WebSocketMessageHandler
    ) async throws -> WebSocketServer {
        let limiter = configuration.maxConnections.map { ConnectionLimiter(limit: $0, logger: logger) }
        let refusalLog = UpgradeRefusalLog(logger: logger)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Over the limit a TLS connection is closed without the plain-text 503 (a TLS
                    // client could not read it) and without a TLS handshake (CPU a flood would cost).
                    if let limiter, try !limiter.admit(channel, answer: configuration.transportSecurity == nil) { return }
                    try configuration.transportSecurity?.configure(channel: channel)
                    try Self.configurePipeline(
                        channel: channel,
                        configuration: configuration,
                        logger: logger,
                        refusalLog: refusalLog,
                        makeHandler: makeHandler
                    )
                }
            }
        let channel = try await bootstrap.bind(host: configuration.host, port: configuration.port).get()
        let port = channel.localAddress?.port ?? configuration.port
        logger.info("WebSocket server listening", metadata: [
            "scheme": "\(configuration.scheme)", "host": "\(configuration.host)", "port": "\(port)",
            "path": "\(configuration.webSocketPath ?? "any")",
            "allowedOrigins": "\(configuration.allowedOrigins.map { $0.patterns.joined(separator: " ") } ?? "any")",
        ])
        return WebSocketServer(port: port, channel: channel, logger: logger)
    }

    /// Stops accepting new connections (open connections are left alone).
    public func shutdown() async throws {
        try await self.channel.close()
        self.logger.info("WebSocket server stopped accepting connections", metadata: ["port": "\(self.port)"])
    }

    /// Installs the HTTP server pipeline with the WebSocket upgrader on a fresh child channel
    /// (after the transport security's handlers, which the caller installs). Internal so tests
    /// can drive it on an `EmbeddedChannel`; `refusalLog` is the server's (nil: a new one).
    static func configurePipeline(
        channel: any Channel,
        configuration: WebSocketServerConfiguration,
        logger: Logger,
        refusalLog: UpgradeRefusalLog? = nil,
        closeTimeout: TimeAmount = .seconds(5),
        makeHandler: @escaping @Sendable (WebSocketConnection) -> any WebSocketMessageHandler
    ) throws {
        let handshakeDeadline = configuration.handshakeTimeout.map { channel.eventLoop.now + $0 }
        let upgradeTimer = handshakeDeadline.map { deadline in
            Self.scheduleUpgradeTimeout(channel: channel, deadline: deadline, configuration: configuration, logger: logger)
        }
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: min(configuration.maxMessageSize, Int(UInt32.max)),
            automaticErrorHandling: false,
            shouldUpgrade: { channel, head in
                // A refused upgrade passes the request on to `WebSocketHTTPHandler`, which answers it.
                guard WebSocketUpgradeGate.refusal(for: head, configuration: configuration) == nil else {
                    return channel.eventLoop.makeSucceededFuture(nil)
                }
                return channel.eventLoop.makeSucceededFuture(Self.responseHeaders(for: head, configuration: configuration))
            },
            upgradePipelineHandler: { channel, head in
                upgradeTimer?.cancel()
                return channel.eventLoop.makeCompletedFuture {
                    try Self.installWebSocketHandler(
                        channel: channel,
                        head: head,
                        handshakeDeadline: handshakeDeadline,
                        configuration: configuration,
                        logger: logger,
                        closeTimeout: closeTimeout,
                        makeHandler: makeHandler
                    )
                }
            }
        )
        let httpHandler = WebSocketHTTPHandler(
            configuration: configuration, refusalLog: refusalLog ?? UpgradeRefusalLog(logger: logger))
        try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withPipeliningAssistance: false,
            withServerUpgrade: (
                upgraders: [upgrader],
                completionHandler: { context in
                    // The plain-HTTP handler must not sit in the WebSocket pipeline.
                    if let http = try? context.pipeline.syncOperations.context(handlerType: WebSocketHTTPHandler.self) {
                        context.pipeline.syncOperations.removeHandler(context: http, promise: nil)
                    }
                }
            ),
            withErrorHandling: true
        )
        try channel.pipeline.syncOperations.addHandler(httpHandler)
    }

    /// Closes a connection that has not upgraded by `deadline` (slowloris: a request sent a byte
    /// at a time, or never finished) by closing TCP.
    private static func scheduleUpgradeTimeout(
        channel: any Channel, deadline: NIODeadline, configuration: WebSocketServerConfiguration, logger: Logger
    ) -> Scheduled<Void> {
        let timer = channel.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            guard channel.isActive else { return }
            WebSocketMetrics.recordHandshakeTimeout()
            logger.info("closing connection: no WebSocket upgrade within the handshake timeout", metadata: [
                "ws.remote": "\(channel.remoteAddress.map { "\($0)" } ?? "?")",
                "handshakeTimeout": "\(configuration.handshakeTimeout.map(secondsText) ?? "-")",
            ])
            channel.close(promise: nil)
        }
        channel.closeFuture.whenComplete { _ in timer.cancel() }
        return timer
    }

    /// The negotiation result for an upgrade request: subprotocol and permessage-deflate.
    package struct Negotiated {
        package var subprotocol: String?
        package var deflate: PerMessageDeflateConfiguration?
        package var extensionResponse: String?
    }

    package static func negotiate(_ head: HTTPRequestHead, configuration: WebSocketServerConfiguration) -> Negotiated? {
        let offered = WebSocketUpgradeNegotiation.offeredSubprotocols(head.headers)
        var negotiated = Negotiated()
        switch WebSocketUpgradeNegotiation.chooseSubprotocol(
            offered: offered,
            supported: configuration.subprotocols,
            required: configuration.requireSubprotocol
        ) {
        case .refused:
            return nil
        case .selected(let subprotocol):
            negotiated.subprotocol = subprotocol
        case .none:
            break
        }
        if configuration.permessageDeflate {
            let values = head.headers["Sec-WebSocket-Extensions"]
            if !values.isEmpty, let offers = try? WebSocketExtensionParameters.parse(headerValues: values),
                let accepted = PerMessageDeflateNegotiation.serverAccept(
                    offers: offers, serverContextTakeover: configuration.deflateServerContextTakeover)
            {
                negotiated.deflate = accepted.configuration
                negotiated.extensionResponse = accepted.response.headerValue
            }
        }
        return negotiated
    }

    static func responseHeaders(for head: HTTPRequestHead, configuration: WebSocketServerConfiguration) -> HTTPHeaders? {
        guard let negotiated = self.negotiate(head, configuration: configuration) else { return nil }
        var headers = HTTPHeaders()
        if let subprotocol = negotiated.subprotocol {
            headers.add(name: "Sec-WebSocket-Protocol", value: subprotocol)
        }
        if let extensionResponse = negotiated.extensionResponse {
            headers.add(name: "Sec-WebSocket-Extensions", value: extensionResponse)
        }
        return headers
    }

    private static func installWebSocketHandler(
        channel: any Channel,
        head: HTTPRequestHead,
        handshakeDeadline: NIODeadline?,
        configuration: WebSocketServerConfiguration,
        logger: Logger,
        closeTimeout: TimeAmount,
        makeHandler: @Sendable (WebSocketConnection) -> any WebSocketMessageHandler
    ) throws {
        guard let negotiated = self.negotiate(head, configuration: configuration) else {
            throw NIOWebSocketUpgradeError.unsupportedWebSocketTarget
        }
        // Back-pressure: above half the backlog bound NIO reports the channel unwritable and the
        // handler stops reading from the peer; below a quarter it reads again.
        let highWater = max(2, configuration.maxBacklogBytes / 2)
        try channel.syncOptions?.setOption(
            .writeBufferWaterMark, value: ChannelOptions.Types.WriteBufferWaterMark(low: max(1, highWater / 2), high: highWater))
        var connectionLogger = logger
        connectionLogger[metadataKey: "ws.remote"] = "\(channel.remoteAddress.map { "\($0)" } ?? "?")"
        connectionLogger[metadataKey: "ws.scheme"] = "\(configuration.scheme)"
        let security = configuration.transportSecurity
        let connection = WebSocketConnection(
            eventLoop: channel.eventLoop,
            subprotocol: negotiated.subprotocol,
            maxBacklogBytes: configuration.maxBacklogBytes,
            handshakeDeadline: handshakeDeadline,
            handshakeTimeout: configuration.handshakeTimeout,
            remoteAddress: channel.remoteAddress,
            isSecure: security != nil,
            channelBindingSource: WebSocketConnection.bindingSource(security, channel: channel),
            logger: connectionLogger
        )
        let handler = try WebSocketChannelHandler(
            role: .server,
            connection: connection,
            userHandler: makeHandler(connection),
            maxMessageSize: configuration.maxMessageSize,
            deflate: negotiated.deflate,
            closeTimeout: closeTimeout,
            limits: WebSocketPeerLimits(configuration),
            logger: connectionLogger
        )
        try installFrameHandler(handler, channel: channel)
    }
}

/// "2.5 s", "10 s": a duration as the flags spell it.
package func secondsText(_ amount: TimeAmount) -> String {
    let seconds = Double(amount.nanoseconds) / 1e9
    return seconds == seconds.rounded() ? "\(Int64(seconds)) s" : "\(seconds) s"
}

/// NIO's upgraders install `WebSocketFrameDecoder`, which only emits whole frames, and
/// `WebSocketFrameEncoder`. We parse frames ourselves (streaming, to fail invalid UTF-8 fast
/// inside a frame), so the decoder goes; and we write frames as raw buffers
/// (`WebSocketFrameWriter`), so our handler sits between the socket and NIO's encoder, which
/// cannot be removed and is left idle.
func installFrameHandler(_ handler: WebSocketChannelHandler, channel: any Channel) throws {
    let pipeline = channel.pipeline.syncOperations
    let decoder = try pipeline.context(handlerType: ByteToMessageHandler<WebSocketFrameDecoder>.self)
    pipeline.removeHandler(context: decoder, promise: nil)
    let encoder = try pipeline.handler(type: WebSocketFrameEncoder.self)
    try pipeline.addHandler(handler, position: .before(encoder))
}
