import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOWebSocket
import Synchronization

/// One open WebSocket. `send` and `close` may be called from any thread.
///
/// Sending on the connection's own event loop writes the frame straight into the channel and
/// schedules one flush for the tick. Sending from another thread appends to a lock-protected
/// queue; the first message of a batch schedules a single `execute` hop that drains the whole
/// queue on the loop. No Task, actor hop or per-message closure on this path.
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

    struct CrossLoopQueue {
        var items: [(ByteBuffer, WebSocketMessageKind, SharedFrameSource)] = []
        var bytes = 0
        var hopScheduled = false
        var closed = false
        var overflowed = false
    }

    private let crossLoop = NIOLockedValueBox(CrossLoopQueue())
    /// Set while the cross-thread queue holds messages. A send on the loop drains them first, so
    /// a message sent after another (in any thread's order that a lock or a reply establishes)
    /// is never written before it. Checked without the lock: one atomic load per send.
    private let crossLoopPending = Atomic<Bool>(false)
    private let handlerBox: NIOLoopBoundBox<WebSocketChannelHandler?>
    /// Messages this connection dropped because it was closing; said in the close's log line.
    private let discardedCount = Atomic<Int>(0)
    /// Set once the close was logged: what is dropped after that is the routing racing the
    /// session's leave, counted but logged at debug only.
    private let closeReported = Atomic<Bool>(false)

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
        self.handlerBox = NIOLoopBoundBox.makeEmptyBox(valueType: WebSocketChannelHandler.self, eventLoop: eventLoop)
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
        if self.eventLoop.inEventLoop {
            if self.crossLoopPending.load(ordering: .acquiring) {
                self.drainCrossLoopQueue()
            }
            if let handler = self.handlerBox.value {
                handler.sendMessage(payload, kind: kind, shared: shared)
            } else {
                self.discarded(1)
            }
            return
        }
        enum Next { case nothing, hop, discard, discardAndHop }
        let maxBacklogBytes = self.maxBacklogBytes
        let next = self.crossLoop.withLockedValue { queue -> Next in
            // Overflowed is for good: the connection is closing, so this is dropped and counted.
            if queue.closed || queue.overflowed { return .discard }
            let overflows = queue.bytes > 0 && queue.bytes + payload.readableBytes > maxBacklogBytes
            if overflows {
                queue.overflowed = true
            } else {
                queue.items.append((payload, kind, shared))
                queue.bytes += payload.readableBytes
                self.crossLoopPending.store(true, ordering: .releasing)
            }
            if queue.hopScheduled { return overflows ? .discard : .nothing }
            queue.hopScheduled = true
            return overflows ? .discardAndHop : .hop
        }
        switch next {
        case .nothing: break
        case .discard: self.discarded(1)
        case .hop: self.eventLoop.execute { self.drainCrossLoopQueue() }
        case .discardAndHop:
            self.discarded(1)
            self.eventLoop.execute { self.drainCrossLoopQueue() }
        }
    }

    /// Starts the closing handshake: sends a close frame, waits for the peer's close frame (up to
    /// a timeout), then closes TCP.
    public func close(code: WebSocketErrorCode, reason: String) {
        if self.eventLoop.inEventLoop {
            self.handlerBox.value?.closeRequested(code: code, reason: reason)
        } else {
            self.eventLoop.execute {
                self.handlerBox.value?.closeRequested(code: code, reason: reason)
            }
        }
    }

    /// Stops delivering messages after the current one, until `resumeReading()`; bytes that
    /// arrive meanwhile wait unparsed and NIO stops reading the socket. On the loop only.
    public func pauseReading() {
        self.eventLoop.preconditionInEventLoop()
        self.handlerBox.value?.applicationPausedReading(true)
    }

    /// Delivers what waited, in order, then reads on. On the loop only.
    public func resumeReading() {
        self.eventLoop.preconditionInEventLoop()
        self.handlerBox.value?.applicationPausedReading(false)
    }

    // MARK: - loop side

    func attach(_ handler: WebSocketChannelHandler) {
        self.handlerBox.value = handler
    }

    func detach() {
        self.handlerBox.value = nil
        self.markClosed()
    }

    /// After this, cross-thread sends are discarded (and counted) without a hop.
    func markClosed() {
        let dropped = self.crossLoop.withLockedValue { queue -> Int in
            queue.closed = true
            self.crossLoopPending.store(false, ordering: .releasing)
            let count = queue.items.count
            queue.items.removeAll()
            queue.bytes = 0
            return count
        }
        if dropped > 0 { self.discarded(dropped) }
    }

    private func drainCrossLoopQueue() {
        guard let handler = self.handlerBox.value else {
            self.markClosed()
            return
        }
        var overflowed = false
        var pendingBytes = 0
        self.crossLoop.withLockedValue { queue in
            swap(&queue.items, &handler.drainSpare)
            pendingBytes = queue.bytes
            queue.bytes = 0
            queue.hopScheduled = false
            self.crossLoopPending.store(false, ordering: .releasing)
            overflowed = queue.overflowed
        }
        if overflowed {
            if !handler.drainSpare.isEmpty { self.discarded(handler.drainSpare.count) }
            handler.drainSpare.removeAll(keepingCapacity: true)
            handler.backlogOverflowed(pendingCrossLoopBytes: pendingBytes)
            return
        }
        for (payload, kind, shared) in handler.drainSpare {
            handler.sendMessage(payload, kind: kind, shared: shared)
        }
        handler.drainSpare.removeAll(keepingCapacity: true)
    }

    func discarded(_ count: Int) {
        WebSocketMetrics.recordDiscarded(count)
        self.discardedCount.wrappingAdd(count, ordering: .relaxed)
        if self.closeReported.load(ordering: .relaxed) {
            self.logger.debug("WebSocket message discarded: connection is closed", metadata: ["count": "\(count)"])
        }
    }

    /// Logs, once, at the level of the close, how many messages the closing connection dropped.
    func reportDiscardedAtClose(level: Logger.Level) {
        guard !self.closeReported.exchange(true, ordering: .relaxed) else { return }
        let count = self.discardedCount.load(ordering: .relaxed)
        guard count > 0 else { return }
        self.logger.log(level: level, "WebSocket connection closed with unsent messages dropped", metadata: ["dropped": "\(count)"])
    }
}
