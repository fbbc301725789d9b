import NIOCore

/// Reads server operations off the channel and hands each to `onOperation`, in order, on the
/// channel's event loop. A protocol error (anything the parser throws) goes to `onError` and
/// closes the channel: after a malformed operation nothing later on the stream can be trusted.
final class NATSChannelHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private var parser: NATSServerOperationParser
    private var cumulation: ByteBuffer?
    private let onOperation: (NATSServerOperation) -> Void
    private let onError: (NATSError) -> Void
    private var failed = false

    init(
        maxControlLine: Int, onOperation: @escaping (NATSServerOperation) -> Void,
        onError: @escaping (NATSError) -> Void
    ) {
        self.parser = NATSServerOperationParser(maxControlLine: maxControlLine)
        self.onOperation = onOperation
        self.onError = onError
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        var bytes = unwrapInboundIn(data)
        if var existing = cumulation {
            cumulation = nil
            existing.writeBuffer(&bytes)
            bytes = existing
        }
        do {
            while let operation = try parser.next(from: &bytes) {
                if case .info(let info) = operation { parser.maxPayload = info.maxPayload }
                onOperation(operation)
                if failed { return }
            }
        } catch {
            failed = true
            onError(error as? NATSError ?? .malformedOperation("\(error)"))
            context.close(promise: nil)
            return
        }
        if bytes.readableBytes > 0 {
            bytes.discardReadBytes()
            cumulation = bytes
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
