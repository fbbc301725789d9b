import Logging
import MessageTransport
import NIOCore

/// Sends the client's handshake when the connection is up, reads the router's reply, and on
/// acceptance replaces itself with a `RawSocketChannelHandler` (passing on what followed).
final class RawSocketClientHandshakeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var handshake: RawSocketClientHandshake
    private let maxBacklogBytes: Int
    private let isSecure: Bool
    private let bindingSource: (@Sendable (ChannelBindingType) -> EventLoopFuture<[UInt8]?>)?
    private let handler: any RawSocketMessageHandler
    private let logger: Logger
    private let promise: EventLoopPromise<RawSocketConnection>
    private var done = false

    init(handshake: RawSocketClientHandshake, maxBacklogBytes: Int, isSecure: Bool,
         bindingSource: (@Sendable (ChannelBindingType) -> EventLoopFuture<[UInt8]?>)?,
         handler: any RawSocketMessageHandler, logger: Logger, promise: EventLoopPromise<RawSocketConnection>) {
        self.handshake = handshake
        self.maxBacklogBytes = maxBacklogBytes
        self.isSecure = isSecure
        self.bindingSource = bindingSource
        self.handler = handler
        self.logger = logger
        self.promise = promise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.sendRequest(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.sendRequest(context: context)
        context.fireChannelActive()
    }

    private var requested = false

    private func sendRequest(context: ChannelHandlerContext) {
        guard !self.requested else { return }
        self.requested = true
        context.writeAndFlush(Self.wrapOutboundOut(context.channel.allocator.buffer(bytes: self.handshake.request)),
                              promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if !self.done {
            self.done = true
            self.promise.fail(RawSocketClientError.closedDuringHandshake)
        }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.done else { return }
        var buffer = Self.unwrapInboundIn(data)
        switch self.handshake.receive(&buffer) {
        case .needMore:
            return
        case .refused(let code):
            self.done = true
            self.promise.fail(RawSocketClientError.refused(code: code))
            context.close(promise: nil)
        case .invalid(let reason):
            self.done = true
            self.promise.fail(RawSocketClientError.invalidReply(reason))
            context.close(promise: nil)
        case .accepted(let routerMaxLength):
            self.done = true
            let channel = context.channel
            let connection = RawSocketConnection(
                eventLoop: channel.eventLoop, serializer: self.handshake.serializer,
                maxOutboundMessageSize: routerMaxLength,
                maxInboundMessageSize: RawSocketLength.maxLength(exponent: self.handshake.lengthExponent),
                maxBacklogBytes: self.maxBacklogBytes, remoteAddress: channel.remoteAddress, isSecure: self.isSecure,
                channelBindingSource: self.bindingSource, logger: self.logger)
            do {
                let handler = RawSocketChannelHandler(connection: connection, userHandler: self.handler, logger: self.logger)
                try context.pipeline.syncOperations.addHandler(handler, position: .after(self))
            } catch {
                self.promise.fail(error)
                context.close(promise: nil)
                return
            }
            self.promise.succeed(connection)
            if buffer.readableBytes > 0 { context.fireChannelRead(Self.wrapInboundOut(buffer)) }
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}
