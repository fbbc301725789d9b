import NIOCore
import NIOPosix

/// The client side of a WAMP RawSocket connection (spec "RawSocket Transport"), just enough for
/// the benchmark: the handshake `7F (LENGTH<<4 | SERIALIZER) 00 00`, then frames of one octet
/// `RRRR XTTT` (type 0 message, 1 PING, 2 PONG) and a 24-bit big-endian length. PINGs are
/// answered with a PONG of the same payload. Writes are batched like the WebSocket stack's: one
/// flush after the read that caused them, or one per loop tick otherwise.
///
/// A minimal framer of the bench's own: it keeps the generator's hot path to one buffer per
/// message (the header is written into space the message reserved) and one slice per frame.
final class RawSocketBenchHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let frameHeaderBytes = 4
    private static let magic: UInt8 = 0x7F

    private enum State { case handshaking, open, closed }

    private let serializerID: UInt8
    /// LENGTH of our handshake: we accept messages up to 2^(9+LENGTH) octets.
    private let lengthExponent: UInt8
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
        self.serializerID = serializerID
        self.lengthExponent = lengthExponent
        self.delegate = delegate
    }

    private var maxInbound: Int { 1 << (9 + Int(lengthExponent)) }

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
        var handshake = context.channel.allocator.buffer(capacity: 4)
        handshake.writeInteger(Self.magic)
        handshake.writeInteger(lengthExponent << 4 | serializerID)
        handshake.writeInteger(UInt16(0))
        context.writeAndFlush(Self.wrapOutboundOut(handshake), promise: nil)
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
            guard buffer.readableBytes >= 4 else { pending = buffer; return }
            let reply = buffer.readBytes(length: 4)!
            guard reply[0] == Self.magic else { return fail("handshake reply without the magic octet: \(reply)") }
            let serializer = reply[1] & 0x0F
            let length = reply[1] >> 4
            if serializer == 0 {
                return fail("router refused the handshake with error \(length) (1 serializer unsupported, 2 length unacceptable, 3 reserved bits, 4 connection limit)")
            }
            guard serializer == serializerID, reply[2] == 0, reply[3] == 0 else {
                return fail("unexpected handshake reply \(reply)")
            }
            routerMaxLength = 1 << (9 + Int(length))
            state = .open
            delegate?.rawSocketDidOpen(self)
        }
        while state == .open, buffer.readableBytes >= Self.frameHeaderBytes {
            let header = buffer.getInteger(at: buffer.readerIndex, as: UInt32.self)!
            let type = UInt8(header >> 24) & 0x07
            let reserved = UInt8(header >> 24) & 0xF0
            var length = Int(header & 0xFF_FFFF)
            if header & 0x0800_0000 != 0 {
                guard length == 0 else { return fail("frame with the X bit and a length") }
                length = 1 << 24
            }
            guard reserved == 0 else { return fail("frame with reserved bits set") }
            guard length <= maxInbound else { return fail("message of \(length) octets over our maximum \(maxInbound)") }
            guard buffer.readableBytes >= Self.frameHeaderBytes + length else { break }
            buffer.moveReaderIndex(forwardBy: Self.frameHeaderBytes)
            let payload = buffer.readSlice(length: length)!
            switch type {
            case 0: delegate?.rawSocket(self, didReceive: payload)
            case 1: writeFrame(type: 2, payload: payload)
            case 2: break
            default: return fail("frame of reserved type \(type)")
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
        framed.setInteger(UInt32(length), at: framed.readerIndex)
        context.write(Self.wrapOutboundOut(framed), promise: nil)
        scheduleFlush()
    }

    func close() {
        guard state != .closed else { return }
        context?.close(promise: nil)
    }

    private func writeFrame(type: UInt8, payload: ByteBuffer) {
        guard let context else { return }
        var frame = context.channel.allocator.buffer(capacity: Self.frameHeaderBytes + payload.readableBytes)
        frame.writeInteger(UInt32(type) << 24 | UInt32(payload.readableBytes))
        frame.writeImmutableBuffer(payload)
        context.write(Self.wrapOutboundOut(frame), promise: nil)
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
