import NIOCore
import NIOPosix

/// A TCP server that writes `script` to each client and, when asked, answers the first PING
/// with PONG and nothing after: a server that stops answering.
final class FakeServer: @unchecked Sendable {
    private let channel: any Channel
    let port: Int

    init(script: String, answerFirstPing: Bool) throws {
        channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { child in
                child.eventLoop.makeCompletedFuture {
                    try child.pipeline.syncOperations.addHandler(Handler(script: script, answerFirstPing: answerFirstPing))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        port = channel.localAddress!.port!
    }

    func stop() { channel.close(promise: nil) }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        let script: String
        var answerPing: Bool
        var received = ""

        init(script: String, answerFirstPing: Bool) {
            self.script = script
            self.answerPing = answerFirstPing
        }

        func channelActive(context: ChannelHandlerContext) {
            context.writeAndFlush(NIOAny(ByteBuffer(string: script)), promise: nil)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += String(buffer: unwrapInboundIn(data))
            if answerPing, received.contains("PING\r\n") {
                answerPing = false
                context.writeAndFlush(NIOAny(ByteBuffer(string: "PONG\r\n")), promise: nil)
            }
        }
    }
}
