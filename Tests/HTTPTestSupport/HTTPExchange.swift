import NIOCore
import NIOPosix

/// One raw HTTP/1.1 exchange over loopback TCP, for the tests of the admin listener, the status
/// page and the HTTP bridge: the request bytes as given (so a test can send what no client
/// library would), and everything the server sends until it closes. The servers under test
/// answer `Connection: close`, so the close ends the answer; a server that never closes is cut
/// off after `timeout` and the test sees what had come by then.
public enum HTTPExchange {
    public static func send(_ request: String, port: Int, timeout: TimeAmount = .seconds(10)) async throws -> String {
        let group = MultiThreadedEventLoopGroup.singleton
        let promise = group.next().makePromise(of: String.self)
        let channel = try await ClientBootstrap(group: group)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(Collector(done: promise)) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        let cutOff = channel.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
        promise.futureResult.whenComplete { _ in cutOff.cancel() }
        do {
            try await channel.writeAndFlush(ByteBuffer(string: request)).get()
        } catch {
            // A server that refuses without reading (the connection limit's 503) may answer and
            // close before the request is written; what it sent is still its answer, and the
            // collector completes on the close.
        }
        return try await promise.futureResult.get()
    }

    /// `GET path` with a Host header and the given extra header lines (`Name: value`).
    public static func get(_ path: String, port: Int, headers: [String] = []) async throws -> String {
        let extra = headers.map { $0 + "\r\n" }.joined()
        return try await send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(extra)\r\n", port: port)
    }

    /// A connection that sends nothing and is kept open until the caller closes it (to hold a
    /// server's connection slot).
    public static func idleConnection(port: Int) async throws -> any Channel {
        try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton).connect(host: "127.0.0.1", port: port).get()
    }

    /// The body of a whole answer (after the blank line), "" when there is none.
    public static func body(of answer: String) -> String {
        let bytes = Array(answer.utf8)
        let separator = Array("\r\n\r\n".utf8)
        guard bytes.count >= separator.count,
              let start = (0...(bytes.count - separator.count)).first(where: { Array(bytes[$0..<($0 + separator.count)]) == separator })
        else { return "" }
        return String(decoding: bytes[(start + separator.count)...], as: UTF8.self)
    }

    /// Collects everything the server sends until the connection closes.
    final class Collector: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        var received = ByteBuffer()
        let done: EventLoopPromise<String>
        init(done: EventLoopPromise<String>) { self.done = done }
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var chunk = Self.unwrapInboundIn(data)
            received.writeBuffer(&chunk)
        }
        func channelInactive(context: ChannelHandlerContext) { done.succeed(String(buffer: received)) }
        func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
    }
}
