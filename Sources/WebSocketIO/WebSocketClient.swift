import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// WebSocket client: same framing, closing and compression code as the server, with masked
/// outbound frames. Offers permessage-deflate. `transportSecurity` makes it `wss://` (see
/// `WampTLS`); `origin` sends an `Origin` header, as a browser would.
public enum WebSocketClient {
    public static func connect(
        host: String,
        port: Int,
        path: String = "/",
        subprotocols: [String],
        maxMessageSize: Int = 16 << 20,
        transportSecurity: (any WebSocketTransportSecurity)? = nil,
        origin: String? = nil,
        group: any EventLoopGroup,
        handler: any WebSocketMessageHandler
    ) async throws -> WebSocketConnection {
        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: WebSocketConnection.self)
        let handlerBox = UncheckedHandlerBox(handler: handler)
        var keyBytes = [UInt8](repeating: 0, count: 16)
        for i in keyBytes.indices { keyBytes[i] = UInt8.random(in: 0...255) }
        let key = Base64.encode(keyBytes)
        let logger = Logger(label: "WebSocketIO.client")

        let bootstrap = ClientBootstrap(group: eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try transportSecurity?.configure(channel: channel)
                    try configureClientPipeline(
                        channel: channel,
                        host: host,
                        port: port,
                        path: path,
                        subprotocols: subprotocols,
                        maxMessageSize: maxMessageSize,
                        transportSecurity: transportSecurity,
                        origin: origin,
                        key: key,
                        handler: handlerBox.handler,
                        logger: logger,
                        promise: promise
                    )
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            promise.fail(error)
            throw error
        }
        do {
            return try await promise.futureResult.get()
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    /// Installs the HTTP client pipeline with the WebSocket upgrader. Internal so tests can drive
    /// it on an `EmbeddedChannel`.
    static func configureClientPipeline(
        channel: any Channel,
        host: String,
        port: Int,
        path: String,
        subprotocols: [String],
        maxMessageSize: Int,
        transportSecurity: (any WebSocketTransportSecurity)? = nil,
        origin: String? = nil,
        key: String,
        handler: any WebSocketMessageHandler,
        logger: Logger,
        promise: EventLoopPromise<WebSocketConnection>
    ) throws {
        let handlerBox = UncheckedHandlerBox(handler: handler)
        let upgrader = NIOWebSocketClientUpgrader(
            requestKey: key,
            maxFrameSize: min(maxMessageSize, Int(UInt32.max)),
            automaticErrorHandling: false,
            upgradePipelineHandler: { channel, response in
                channel.eventLoop.makeCompletedFuture {
                    do {
                        let connection = try installClientHandler(
                            channel: channel,
                            response: response,
                            subprotocols: subprotocols,
                            maxMessageSize: maxMessageSize,
                            transportSecurity: transportSecurity,
                            handler: handlerBox.handler,
                            logger: logger
                        )
                        promise.succeed(connection)
                    } catch {
                        promise.fail(error)
                        channel.close(promise: nil)
                        throw error
                    }
                }
            }
        )
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        headers.add(name: "Content-Length", value: "0")
        if let origin { headers.add(name: "Origin", value: origin) }
        if !subprotocols.isEmpty {
            headers.add(name: "Sec-WebSocket-Protocol", value: subprotocols.joined(separator: ", "))
        }
        headers.add(name: "Sec-WebSocket-Extensions", value: PerMessageDeflateNegotiation.clientOffer.headerValue)
        let requestHandler = WebSocketClientRequestHandler(path: path, headers: headers, promise: promise)
        try channel.pipeline.syncOperations.addHTTPClientHandlers(
            leftOverBytesStrategy: .forwardBytes,
            withClientUpgrade: (
                upgraders: [upgrader],
                completionHandler: { context in
                    if let request = try? context.pipeline.syncOperations.context(handlerType: WebSocketClientRequestHandler.self) {
                        context.pipeline.syncOperations.removeHandler(context: request, promise: nil)
                    }
                }
            )
        )
        try channel.pipeline.syncOperations.addHandler(requestHandler)
    }

    private static func installClientHandler(
        channel: any Channel,
        response: HTTPResponseHead,
        subprotocols: [String],
        maxMessageSize: Int,
        transportSecurity: (any WebSocketTransportSecurity)?,
        handler: any WebSocketMessageHandler,
        logger: Logger
    ) throws -> WebSocketConnection {
        let selected = response.headers["Sec-WebSocket-Protocol"].first.map { Substring($0).trimmingSpaces() }
        if let selected, !selected.isEmpty {
            guard subprotocols.contains(selected) else { throw WebSocketClientError.unexpectedSubprotocol(selected) }
        } else if !subprotocols.isEmpty {
            throw WebSocketClientError.noSubprotocolSelected(offered: subprotocols)
        }
        let deflate: PerMessageDeflateConfiguration?
        do {
            let values = response.headers["Sec-WebSocket-Extensions"]
            let parsed = try WebSocketExtensionParameters.parse(headerValues: values)
            deflate = try PerMessageDeflateNegotiation.clientAccept(response: parsed)
        } catch {
            throw WebSocketClientError.invalidExtensionResponse("\(error)")
        }
        let connection = WebSocketConnection(
            eventLoop: channel.eventLoop,
            subprotocol: selected?.isEmpty == false ? selected : nil,
            maxBacklogBytes: 16 << 20,
            isSecure: transportSecurity != nil,
            channelBindingSource: WebSocketConnection.bindingSource(transportSecurity, channel: channel),
            logger: logger
        )
        let channelHandler = try WebSocketChannelHandler(
            role: .client,
            connection: connection,
            userHandler: handler,
            maxMessageSize: maxMessageSize,
            deflate: deflate,
            logger: logger
        )
        try installFrameHandler(channelHandler, channel: channel)
        return connection
    }
}

/// The message handler is not `Sendable`; it is handed to the channel's event loop once and only
/// used there afterwards.
struct UncheckedHandlerBox: @unchecked Sendable {
    let handler: any WebSocketMessageHandler
}

/// Sends the upgrade request and turns a refused upgrade into `WebSocketClientError`.
final class WebSocketClientRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let path: String
    private let headers: HTTPHeaders
    private let promise: EventLoopPromise<WebSocketConnection>
    private var status: Int?
    private var body = ""

    init(path: String, headers: HTTPHeaders, promise: EventLoopPromise<WebSocketConnection>) {
        self.path = path
        self.headers = headers
        self.promise = promise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.sendRequest(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.sendRequest(context: context)
        context.fireChannelActive()
    }

    private var sent = false
    private func sendRequest(context: ChannelHandlerContext) {
        guard !self.sent else { return }
        self.sent = true
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: self.path, headers: self.headers)
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.status = Int(head.status.code)
        case .body(let buffer):
            self.body += String(buffer: buffer)
        case .end:
            self.promise.fail(WebSocketClientError.upgradeRefused(status: self.status ?? 0, body: self.body))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Upgrade errors are followed by the response itself (handled in channelRead).
        if error is NIOHTTPClientUpgradeError { return }
        self.promise.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(WebSocketClientError.connectionClosed)
        context.fireChannelInactive()
    }
}
