import Logging
import MessageTransport
import NIOCore

/// The NIO handler of a RawSocket connection after its handshake. Thin: bytes go through
/// `RawSocketFrameParser`; this class answers PINGs, delivers messages, writes frames through
/// the shared outbound accounting (`OutboundBacklog`: one flush per tick, the backlog bound)
/// and paces reading. It never sends a PING of its own.
final class RawSocketChannelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let connection: RawSocketConnection
    private var userHandler: (any RawSocketMessageHandler)?
    private let parser: RawSocketFrameParser
    private let logger: Logger
    private(set) var context: ChannelHandlerContext?
    /// Outbound accounting and flush batching (shared with the other transport: `MessageTransport`).
    /// Unchecked exclusivity: it is touched several times per message, always on the loop, and no
    /// `OutboundBacklog` method calls out, so no access can overlap another; checked at run time
    /// it cost about 2,000 router instructions per delivered EVENT (callgrind, BENCHMARKS.md).
    @exclusivity(unchecked) var backlog: OutboundBacklog

    /// Bytes read but not yet a whole frame (or held while reading is paused).
    private var input = ByteBuffer()
    private var inRead = false
    private var closing = false
    private var closeReason = "connection closed"
    private var closeLogLevel: Logger.Level = .info
    /// `send` calls on the stack: a close inside one is reported on the next tick (the sender
    /// may hold locks that `rawSocketDidClose` takes again).
    private var sendDepth = 0
    private var pausedByApplication = false
    private var pausedForBackpressure = false
    /// Over `maxMessageRate`: not read from until its token bucket holds a token again.
    private var pausedForRate = false
    private var rateLimiter: MessageRateLimiter?
    private var rateTimer: Scheduled<Void>?
    private var readHeld = false

    init(connection: RawSocketConnection, userHandler: any RawSocketMessageHandler, logger: Logger) {
        self.connection = connection
        self.userHandler = userHandler
        self.parser = RawSocketFrameParser(maxLength: connection.maxInboundMessageSize)
        self.logger = logger
        self.backlog = OutboundBacklog(maxBytes: connection.maxBacklogBytes)
    }

    // MARK: - lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if self.connection.maxMessageRate > 0 {
            self.rateLimiter = MessageRateLimiter(rate: self.connection.maxMessageRate, now: context.eventLoop.now)
        }
        self.connection.handler.value = self
        self.connection.outbound.attach(self)
        self.userHandler?.rawSocketDidOpen(self.connection)
        if !context.channel.isActive { self.reportClosed() }
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
        self.logger.debug("RawSocket channel error", metadata: ["error": "\(error)"])
        self.closeReason = "channel error: \(error)"
        context.close(promise: nil)
    }

    private func reportClosed() {
        self.closing = true
        self.rateTimer?.cancel()
        self.rateTimer = nil
        self.connection.handler.value = nil
        self.connection.outbound.detach()
        guard let handler = self.userHandler else { return }
        self.userHandler = nil
        self.connection.outbound.reportDiscardedAtClose(level: self.closeLogLevel)
        let connection = self.connection
        let reason = self.closeReason
        if self.sendDepth > 0, let eventLoop = self.context?.eventLoop {
            eventLoop.assumeIsolated().execute { handler.rawSocketDidClose(connection, reason: reason) }
        } else {
            handler.rawSocketDidClose(connection, reason: reason)
        }
    }

    // MARK: - inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = Self.unwrapInboundIn(data)
        guard !self.closing else { return }
        if self.input.readableBytes == 0 {
            self.input = buffer
        } else {
            self.input.writeBuffer(&buffer)
        }
        self.inRead = true
        self.parseInput(context: context)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.inRead = false
        if self.backlog.flushPending { self.flushNow(context: context) }
        context.fireChannelReadComplete()
    }

    private var readsPaused: Bool { self.pausedByApplication || self.pausedForBackpressure || self.pausedForRate }

    private func parseInput(context: ChannelHandlerContext) {
        while !self.closing && !self.readsPaused {
            let event: RawSocketFrameParser.Event?
            do {
                event = try self.parser.next(&self.input)
            } catch {
                self.protocolFailure(error)
                return
            }
            guard let event else { break }
            switch event {
            case .message(let payload):
                self.userHandler?.rawSocket(self.connection, didReceive: payload)
                if self.rateLimiter != nil { self.messageCounted(context: context) }
            case .ping(let payload):
                // Exactly one PONG, echoing the payload, right away.
                self.writeFrame(.pong, payload: payload)
            case .pong(let payload):
                self.userHandler?.rawSocket(self.connection, didReceivePong: payload)
            }
        }
        if self.input.readableBytes == 0 {
            self.input.clear()
        } else if self.input.readerIndex > 64 * 1024 {
            self.input.discardReadBytes()
        }
    }

    private func protocolFailure(_ failure: RawSocketFrameParser.Failure) {
        RawSocketMetrics.recordProtocolFailure()
        let reason: String
        switch failure {
        case .tooLong(let length, let maxLength): reason = "message of \(length) octets over the announced \(maxLength)"
        case .reservedType(let type): reason = "reserved frame type \(type)"
        case .reservedBits(let bits): reason = "reserved header bits \(bits) set"
        case .invalidExtraLengthBit: reason = "X bit set with a non-zero length"
        }
        self.logger.info("failing RawSocket connection", metadata: ["reason": "\(reason)"])
        self.fail(reason)
    }

    /// Fails the connection: the spec's answer to a broken frame is closing it.
    private func fail(_ reason: String) {
        guard !self.closing, let context = self.context else { return }
        self.closing = true
        self.closeReason = reason
        self.input.clear()
        if self.backlog.flushPending { self.flushNow(context: context) }
        context.close(promise: nil)
    }

    // MARK: - outbound

    func deliverOutbound(_ item: OutboundMessage) {
        self.sendDepth += 1
        defer { self.sendDepth -= 1 }
        guard !self.closing, self.context != nil else {
            self.connection.outbound.discarded(1)
            return
        }
        let length = item.payload.readableBytes
        guard length <= self.connection.maxOutboundMessageSize else {
            // The application checks sizes before sending; this is the last line.
            RawSocketMetrics.recordOversizedDropped()
            self.logger.warning("RawSocket message longer than the peer's maximum dropped", metadata: [
                "length": "\(length)", "peerMaxLength": "\(self.connection.maxOutboundMessageSize)",
            ])
            return
        }
        switch item.shared {
        case .prepared(let frame):
            self.write(frame)
        case .none, .cache:
            // RawSocket's callers pass a prepared frame or none (its frame needs no cache).
            self.writeFrame(.message, payload: item.payload)
        }
    }

    func sendPing(_ payload: ByteBuffer) {
        guard !self.closing, payload.readableBytes <= self.connection.maxOutboundMessageSize else { return }
        self.sendDepth += 1
        defer { self.sendDepth -= 1 }
        self.writeFrame(.ping, payload: payload)
    }

    private func writeFrame(_ type: RawSocketFrameType, payload: ByteBuffer) {
        guard let context = self.context else { return }
        var header = context.channel.allocator.buffer(capacity: 4)
        RawSocketFrameWriter.writeHeader(type, length: payload.readableBytes, into: &header)
        guard self.admit(4 + payload.readableBytes, context: context) else { return }
        context.write(Self.wrapOutboundOut(header), promise: nil)
        context.write(Self.wrapOutboundOut(payload), promise: nil)
        self.wrote(4 + payload.readableBytes, context: context)
    }

    private func write(_ frame: ByteBuffer) {
        guard let context = self.context, self.admit(frame.readableBytes, context: context) else { return }
        context.write(Self.wrapOutboundOut(frame), promise: nil)
        self.wrote(frame.readableBytes, context: context)
    }

    /// Not inside a mutating call on `backlog`: the flush may call back into this handler.
    private func flushNow(context: ChannelHandlerContext) {
        self.backlog.flushStarted()
        context.flush()
        self.sampleBuffered(context: context)
    }

    /// Reads the channel outside any access to `backlog` (see `OutboundBacklog`).
    private func sampleBuffered(context: ChannelHandlerContext) {
        let buffered = OutboundBacklog.bufferedBytes(of: context.channel)
        self.backlog.sampled(bufferedBytes: buffered)
    }

    private func admit(_ size: Int, context: ChannelHandlerContext) -> Bool {
        if self.backlog.admitsOnEstimate(size) { return true }
        self.sampleBuffered(context: context)
        if self.backlog.admitsOnSample(size) { return true }
        self.backlogOverflowed(pendingBytes: 0)
        return false
    }

    private func wrote(_ size: Int, context: ChannelHandlerContext) {
        self.backlog.wrote(size)
        guard self.backlog.flushRequested(inRead: self.inRead) else { return }
        context.eventLoop.assumeIsolated().execute {
            guard self.backlog.flushHopRan(), let context = self.context else { return }
            self.flushNow(context: context)
        }
    }

    func backlogOverflowed(pendingBytes: Int) {
        guard self.backlog.overflowFirstReported() else { return }
        if let context = self.context { self.sampleBuffered(context: context) }
        RawSocketMetrics.recordBacklogOverflow()
        self.logger.warning("closing RawSocket connection: outbound backlog overflow", metadata: [
            "backlogBytes": "\(self.backlog.estimate + pendingBytes)", "maxBacklogBytes": "\(self.backlog.maxBytes)",
        ])
        self.closeLogLevel = .warning
        self.closeReason = "outbound backlog overflow"
        // A send got us here: closing from now on (later sends are discarded and counted), the
        // close itself on the next tick, off the sender's stack.
        self.closing = true
        self.connection.outbound.markClosed()
        guard let context = self.context else { return }
        context.eventLoop.assumeIsolated().execute { context.close(promise: nil) }
    }

    func closeRequested(reason: String) {
        guard !self.closing, let context = self.context else { return }
        self.closing = true
        self.closeReason = reason
        self.connection.outbound.markClosed()
        if self.backlog.flushPending { self.flushNow(context: context) }
        context.close(promise: nil)
    }

    // MARK: - read pacing

    /// The application stops message delivery until it resumes (later messages must not
    /// overtake a decision about the last one).
    /// After each delivered message when a rate limit is set: over it, reading stops for as long
    /// as the bucket needs to hold a token again (slowed, never refused).
    private func messageCounted(context: ChannelHandlerContext) {
        guard let wait = self.rateLimiter?.take(now: context.eventLoop.now), !self.pausedForRate else { return }
        self.pausedForRate = true
        RawSocketMetrics.recordRatePause()
        self.rateTimer = context.eventLoop.assumeIsolated().scheduleTask(in: wait) {
            self.rateTimer = nil
            self.pausedForRate = false
            self.resumeReading(context: context)
        }
    }

    func applicationPausedReading(_ paused: Bool) {
        guard paused != self.pausedByApplication else { return }
        self.pausedByApplication = paused
        if !paused, let context = self.context { self.resumeReading(context: context) }
    }

    func read(context: ChannelHandlerContext) {
        if self.readsPaused {
            self.readHeld = true
        } else {
            context.read()
        }
    }

    /// Above the write buffer's high-water mark (half the backlog bound) a peer that does not
    /// read is not read from either: its PINGs cannot make us buffer PONGs without bound.
    func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        if !writable && !self.pausedForBackpressure {
            self.pausedForBackpressure = true
        } else if writable && self.pausedForBackpressure {
            self.pausedForBackpressure = false
            self.resumeReading(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    private func resumeReading(context: ChannelHandlerContext) {
        guard !self.readsPaused else { return }
        if self.input.readableBytes > 0 {
            let wasInRead = self.inRead
            self.inRead = true
            self.parseInput(context: context)
            self.inRead = wasInRead
            if !wasInRead && self.backlog.flushPending { self.flushNow(context: context) }
            guard !self.readsPaused else { return }
        }
        if self.readHeld {
            self.readHeld = false
            context.read()
        }
    }
}

extension RawSocketChannelHandler: OutboundSink {
    func outboundBacklogOverflowed(pendingBytes: Int) {
        self.backlogOverflowed(pendingBytes: pendingBytes)
    }
}
