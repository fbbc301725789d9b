import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Answers HTTP requests that were not upgraded: the configured page for `GET /` (and for a
/// plain GET of the WebSocket path), 404 for other paths, and for WebSocket upgrade requests the
/// upgrader refused: 404 off the WebSocket path, 403 for a disallowed `Origin`, else 400 with an
/// explanation (no supported subprotocol, bad handshake headers). Requests for a path the
/// configured `HTTPService` handles go to it, with their body (bounded: 413 past the service's
/// limit). Every response closes the connection, so a refused upgrade never leaves a half-open
/// session.
final class WebSocketHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let configuration: WebSocketServerConfiguration
    private let refusalLog: UpgradeRefusalLog
    private var upgradeError: (any Error)?
    private var pending: (status: HTTPResponseStatus, contentType: String, body: String, isHead: Bool)?
    /// A request for the `HTTPService`, collecting its body.
    private var serviceRequest: (head: HTTPRequestHead, path: String, body: ByteBuffer, limit: Int)?
    /// The body went past the service's limit: answered 413 at the end of the request.
    private var serviceBodyTooLarge = false

    init(configuration: WebSocketServerConfiguration, refusalLog: UpgradeRefusalLog) {
        self.configuration = configuration
        self.refusalLog = refusalLog
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The upgrade handler reports why it refused before passing the request on.
        if error is HTTPParserError {
            context.close(promise: nil)
        } else {
            self.upgradeError = error
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            if let service = self.configuration.httpService, !Self.isUpgrade(head) {
                let path = WebSocketUpgradeGate.path(of: head.uri)
                if service.handles(path: path) {
                    self.startServiceRequest(head, path: path, service: service, context: context)
                    return
                }
            }
            self.pending = self.response(to: head, remote: context.channel.remoteAddress.map { "\($0)" } ?? "?")
        case .body(var chunk):
            guard var request = self.serviceRequest else { return }
            guard !self.serviceBodyTooLarge else { return }
            if request.body.readableBytes + chunk.readableBytes > request.limit {
                self.serviceBodyTooLarge = true
                self.serviceRequest?.body.clear()
                return
            }
            self.serviceRequest = nil  // keep the body buffer uniquely referenced while appending
            request.body.writeBuffer(&chunk)
            self.serviceRequest = request
        case .end:
            if let request = self.serviceRequest {
                self.serviceRequest = nil
                if self.serviceBodyTooLarge {
                    let isHead = request.head.method == .HEAD
                    if let service = self.configuration.httpService {
                        let answer = service.bodyTooLargeResponse(for: request.head, path: request.path, limit: request.limit)
                        self.write(context: context, status: answer.status, headers: answer.headers, body: answer.body, isHead: isHead)
                    } else {
                        self.respond(context: context, (.payloadTooLarge, "text/plain; charset=utf-8",
                                                        "request body over \(request.limit) bytes\n", isHead))
                    }
                    return
                }
                self.callService(request, context: context)
                return
            }
            guard let pending = self.pending else { return }
            self.pending = nil
            self.respond(context: context, pending)
        }
    }

    private static func isUpgrade(_ head: HTTPRequestHead) -> Bool {
        head.headers["Upgrade"].contains { $0.lowercased().contains("websocket") }
    }

    private func startServiceRequest(_ head: HTTPRequestHead, path: String, service: any HTTPService,
                                     context: ChannelHandlerContext) {
        let limit = max(0, service.maxBodyBytes(for: head, path: path))
        self.serviceBodyTooLarge = false
        if let declared = head.headers.first(name: "Content-Length").flatMap(Int.init), declared > limit {
            // Refused before reading it; the connection closes after the answer.
            self.serviceBodyTooLarge = true
        }
        let capacity = self.serviceBodyTooLarge ? 0 : min(limit, head.headers.first(name: "Content-Length").flatMap(Int.init) ?? 0)
        self.serviceRequest = (head, path, context.channel.allocator.buffer(capacity: capacity), limit)
    }

    private func callService(_ request: (head: HTTPRequestHead, path: String, body: ByteBuffer, limit: Int),
                             context: ChannelHandlerContext) {
        guard let service = self.configuration.httpService else { return }
        let serviceRequest = HTTPServiceRequest(
            head: request.head, path: request.path, body: request.body,
            remoteAddress: context.channel.remoteAddress, isSecure: self.configuration.transportSecurity != nil,
            eventLoop: context.eventLoop)
        let isHead = request.head.method == .HEAD
        service.respond(to: serviceRequest).hop(to: context.eventLoop).assumeIsolated().whenComplete { result in
            switch result {
            case .success(let response):
                self.write(context: context, status: response.status, headers: response.headers, body: response.body, isHead: isHead)
            case .failure:
                self.respond(context: context, (.internalServerError, "text/plain; charset=utf-8", "internal error\n", isHead))
            }
        }
    }

    private func response(to head: HTTPRequestHead, remote: String) -> (HTTPResponseStatus, String, String, Bool) {
        if Self.isUpgrade(head) {
            switch WebSocketUpgradeGate.refusal(for: head, configuration: self.configuration) {
            case .path(let path):
                let shown = WebSocketUpgradeGate.printable(path)
                self.refusalLog.refused(.path, detail: shown, remote: remote)
                return (.notFound, "text/plain; charset=utf-8", "not found: WebSocket upgrades are accepted on \(WebSocketUpgradeGate.printable(self.configuration.webSocketPath ?? "/")) only\n", false)
            case .origin(let origin):
                let shown = WebSocketUpgradeGate.printable(origin)
                self.refusalLog.refused(.origin, detail: shown, remote: remote)
                return (.forbidden, "text/plain; charset=utf-8", "WebSocket upgrade refused: origin '\(shown)' is not allowed\n", false)
            case .notServed:
                self.refusalLog.refused(.path, detail: WebSocketUpgradeGate.printable(WebSocketUpgradeGate.path(of: head.uri)), remote: remote)
                return (.notFound, "text/plain; charset=utf-8", "not found: this listener accepts no WebSocket upgrades\n", false)
            case nil:
                break
            }
            let offered = WebSocketUpgradeNegotiation.offeredSubprotocols(head.headers)
            let choice = WebSocketUpgradeNegotiation.chooseSubprotocol(
                offered: offered,
                supported: self.configuration.subprotocols,
                required: self.configuration.requireSubprotocol
            )
            if case .refused(let supported) = choice {
                return (.badRequest, "text/plain; charset=utf-8",
                        WebSocketUpgradeNegotiation.refusalBody(offered: offered, supported: supported), false)
            }
            let detail = self.upgradeError.map { "\($0)" } ?? "invalid handshake"
            return (.badRequest, "text/plain; charset=utf-8",
                    "WebSocket upgrade refused: \(detail) (need GET with Upgrade: websocket, Connection: Upgrade, Sec-WebSocket-Key and Sec-WebSocket-Version: 13)\n", false)
        }
        let path = WebSocketUpgradeGate.path(of: head.uri)
        guard head.method == .GET || head.method == .HEAD else {
            return (.methodNotAllowed, "text/plain; charset=utf-8", "method not allowed\n", head.method == .HEAD)
        }
        let isWebSocketPath = self.configuration.webSocketPath.map { WebSocketUpgradeGate.isPath(head.uri, $0) } ?? false
        guard path == "/" || isWebSocketPath else {
            return (.notFound, "text/plain; charset=utf-8", "not found\n", head.method == .HEAD)
        }
        let page = self.configuration.httpPage
        let isHTML = page.lowercased().contains("<html")
        return (.ok, isHTML ? "text/html; charset=utf-8" : "text/plain; charset=utf-8", page, head.method == .HEAD)
    }

    private func respond(context: ChannelHandlerContext, _ response: (status: HTTPResponseStatus, contentType: String, body: String, isHead: Bool)) {
        var body = context.channel.allocator.buffer(capacity: response.body.utf8.count)
        body.writeString(response.body)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        self.write(context: context, status: response.status, headers: headers, body: body, isHead: response.isHead)
    }

    private func write(context: ChannelHandlerContext, status: HTTPResponseStatus, headers: HTTPHeaders,
                       body: ByteBuffer, isHead: Bool) {
        var headers = headers
        headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
        headers.replaceOrAdd(name: "Connection", value: "close")
        let head = HTTPResponseHead(version: .http1_1, status: status, headers: headers)
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        if !isHead {
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
