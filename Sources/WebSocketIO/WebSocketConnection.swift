import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket
import Synchronization

/// One open WebSocket. `send` and `close` may be called from any thread.
///
/// Sending on the connection's own event loop writes the frame straight into the channel and
/// schedules one flush for the tick; from another thread it goes through the shared
/// `OutboundQueue` (one `execute` hop per batch).
public final class WebSocketConnection: Sendable {
    public let eventLoop: any EventLoop
    /// The negotiated subprotocol, if any.
    public let subprotocol: String?
    /// Bound of the outbound backlog in bytes (queued + still buffered by NIO).
    public let maxBacklogBytes: Int
    /// When the application's handshake (WAMP: until WELCOME or ABORT) must be over, counted
    /// from TCP accept; nil when the server has no handshake timeout.
    public let handshakeDeadline: NIODeadline?
    /// The configured handshake timeout, for the application's message when it fires.
    public let handshakeTimeout: TimeAmount?
    /// The peer's address as TCP saw it (what per-address policies such as slowing repeated
    /// authentication failures key on).
    public let remoteAddress: SocketAddress?
    /// Whether the connection runs over a secure transport (TLS: `wss://`).
    public let isSecure: Bool
    private let channelBindingSource: (@Sendable (ChannelBindingType) -> EventLoopFuture<[UInt8]?>)?
    let logger: Logger

    /// The cross-thread outbound queue (shared with RawSocket: `MessageTransport`).
    let outbound: OutboundQueue
    /// The channel handler while attached (the queue knows it only as its sink), on the loop only.
    private let handler: NIOLoopBoundBox<WebSocketChannelHandler?>

    init(eventLoop: any EventLoop, subprotocol: String?, maxBacklogBytes: Int, handshakeDeadline: NIODeadline? = nil,
         handshakeTimeout: TimeAmount? = nil, remoteAddress: SocketAddress? = nil, isSecure: Bool = false,
         channelBindingSource: (@Sendable (ChannelBindingType) -> EventLoopFuture<[UInt8]?>)? = nil, logger: Logger) {
        self.eventLoop = eventLoop
        self.isSecure = isSecure
        self.channelBindingSource = channelBindingSource
        self.subprotocol = subprotocol
        self.maxBacklogBytes = maxBacklogBytes
        self.handshakeDeadline = handshakeDeadline
        self.handshakeTimeout = handshakeTimeout
        self.remoteAddress = remoteAddress
        self.logger = logger
        self.outbound = OutboundQueue(eventLoop: eventLoop, maxBacklogBytes: maxBacklogBytes, transportName: "WebSocket",
                                      logger: logger, recordDiscarded: { WebSocketMetrics.recordDiscarded($0) })
        self.handler = NIOLoopBoundBox.makeEmptyBox(valueType: WebSocketChannelHandler.self, eventLoop: eventLoop)
    }

    /// Channel-binding data of this connection's transport (RFC 9266 `tls-exporter`: 32 bytes),
    /// or nil when the transport has none (plain TCP, TLS 1.2).
    public func channelBinding(type: ChannelBindingType) -> EventLoopFuture<[UInt8]?> {
        self.channelBindingSource?(type) ?? self.eventLoop.makeSucceededFuture(nil)
    }

    /// Sends one message. The payload is not copied when sent uncompressed, so one buffer can be
    /// fanned out to many connections.
    public func send(_ payload: ByteBuffer, kind: WebSocketMessageKind = .text) {
        self.send(payload, kind: kind, shared: .none)
    }

    /// Sends one message for which the caller may hold the whole frame already
    /// (`WebSocketFrameWriter.preparedFrame`), shared by every connection it goes to: a server
    /// connection that does not compress writes that buffer as it is, in one write.
    public func send(_ payload: ByteBuffer, kind: WebSocketMessageKind, preparedFrame: ByteBuffer?) {
        self.send(payload, kind: kind, shared: preparedFrame.map { .prepared($0) } ?? .none)
    }

    /// Sends one message that goes to many connections, whose frames `frameCache` builds once:
    /// a server connection that does not compress writes the shared uncompressed frame, one that
    /// compresses without context takeover the shared compressed frame for its window size (the
    /// message is compressed once, not once per connection), one with context takeover
    /// compresses its own copy.
    public func send(_ payload: ByteBuffer, kind: WebSocketMessageKind, frameCache: any WebSocketFrameCache) {
        self.send(payload, kind: kind, shared: .cache(frameCache))
    }

    func send(_ payload: ByteBuffer, kind: WebSocketMessageKind, shared: SharedFrameSource) {
        self.outbound.send(OutboundMessage(payload: payload, isBinary: kind == .binary, shared: shared),
                           bytes: payload.readableBytes)
    }

    /// Starts the closing handshake: sends a close frame, waits for the peer's close frame (up to
    /// a timeout), then closes TCP.
    public func close(code: WebSocketErrorCode, reason: String) {
        if self.eventLoop.inEventLoop {
            self.handler.value?.closeRequested(code: code, reason: reason)
        } else {
            self.eventLoop.execute {
                self.handler.value?.closeRequested(code: code, reason: reason)
            }
        }
    }

    /// Stops delivering messages after the current one, until `resumeReading()`; bytes that
    /// arrive meanwhile wait unparsed and NIO stops reading the socket. On the loop only.
    public func pauseReading() {
        self.eventLoop.preconditionInEventLoop()
        self.handler.value?.applicationPausedReading(true)
    }

    /// Delivers what waited, in order, then reads on. On the loop only.
    public func resumeReading() {
        self.eventLoop.preconditionInEventLoop()
        self.handler.value?.applicationPausedReading(false)
    }

    /// Unsent outbound bytes as last known (the on-loop estimate plus what other threads
    /// queued), for the admin status page. On the loop only.
    package var unsentBytes: Int {
        self.eventLoop.preconditionInEventLoop()
        return (self.handler.value?.backlog.estimate ?? 0) + self.outbound.queuedCrossLoopBytes
    }

    // MARK: - loop side

    func attach(_ handler: WebSocketChannelHandler) {
        self.handler.value = handler
        self.outbound.attach(handler)
    }

    func detach() {
        self.handler.value = nil
        self.outbound.detach()
    }

    /// After this, cross-thread sends are discarded (and counted) without a hop.
    func markClosed() {
        self.outbound.markClosed()
    }

    func discarded(_ count: Int) {
        self.outbound.discarded(count)
    }

    /// Logs, once, at the level of the close, how many messages the closing connection dropped.
    func reportDiscardedAtClose(level: Logger.Level) {
        self.outbound.reportDiscardedAtClose(level: level)
    }
}
