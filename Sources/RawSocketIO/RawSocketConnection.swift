import Logging
import MessageTransport
import NIOCore

/// One open RawSocket connection (after the handshake). `send` and `close` may be called from
/// any thread; the outbound path (cross-thread queue, backlog bound, flush batching) is the one
/// WebSocket uses (`MessageTransport`).
public final class RawSocketConnection: Sendable {
    public let eventLoop: any EventLoop
    /// The serializer id the client asked for and the router echoed (1 JSON, 2 MessagePack, 3 CBOR).
    public let serializer: UInt8
    /// The longest message the peer accepts: 2^(9+LENGTH) of its handshake. Nothing longer is
    /// sent (the transport drops and counts it as a last line; the application checks first).
    public let maxOutboundMessageSize: Int
    /// The longest message this side accepts (what it announced); longer ones fail the connection.
    public let maxInboundMessageSize: Int
    /// When the application's handshake (WAMP: until WELCOME or ABORT) must be over, counted
    /// from accept; nil when unbounded.
    public let handshakeDeadline: NIODeadline?
    public let handshakeTimeout: TimeAmount?
    /// The peer's address; for a Unix socket, the socket's (it has no peer address worth keying on).
    public let remoteAddress: SocketAddress?
    /// Runs over TLS.
    public let isSecure: Bool
    /// Messages per second this connection is read at most (0: no limit).
    public let maxMessageRate: Int
    private let channelBindingSource: (@Sendable (ChannelBindingType) -> EventLoopFuture<[UInt8]?>)?
    let outbound: OutboundQueue
    /// The channel handler while attached (the queue knows it only as its sink), on the loop only.
    let handler: NIOLoopBoundBox<RawSocketChannelHandler?>
    let logger: Logger

    init(eventLoop: any EventLoop, serializer: UInt8, maxOutboundMessageSize: Int, maxInboundMessageSize: Int,
         maxBacklogBytes: Int, handshakeDeadline: NIODeadline? = nil, handshakeTimeout: TimeAmount? = nil,
         remoteAddress: SocketAddress? = nil, isSecure: Bool = false, maxMessageRate: Int = 0,
         channelBindingSource: (@Sendable (ChannelBindingType) -> EventLoopFuture<[UInt8]?>)? = nil, logger: Logger) {
        self.eventLoop = eventLoop
        self.serializer = serializer
        self.maxOutboundMessageSize = maxOutboundMessageSize
        self.maxInboundMessageSize = maxInboundMessageSize
        self.handshakeDeadline = handshakeDeadline
        self.handshakeTimeout = handshakeTimeout
        self.remoteAddress = remoteAddress
        self.isSecure = isSecure
        self.maxMessageRate = maxMessageRate
        self.channelBindingSource = channelBindingSource
        self.logger = logger
        self.outbound = OutboundQueue(eventLoop: eventLoop, maxBacklogBytes: maxBacklogBytes, transportName: "RawSocket",
                                      logger: logger, recordDiscarded: { RawSocketMetrics.recordDiscarded($0) })
        self.handler = NIOLoopBoundBox.makeEmptyBox(valueType: RawSocketChannelHandler.self, eventLoop: eventLoop)
    }

    /// Bound of the outbound backlog in bytes (queued + still buffered by NIO).
    public var maxBacklogBytes: Int { self.outbound.maxBacklogBytes }

    /// Channel-binding data of the transport (TLS `tls-exporter`), nil without one.
    public func channelBinding(type: ChannelBindingType) -> EventLoopFuture<[UInt8]?> {
        self.channelBindingSource?(type) ?? self.eventLoop.makeSucceededFuture(nil)
    }

    /// Sends one message. `preparedFrame`, when given, is the whole frame
    /// (`RawSocketFrameWriter.frame`), shared by every connection the message goes to and
    /// written as it is.
    public func send(_ payload: ByteBuffer, preparedFrame: ByteBuffer? = nil) {
        self.outbound.send(OutboundMessage(payload: payload, shared: preparedFrame.map { .prepared($0) } ?? .none),
                           bytes: payload.readableBytes)
    }

    /// Sends a PING (clients only: the router never pings, Autobahn|Python cannot answer).
    public func sendPing(_ payload: ByteBuffer) {
        self.execute { $0.sendPing(payload) }
    }

    /// Flushes what is written and closes the connection (RawSocket has no closing handshake).
    public func close(reason: String) {
        self.execute { $0.closeRequested(reason: reason) }
    }

    /// Stops delivering messages after the current one, until `resumeReading()`. On the loop only.
    /// Unsent outbound bytes as last known (the on-loop estimate plus what other threads
    /// queued), for the admin status page. On the loop only.
    package var unsentBytes: Int {
        self.eventLoop.preconditionInEventLoop()
        return (self.handler.value?.backlog.estimate ?? 0) + self.outbound.queuedCrossLoopBytes
    }

    public func pauseReading() {
        self.eventLoop.preconditionInEventLoop()
        self.handler.value?.applicationPausedReading(true)
    }

    /// Delivers what waited, in order, then reads on. On the loop only.
    public func resumeReading() {
        self.eventLoop.preconditionInEventLoop()
        self.handler.value?.applicationPausedReading(false)
    }

    private func execute(_ body: @escaping @Sendable (RawSocketChannelHandler) -> Void) {
        if self.eventLoop.inEventLoop {
            if let handler = self.handler.value { body(handler) }
        } else {
            self.eventLoop.execute {
                if let handler = self.handler.value { body(handler) }
            }
        }
    }
}
