import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Answers HTTP requests that were not upgraded: the configured page for `GET /` (and for a
/// plain GET of the WebSocket path), 404 for other paths, and for WebSocket upgrade requests the
/// upgrader refused: 404 off the WebSocket path, 403 for a disallowed `Origin`, else 400 with an
/// explanation (no supported subprotocol, bad handshake headers). Every response closes the connection, so a
/// refused upgrade never leaves a half-open session.
final class WebSocketHTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let configuration: WebSocketServerConfiguration
    private let refusalLog: UpgradeRefusalLog
    private var upgradeError: (any Error)?
    private var pending: (status: HTTPResponseStatus, contentType: String, body: String, isHead: Bool)?

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
            self.pending = self.response(to: head, remote: context.channel.remoteAddress.map { "\($0)" } ?? "?")
        case .body:
            break
        case .end:
            guard let pending = self.pending else { return }
            self.pending = nil
            self.respond(context: context, pending)
        }
    }

    private func response(to head: HTTPRequestHead, remote: String) -> (HTTPResponseStatus, String, String, Bool) {
        let isUpgrade = head.headers["Upgrade"].contains { $0.lowercased().contains("websocket") }
        if isUpgrade {
            switch WebSocketUpgradeGate.refusal(for: head, configuration: self.configuration) {
            case .path(let path):
                let shown = WebSocketUpgradeGate.printable(path)
                self.refusalLog.refused(.path, detail: shown, remote: remote)
                return (.notFound, "text/plain; charset=utf-8", "not found: WebSocket upgrades are accepted on \(WebSocketUpgradeGate.printable(self.configuration.webSocketPath ?? "/")) only\n", false)
            case .origin(let origin):
                let shown = WebSocketUpgradeGate.printable(origin)
                self.refusalLog.refused(.origin, detail: shown, remote: remote)
                return (.forbidden, "text/plain; charset=utf-8", "WebSocket upgrade refused: origin '\(shown)' is not allowed\n", false)
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
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Connection", value: "close")
        let head = HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)
        context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
        if !response.isHead {
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
