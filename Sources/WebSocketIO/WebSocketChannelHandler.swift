import Logging
import NIOCore
import NIOWebSocket

/// The NIO handler of an upgraded connection. Thin: bytes go through `WebSocketFrameParser` and
/// `WebSocketInboundAssembler`, closing decisions come from `WebSocketStateMachine`; this class
/// only performs the resulting I/O, batches outbound writes (one flush per loop tick) and
/// accounts the outbound backlog.
final class WebSocketChannelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    /// Only NIO's idle frame encoder writes through us; its bytes pass unchanged. We are duplex
    /// to hold the pipeline's `read` while reading is paused (`+ReadPacing`).
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Messages shorter than this are sent uncompressed even when permessage-deflate is on.
    /// 1: once negotiated every non-empty message is compressed, as Autobahn|Python and `websockets` do
    /// (some peers mishandle uncompressed messages on a deflate session).
    static let minimumCompressedSize = 1

    let connection: WebSocketConnection
    private var userHandler: (any WebSocketMessageHandler)?
    private let role: WebSocketStateMachine.Role
    var stateMachine: WebSocketStateMachine
    private var parser: WebSocketFrameParser
    private var assembler: WebSocketInboundAssembler
    let deflate: PerMessageDeflateConfiguration?
    /// The connection's own compressor, with context takeover only (`+Compression`).
    var compressor: PerMessageDeflateCompressor?
    private let closeTimeout: TimeAmount
    let limits: WebSocketPeerLimits
    var logger: Logger

    private(set) var context: ChannelHandlerContext?
    var inRead = false
    private var inputBroken = false
    private var scheduledClose: Scheduled<Void>?
    /// `sendMessage` calls on the stack. A channel that closes inside one (a failed flush, say)
    /// reports to the user handler on the next tick: the sender may hold routing locks that
    /// `webSocketDidClose` takes again.
    private var sendDepth = 0
    /// Level at which the close is logged, and with it what the close dropped.
    var closeLogLevel: Logger.Level = .info
    /// Reading from the peer is paused while its outbound backlog is above the write buffer's
    /// high-water mark (a peer that does not read cannot make us buffer its pongs without bound).
    var pausedForBackpressure = false
    /// A `read` from the pipeline held while paused, passed on when reading resumes.
    var readHeld = false
    /// Bytes read but not yet parsed when reading paused; parsed first when it resumes.
    var heldInput: ByteBuffer?
    /// Auto-ping (`+Keepalive`): when the peer was last heard, the pending ping, the timer.
    var lastInbound = NIODeadline.distantPast
    var pingSentAt: NIODeadline?
    var bufferedAtPing = 0
    var keepaliveTimer: Scheduled<Void>?
    /// `--max-message-rate` (`+ReadPacing`): the bucket, and the pause until it refills.
    var rateLimiter: MessageRateLimiter?
    var pausedForRate = false
    /// Set by `WebSocketConnection.pauseReading()` (`+ReadPacing`).
    var pausedByApplication = false
    var rateTimer: Scheduled<Void>?
    /// Outbound accounting and flush batching (shared with the other transport: `MessageTransport`).
    /// Unchecked exclusivity: it is touched several times per message, always on the loop, and no
    /// `OutboundBacklog` method calls out, so no access can overlap another; checked at run time
    /// it cost about 2,000 router instructions per delivered EVENT (callgrind, BENCHMARKS.md).
    @exclusivity(unchecked) var backlog: OutboundBacklog
    var flushPending: Bool { self.backlog.flushPending }
    var bufferedAtSample: Int { self.backlog.bufferedAtSample }

    init(
        role: WebSocketStateMachine.Role,
        connection: WebSocketConnection,
        userHandler: any WebSocketMessageHandler,
        maxMessageSize: Int,
        deflate: PerMessageDeflateConfiguration?,
        closeTimeout: TimeAmount = .seconds(5),
        limits: WebSocketPeerLimits = WebSocketPeerLimits(),
        logger: Logger
    ) throws {
        self.limits = limits
        self.role = role
        self.connection = connection
        self.userHandler = userHandler
        self.stateMachine = WebSocketStateMachine(role: role)
        self.parser = WebSocketFrameParser(maxFrameLength: maxMessageSize)
        self.deflate = deflate
        self.assembler = WebSocketInboundAssembler(
            role: role == .server ? .server : .client,
            maxMessageSize: maxMessageSize,
            maxFragments: limits.maxFragments,
            deflate: deflate
        )
        self.closeTimeout = closeTimeout
        self.logger = logger
        self.backlog = OutboundBacklog(maxBytes: connection.maxBacklogBytes)
    }

    // MARK: - lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if self.limits.maxMessageRate > 0 {
            self.rateLimiter = MessageRateLimiter(rate: self.limits.maxMessageRate, now: context.eventLoop.now)
        }
        self.connection.attach(self)
        self.userHandler?.webSocketDidOpen(self.connection)
        if !context.channel.isActive {
            self.reportClosed()
        } else {
            self.startKeepalive(context: context)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.reportClosed()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.reportClosed()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.logger.debug("WebSocket channel error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    private func reportClosed() {
        self.scheduledClose?.cancel()
        self.scheduledClose = nil
        self.keepaliveTimer?.cancel()
        self.keepaliveTimer = nil
        self.rateTimer?.cancel()
        self.rateTimer = nil
        self.connection.detach()
        guard let reason = self.stateMachine.channelClosed() else { return }
        self.connection.reportDiscardedAtClose(level: self.closeLogLevel)
        guard let handler = self.userHandler else { return }
        self.userHandler = nil
        let connection = self.connection
        if self.sendDepth > 0, let eventLoop = self.context?.eventLoop {
            eventLoop.assumeIsolated().execute { handler.webSocketDidClose(connection, reason: reason) }
        } else {
            handler.webSocketDidClose(connection, reason: reason)
        }
    }

    // MARK: - inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.inputBroken else { return }
        var buffer = Self.unwrapInboundIn(data)
        self.inRead = true
        if self.limits.autoPing != nil { self.lastInbound = context.eventLoop.now }
        if self.heldInput != nil {
            // Paused, and NIO is finishing the read cycle it started: keep the bytes in order.
            self.heldInput!.writeBuffer(&buffer)
            return
        }
        self.parseInput(&buffer, context: context)
    }

    /// Parses and handles frames until the bytes run out or reading pauses (the rest is held).
    func parseInput(_ buffer: inout ByteBuffer, context: ChannelHandlerContext) {
        while self.stateMachine.state != .closing && self.stateMachine.state != .closed {
            if self.readsPaused {
                if buffer.readableBytes > 0 { self.heldInput = buffer }
                return
            }
            let event: WebSocketFrameParser.Event?
            do {
                event = try self.parser.next(&buffer)
            } catch {
                self.inputBroken = true
                switch error {
                case .frameTooLarge(let length):
                    self.fail(.messageTooLarge, "frame of \(length) bytes above the message size limit")
                case .invalidLength:
                    self.fail(.protocolError, "invalid frame length")
                }
                break
            }
            guard let event else { break }
            self.handle(self.assembler.receive(event), context: context)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.inRead = false
        if self.flushPending { self.flushNow() }
        context.fireChannelReadComplete()
    }

    private func handle(_ output: WebSocketInboundAssembler.Output, context: ChannelHandlerContext) {
        switch output {
        case .none, .pong:
            break
        case .message(let payload, let kind):
            if self.stateMachine.isOpen {
                self.userHandler?.webSocket(self.connection, didReceive: payload, kind: kind)
                if self.rateLimiter != nil { self.messageCounted(context: context) }
            }
        case .ping(let payload):
            if self.stateMachine.isOpen {
                self.writeControlFrame(opcode: .pong, data: payload)
            }
        case .close(let payload):
            switch WebSocketClosePayload.parse(payload) {
            case .valid(let code, let reason):
                self.perform(self.stateMachine.receivedClose(code: code, reason: reason))
            case .invalid(let code, let reason):
                self.logger.debug("invalid close frame", metadata: ["reason": "\(reason)"])
                self.perform(self.stateMachine.receivedInvalidClose(failWith: code, reason: reason))
            }
        case .failure(let code, let reason):
            self.fail(code, reason)
        }
    }

    private func fail(_ code: WebSocketErrorCode, _ reason: String) {
        self.logger.debug("failing WebSocket connection", metadata: ["code": "\(code)", "reason": "\(reason)"])
        self.perform(self.stateMachine.closeRequested(code: code, reason: reason))
    }

    // MARK: - outbound

    func sendMessage(_ payload: ByteBuffer, kind: WebSocketMessageKind, shared: SharedFrameSource = .none) {
        self.sendDepth += 1
        defer { self.sendDepth -= 1 }
        guard self.stateMachine.isOpen, let context = self.context else {
            self.connection.discarded(1)
            return
        }
        let compress = self.deflate.map { $0.canCompress && payload.readableBytes >= Self.minimumCompressedSize } ?? false
        if self.role == .server, let frame = self.sharedFrame(payload, kind: kind, compress: compress, shared: shared) {
            // Shared by every connection this message goes to: one write, no header of our own.
            guard self.admitToBacklog(frame.readableBytes, context: context) else { return }
            context.write(Self.wrapOutboundOut(frame), promise: nil)
            self.backlog.wrote(frame.readableBytes)
            self.scheduleFlush()
            return
        }
        var data = payload
        if compress {
            do {
                data = try self.compress(payload, allocator: context.channel.allocator)
            } catch {
                self.logger.error("permessage-deflate compression failed", metadata: ["error": "\(error)"])
                self.fail(.unexpectedServerError, "compression failed")
                return
            }
        }
        let size = data.readableBytes
        guard self.admitToBacklog(size, context: context) else { return }
        self.writeFrame(opcode: kind == .text ? .text : .binary, rsv1: compress, data: data)
        self.backlog.wrote(size)
        self.scheduleFlush()
    }

    /// Pongs and pings: router-made frames count against the backlog like messages do.
    func writeControlFrame(opcode: WebSocketOpcode, data: ByteBuffer) {
        guard let context = self.context else { return }
        self.sendDepth += 1
        defer { self.sendDepth -= 1 }
        let size = data.readableBytes + 2
        guard self.admitToBacklog(size, context: context) else { return }
        self.writeFrame(opcode: opcode, data: data)
        self.backlog.wrote(size)
        self.scheduleFlush()
    }

    /// False (and the connection is being closed for backlog overflow) when `size` more bytes
    /// would take the unsent backlog past the bound. One message on an empty backlog always goes.
    private func admitToBacklog(_ size: Int, context: ChannelHandlerContext) -> Bool {
        if self.backlog.admitsOnEstimate(size) { return true }
        self.sampleBuffered(context: context)
        if self.backlog.admitsOnSample(size) { return true }
        self.backlogOverflowed()
        return false
    }

    /// - Parameter pendingCrossLoopBytes: bytes still waiting in the connection's cross-thread
    ///   queue (they are dropped with the connection).
    func backlogOverflowed(pendingCrossLoopBytes: Int = 0) {
        // Once per connection: sends racing the deferred close land here again, and must not
        // count or log the same overflow twice.
        guard self.backlog.overflowFirstReported() else { return }
        if let context = self.context { self.sampleBuffered(context: context) }
        let backlog = self.backlog.estimate + pendingCrossLoopBytes
        WebSocketMetrics.recordBacklogOverflow()
        self.logger.warning(
            "closing WebSocket connection: outbound backlog overflow",
            metadata: ["backlogBytes": "\(backlog)", "maxBacklogBytes": "\(self.connection.maxBacklogBytes)"]
        )
        self.closeLogLevel = .warning
        let action = self.stateMachine.backlogOverflowed(limit: self.connection.maxBacklogBytes)
        // A send got us here, and closing the channel runs `webSocketDidClose` (the session leaves
        // its realm). So: closing from now on (later sends are discarded and counted), and the
        // close itself on the next tick, off the sender's stack.
        self.connection.markClosed()
        guard action != .none, let context = self.context else { return }
        context.eventLoop.assumeIsolated().execute { self.perform(action) }
    }

    func closeRequested(code: WebSocketErrorCode, reason: String) {
        self.perform(self.stateMachine.closeRequested(code: code, reason: reason))
    }

    private func maskKey() -> WebSocketMaskingKey? {
        self.role == .client ? .random() : nil
    }

    /// Writes one unfragmented frame: its header, then the payload (masked on a copy for clients).
    @discardableResult
    private func writeFrame(opcode: WebSocketOpcode, rsv1: Bool = false, data: ByteBuffer, flush: Bool = false) -> EventLoopFuture<Void>? {
        guard let context = self.context else { return nil }
        let maskKey = self.maskKey()
        let header = WebSocketFrameWriter.header(
            opcode: opcode, rsv1: rsv1, length: data.readableBytes, maskKey: maskKey, allocator: context.channel.allocator)
        context.write(Self.wrapOutboundOut(header), promise: nil)
        var payload = data
        if let maskKey { payload.webSocketMask(maskKey) }
        guard flush else {
            context.write(Self.wrapOutboundOut(payload), promise: nil)
            return nil
        }
        return context.writeAndFlush(Self.wrapOutboundOut(payload))
    }

    private func scheduleFlush() {
        guard self.backlog.flushRequested(inRead: self.inRead), let context = self.context else { return }
        context.eventLoop.assumeIsolated().execute {
            if self.backlog.flushHopRan() { self.flushNow() }
        }
    }

    func flushNow() {
        guard let context = self.context else { return }
        self.backlog.flushStarted()
        context.flush()
        self.sampleBuffered(context: context)
    }

    /// Reads the channel outside any access to `backlog` (see `OutboundBacklog`).
    func sampleBuffered(context: ChannelHandlerContext) {
        let buffered = OutboundBacklog.bufferedBytes(of: context.channel)
        self.backlog.sampled(bufferedBytes: buffered)
    }

    // MARK: - closing

    func perform(_ action: WebSocketStateMachine.Action) {
        guard let context = self.context else { return }
        if !self.stateMachine.isOpen { self.connection.markClosed() }
        switch action {
        case .none:
            break
        case .sendCloseAndWait(let code, let reason):
            _ = self.writeClose(code: code, reason: reason, context: context)
            self.startCloseTimer(context: context)
        case .sendCloseAndCloseChannel(let code, let reason):
            let written = self.writeClose(code: code, reason: reason, context: context)
            self.startCloseTimer(context: context)
            written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case .sendCloseAndAbort(let code, let reason):
            _ = self.writeClose(code: code, reason: reason, context: context)
            context.close(promise: nil)
        case .closeChannel:
            if self.flushPending { self.flushNow() }
            context.close(promise: nil)
        case .waitForChannelClose:
            self.startCloseTimer(context: context)
        }
    }

    private func writeClose(code: WebSocketErrorCode?, reason: String, context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        let payload = WebSocketClosePayload.make(code: code, reason: reason, allocator: context.channel.allocator)
        self.backlog.flushTakenOver()
        self.backlog.wrote(payload.readableBytes + 2)
        return self.writeFrame(opcode: .connectionClose, data: payload, flush: true) ?? context.eventLoop.makeSucceededVoidFuture()
    }

    private func startCloseTimer(context: ChannelHandlerContext) {
        guard self.scheduledClose == nil else { return }
        self.scheduledClose = context.eventLoop.assumeIsolated().scheduleTask(in: self.closeTimeout) {
            self.scheduledClose = nil
            self.perform(self.stateMachine.closeTimedOut())
        }
    }
}

extension WebSocketChannelHandler: OutboundSink {
    func deliverOutbound(_ message: OutboundMessage) {
        self.sendMessage(message.payload, kind: message.isBinary ? .binary : .text, shared: message.shared)
    }

    func outboundBacklogOverflowed(pendingBytes: Int) {
        self.backlogOverflowed(pendingCrossLoopBytes: pendingBytes)
    }
}
