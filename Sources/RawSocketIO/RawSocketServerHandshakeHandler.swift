import Logging
import MessageTransport
import NIOCore

/// The first handler of an accepted RawSocket connection: drives `RawSocketHandshake` on what
/// arrives, answers, and on success replaces itself with a `RawSocketChannelHandler`, handing it
/// the bytes that came after the handshake (a client may send HELLO in the same write). A
/// connection that has not sent its 4 octets by the deadline is closed.
final class RawSocketServerHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var handshake: RawSocketHandshake
    private let configuration: RawSocketServerConfiguration
    private let deadline: NIODeadline?
    private let makeHandler: @Sendable (RawSocketConnection) -> any RawSocketMessageHandler
    private let logger: Logger
    private var timer: Scheduled<Void>?
    private var done = false

    init(configuration: RawSocketServerConfiguration, refusal: RawSocketHandshakeError?, deadline: NIODeadline?,
         logger: Logger, makeHandler: @escaping @Sendable (RawSocketConnection) -> any RawSocketMessageHandler) {
        self.configuration = configuration
        self.handshake = RawSocketHandshake(supportedSerializers: configuration.serializers,
                                            routerLengthExponent: configuration.lengthExponent, refusal: refusal)
        self.deadline = deadline
        self.logger = logger
        self.makeHandler = makeHandler
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard let deadline = self.deadline else { return }
        let timeout = self.configuration.handshakeTimeout
        let logger = self.logger
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            guard !self.done else { return }
            self.done = true
            RawSocketMetrics.recordHandshakeTimeout()
            logger.info("closing connection: no RawSocket handshake within the handshake timeout", metadata: [
                "handshakeTimeout": "\(timeout.map { "\($0.nanoseconds / 1_000_000) ms" } ?? "-")",
            ])
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.done else { return }
        var buffer = Self.unwrapInboundIn(data)
        switch self.handshake.receive(&buffer) {
        case .needMore:
            return
        case .fail(let reason):
            self.finish()
            RawSocketMetrics.recordHandshakeFailure()
            self.logger.info("failing RawSocket connection in its handshake", metadata: ["reason": "\(reason)"])
            context.close(promise: nil)
        case .refuse(let reply, let error):
            self.finish()
            if error == .maximumConnectionCountReached {
                RawSocketMetrics.recordConnectionRefused()
            } else {
                RawSocketMetrics.recordHandshakeFailure()
                self.logger.info("refusing RawSocket handshake", metadata: ["error": "\(error)"])
            }
            let bytes = context.channel.allocator.buffer(bytes: reply)
            context.writeAndFlush(Self.wrapOutboundOut(bytes)).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case .accept(let reply, let serializer, let clientMaxLength):
            self.finish()
            do {
                try self.open(context: context, reply: reply, serializer: serializer, clientMaxLength: clientMaxLength,
                              leftover: buffer)
            } catch {
                self.logger.error("could not install the RawSocket handler", metadata: ["error": "\(error)"])
                context.close(promise: nil)
            }
        }
    }

    private func finish() {
        self.done = true
        self.timer?.cancel()
        self.timer = nil
    }

    private func open(context: ChannelHandlerContext, reply: [UInt8], serializer: UInt8, clientMaxLength: Int,
                      leftover: ByteBuffer) throws {
        let channel = context.channel
        context.writeAndFlush(Self.wrapOutboundOut(channel.allocator.buffer(bytes: reply)), promise: nil)
        let security = self.configuration.transportSecurity
        let connection = RawSocketConnection(
            eventLoop: channel.eventLoop, serializer: serializer, maxOutboundMessageSize: clientMaxLength,
            maxInboundMessageSize: RawSocketLength.maxLength(exponent: self.configuration.lengthExponent),
            maxBacklogBytes: self.configuration.maxBacklogBytes, handshakeDeadline: self.deadline,
            handshakeTimeout: self.configuration.handshakeTimeout, remoteAddress: channel.remoteAddress,
            isSecure: security != nil, maxMessageRate: self.configuration.maxMessageRate, channelBindingSource: channelBindingSource(security, channel: channel),
            logger: self.logger)
        let handler = RawSocketChannelHandler(connection: connection, userHandler: self.makeHandler(connection),
                                              logger: self.logger)
        try context.pipeline.syncOperations.addHandler(handler, position: .after(self))
        if leftover.readableBytes > 0 { context.fireChannelRead(Self.wrapInboundOut(leftover)) }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }
}

extension RawSocketServerHandshakeHandler {
    typealias InboundOut = ByteBuffer
}
