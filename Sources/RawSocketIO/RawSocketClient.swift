import Logging
import MessageTransport
import NIOCore
import NIOPosix

/// A RawSocket client on TCP (optionally TLS) or a Unix socket: the same framing, outbound
/// path and PING answering as the router's side. For tests, the Swift client and the benchmark.
public enum RawSocketClient {
    public enum Endpoint: Sendable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    /// Connects, performs the handshake (asking for `serializer` and announcing
    /// 2^(9+`lengthExponent`) as the longest message it accepts), and returns the open connection;
    /// its `maxOutboundMessageSize` is the router's announced maximum.
    public static func connect(
        to endpoint: Endpoint,
        serializer: UInt8,
        lengthExponent: UInt8 = RawSocketLength.largestExponent,
        maxBacklogBytes: Int = 16 << 20,
        transportSecurity: (any TransportSecurity)? = nil,
        group: any EventLoopGroup,
        handler: any RawSocketMessageHandler
    ) async throws -> RawSocketConnection {
        let eventLoop = group.next()
        let promise = eventLoop.makePromise(of: RawSocketConnection.self)
        let handlerBox = UncheckedBox(value: handler)
        let logger = Logger(label: "RawSocketIO.client")
        let bootstrap = ClientBootstrap(group: eventLoop)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try transportSecurity?.configure(channel: channel)
                    try channel.pipeline.syncOperations.addHandler(RawSocketClientHandshakeHandler(
                        handshake: RawSocketClientHandshake(serializer: serializer, lengthExponent: lengthExponent),
                        maxBacklogBytes: maxBacklogBytes, isSecure: transportSecurity != nil,
                        bindingSource: channelBindingSource(transportSecurity, channel: channel),
                        handler: handlerBox.value, logger: logger, promise: promise))
                }
            }
        let channel: any Channel
        do {
            switch endpoint {
            case .tcp(let host, let port):
                channel = try await bootstrap.channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .connect(host: host, port: port).get()
            case .unix(let path):
                channel = try await bootstrap.connect(unixDomainSocketPath: path).get()
            }
        } catch {
            promise.fail(error)
            throw error
        }
        do {
            return try await promise.futureResult.get()
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }
}

/// Carries the caller's handler into the channel initializer; it is used on the loop only.
struct UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
}
