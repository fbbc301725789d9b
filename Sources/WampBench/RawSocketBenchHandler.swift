import NIOCore
import NIOPosix
import RawSocketIO

/// The client side of a WAMP RawSocket connection (spec "RawSocket Transport"), just enough for
/// the benchmark: the handshake `7F (LENGTH<<4 | SERIALIZER) 00 00`, then frames of one octet
/// `RRRR XTTT` (type 0 message, 1 PING, 2 PONG) and a 24-bit big-endian length. PINGs are
/// answered with a PONG of the same payload. Writes are batched like the WebSocket stack's: one
/// flush after the read that caused them, or one per loop tick otherwise.
///
/// The handshake and the frames are RawSocketIO's (`RawSocketClientHandshake`,
/// `RawSocketFrameParser`, `RawSocketFrameWriter`, the router's own code); this handler only
/// keeps the generator's hot path to one buffer per message (the header is written into space
/// the message reserved) and one slice per frame, without RawSocketClient's outbound queue.
final class RawSocketBenchHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let frameHeaderBytes = 4

    private enum State { case handshaking, open, closed }

    private var handshake: RawSocketClientHandshake
    private let parser: RawSocketFrameParser
    private weak var delegate: (any RawSocketBenchDelegate)?
    private var state = State.handshaking
    private var context: ChannelHandlerContext?
    private var pending: ByteBuffer?
    private var inRead = false
    private var flushPending = false
    private var flushScheduled = false
    private var closeReason: String?
    /// The router's announced maximum message length; nothing longer is sent.
    private(set) var routerMaxLength = 0

    init(serializerID: UInt8, lengthExponent: UInt8, delegate: any RawSocketBenchDelegate) {
        self.handshake = RawSocketClientHandshake(serializer: serializerID, lengthExponent: lengthExponent)
        self.parser = RawSocketFrameParser(maxLength: RawSocketLength.maxLength(exponent: lengthExponent))
        self.delegate = delegate
    }

    /// Connects to `host:port` on `loop` and sends the handshake; the delegate hears the rest.
    static func connect(host: String, port: Int, loop: any EventLoop, serializerID: UInt8, lengthExponent: UInt8,
                        delegate: any RawSocketBenchDelegate & Sendable) async throws {
        _ = try await ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = RawSocketBenchHandler(serializerID: serializerID, lengthExponent: lengthExponent, delegate: delegate)
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: host, port: port).get()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(Self.wrapOutboundOut(ByteBuffer(bytes: handshake.request)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = Self.unwrapInboundIn(data)
        if var earlier = pending {
            pending = nil
            earlier.writeBuffer(&buffer)
            buffer = earlier
        }
        inRead = true
        if state == .handshaking {
            switch handshake.receive(&buffer) {
            case .needMore:
                return
            case .refused(let code):
                return fail("router refused the handshake with error \(code) (1 serializer unsupported, 2 length unacceptable, 3 reserved bits, 4 connection limit)")
            case .invalid(let reason):
                return fail("invalid handshake reply: \(reason)")
            case .accepted(let routerMaxLength):
                self.routerMaxLength = routerMaxLength
                state = .open
                delegate?.rawSocketDidOpen(self)
            }
        }
        while state == .open {
            let event: RawSocketFrameParser.Event?
            do {
                event = try parser.next(&buffer)
            } catch {
                return fail("\(error)")
            }
            guard let event else { break }
            switch event {
            case .message(let payload): delegate?.rawSocket(self, didReceive: payload)
            case .ping(let payload): writeFrame(type: .pong, payload: payload)
            case .pong: break
            }
        }
        if state != .closed, buffer.readableBytes > 0 {
            buffer.discardReadBytes()
            pending = buffer
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        inRead = false
        if flushPending { flushNow() }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(reason: closeReason ?? "connection closed")
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail("\(error)")
    }

    /// Sends a message whose first `frameHeaderBytes` bytes are reserved for the header.
    func sendMessage(_ message: ByteBuffer) {
        guard state == .open, let context else { return }
        var framed = message
        let length = framed.readableBytes - Self.frameHeaderBytes
        guard length <= routerMaxLength else { return fail("message of \(length) octets over the router's maximum \(routerMaxLength)") }
        framed.setInteger(RawSocketFrameWriter.header(.message, length: length), at: framed.readerIndex)
        context.write(Self.wrapOutboundOut(framed), promise: nil)
        scheduleFlush()
    }

    func close() {
        guard state != .closed else { return }
        context?.close(promise: nil)
    }

    private func writeFrame(type: RawSocketFrameType, payload: ByteBuffer) {
        guard context != nil else { return }
        context!.write(Self.wrapOutboundOut(RawSocketFrameWriter.frame(type, payload: payload)), promise: nil)
        scheduleFlush()
    }

    private func scheduleFlush() {
        flushPending = true
        guard !inRead, !flushScheduled, let context else { return }
        flushScheduled = true
        context.eventLoop.execute { [self] in
            flushScheduled = false
            if flushPending { flushNow() }
        }
    }

    private func flushNow() {
        flushPending = false
        context?.flush()
    }

    private func fail(_ reason: String) {
        guard state != .closed else { return }
        closeReason = reason
        context?.close(promise: nil)
    }

    private func finish(reason: String) {
        guard state != .closed else { return }
        state = .closed
        pending = nil
        delegate?.rawSocketDidClose(self, reason: reason)
    }
}
