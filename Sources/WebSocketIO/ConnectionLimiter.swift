import Logging
import NIOCore
import Synchronization

/// Counts a server's open TCP connections and refuses the ones past the limit, cheaply and
/// before any HTTP parsing: HTTP 503 and close. Refusals are counted in `WebSocketMetrics`
/// and logged at most once a second, with how many there were since the last line, so a
/// connection flood cannot flood the log.
final class ConnectionLimiter: Sendable {
    private let slots: ConnectionSlots

    init(limit: Int, logger: Logger) {
        self.slots = ConnectionSlots(
            limit: limit, logger: logger,
            refusalMessage: "refused connections past the connection limit (HTTP 503; on a TLS listener closed without an answer)")
    }

    var limit: Int { self.slots.limit }
    var openConnections: Int { self.slots.openConnections }

    /// Admits `channel` (and releases its slot when it closes), or answers it 503 (when `answer`,
    /// else nothing) and closes it.
    func admit(_ channel: any Channel, answer: Bool = true) throws -> Bool {
        guard self.slots.admit(channel) else {
            WebSocketMetrics.recordConnectionRefused()
            if answer {
                try channel.pipeline.syncOperations.addHandler(ServiceUnavailableResponder())
            } else {
                channel.close(promise: nil)
            }
            return false
        }
        return true
    }
}

/// Answers HTTP 503 as soon as the connection is up, without reading the request, then closes.
private final class ServiceUnavailableResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let response: String = {
        let body = "too many connections; try again later\n"
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\n"
            + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body
    }()

    private var answered = false

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.answer(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.answer(context: context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func answer(context: ChannelHandlerContext) {
        guard !self.answered else { return }
        self.answered = true
        let bytes = ByteBuffer(string: Self.response)
        context.writeAndFlush(Self.wrapOutboundOut(bytes)).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}
