import Logging
import MessageTransport
import NIOCore
import NIOPosix
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A RawSocket listener on TCP (optionally TLS) or a Unix domain socket, handing each connection
/// that completes its handshake to a `RawSocketMessageHandler`.
///
/// A Unix socket's file: a stale socket left at the path by an earlier run is removed at start
/// (anything else there that is not a socket makes the start fail); the new socket is made
/// owner-only (mode 0600) right after it is bound, so only the router's user can connect (put
/// it in a directory of your choice to share it differently); shutdown removes it.
public final class RawSocketServer: Sendable {
    /// The bound port (TCP), nil on a Unix socket.
    public let port: Int?
    public let socketPath: String?
    private let channel: any Channel
    private let logger: Logger

    private init(port: Int?, socketPath: String?, channel: any Channel, logger: Logger) {
        self.port = port
        self.socketPath = socketPath
        self.channel = channel
        self.logger = logger
    }

    /// How long an over-the-limit connection may take to send the handshake its error 4 answers.
    static let refusalHandshakeWait = TimeAmount.seconds(2)

    public static func start(
        configuration: RawSocketServerConfiguration,
        group: any EventLoopGroup,
        logger: Logger,
        makeHandler: @escaping @Sendable (RawSocketConnection) -> any RawSocketMessageHandler
    ) async throws -> RawSocketServer {
        let slots = configuration.maxConnections.map {
            ConnectionSlots(limit: $0, logger: logger,
                            refusalMessage: "refused RawSocket connections past the connection limit (error 4; on TLS closed unanswered)")
        }
        var bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let admitted = slots?.admit(channel) ?? true
                    // Over the limit a TLS connection is closed unanswered (no TLS handshake's CPU).
                    if !admitted && configuration.transportSecurity != nil {
                        channel.close(promise: nil)
                        return
                    }
                    try configuration.transportSecurity?.configure(channel: channel)
                    try Self.configurePipeline(channel: channel, configuration: configuration, admitted: admitted,
                                               logger: logger, makeHandler: makeHandler)
                }
            }
        let channel: any Channel
        switch configuration.endpoint {
        case .tcp(let host, let port):
            bootstrap = bootstrap
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            channel = try await bootstrap.bind(host: host, port: port).get()
        case .unix(let path):
            channel = try await bootstrap.bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
            if chmod(path, 0o600) != 0 {
                try? await channel.close()
                throw RawSocketServerError.socketPermissions(path: path, errno: errno)
            }
        }
        var port: Int?
        var socketPath: String?
        switch configuration.endpoint {
        case .tcp(_, let configured): port = channel.localAddress?.port ?? configured
        case .unix(let path): socketPath = path
        }
        return RawSocketServer(port: port, socketPath: socketPath, channel: channel, logger: logger)
    }

    /// Installs the handshake handler on a fresh child channel (after the transport security's
    /// handlers). Internal so tests can drive it on an `EmbeddedChannel`.
    static func configurePipeline(
        channel: any Channel, configuration: RawSocketServerConfiguration, admitted: Bool = true, logger: Logger,
        makeHandler: @escaping @Sendable (RawSocketConnection) -> any RawSocketMessageHandler
    ) throws {
        // Back-pressure: above half the backlog bound NIO reports the channel unwritable and the
        // handler stops reading from the peer; below a quarter it reads again.
        let highWater = max(2, configuration.maxBacklogBytes / 2)
        try channel.syncOptions?.setOption(
            .writeBufferWaterMark, value: ChannelOptions.Types.WriteBufferWaterMark(low: max(1, highWater / 2), high: highWater))
        var connectionLogger = logger
        connectionLogger[metadataKey: "rs.remote"] = "\(channel.remoteAddress.map { "\($0)" } ?? "?")"
        var deadline = configuration.handshakeTimeout.map { channel.eventLoop.now + $0 }
        if !admitted {
            let wait = channel.eventLoop.now + Self.refusalHandshakeWait
            deadline = deadline.map { min($0, wait) } ?? wait
        }
        let handler = RawSocketServerHandshakeHandler(
            configuration: configuration, refusal: admitted ? nil : .maximumConnectionCountReached, deadline: deadline,
            logger: connectionLogger, makeHandler: makeHandler)
        try channel.pipeline.syncOperations.addHandler(handler)
    }

    /// Stops accepting connections (open ones are left to their sessions) and removes the Unix
    /// socket's file.
    public func shutdown() async throws {
        try await self.channel.close()
        if let path = self.socketPath { Self.removeSocketFile(path) }
        self.logger.info("RawSocket server stopped accepting connections", metadata: [
            "endpoint": "\(self.port.map { "port \($0)" } ?? "unix:\(self.socketPath ?? "")")",
        ])
    }

    /// Unlinks `path` when it is a socket (never another kind of file someone put there since).
    static func removeSocketFile(_ path: String) {
        var info = stat()
        // S_IFMT and S_IFSOCK (POSIX values; the C macros do not import into Swift everywhere).
        guard lstat(path, &info) == 0, info.st_mode & 0o170000 == 0o140000 else { return }
        unlink(path)
    }
}
