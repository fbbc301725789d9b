import Logging
import NIOCore
import NIOPosix
import RawSocketIO
import WampTLS

extension WampRouter {
    /// Starts one RawSocket listener whose connections become WAMP sessions, and logs it as the
    /// WebSocket listeners are (`rs://host:port`, `rss://` with TLS, `unix:path`).
    static func startRawSocket(_ listener: ListenerConfiguration, transport: TransportBox, configuration: RouterConfiguration,
                               group: MultiThreadedEventLoopGroup, context: RouterContext) async throws -> RawSocketServer {
        let settings = try rawSocketConfiguration(for: listener, configuration: configuration)
        let logger = context.logger
        let server = try await RawSocketServer.start(configuration: settings, group: group, logger: logger) { connection in
            let rawSocket = RawSocketWampTransport(connection: connection)
            rawSocket.delegate = WampSession(transport: rawSocket, router: context, auth: transport.current)
            return rawSocket
        }
        let url: String
        switch settings.endpoint {
        case .tcp(let host, _): url = "\(listener.tls == nil ? "rs" : "rss")://\(host):\(server.port ?? 0)"
        case .unix(let path): url = "unix:\(path)"
        }
        logger.notice("router listening", metadata: [
            "url": "\(url)",
            "transport": "\(listener.name)",
            "serializers": "\(listener.serializers.map(\.configName).joined(separator: ","))",
            "maxMessageSize": "\(RawSocketLength.maxLength(exponent: settings.lengthExponent))",
            "authmethods": "\(listener.auth.methods.map(\.rawValue).sorted().joined(separator: ","))",
        ])
        return server
    }

    /// A RawSocket listener's settings: router-wide values, overridden by the listener's own.
    /// Its maximum message length is the largest power of two from 512 to 16 MiB not above the
    /// effective `max_message_size`, since that is all the handshake can announce.
    static func rawSocketConfiguration(for listener: ListenerConfiguration, configuration: RouterConfiguration) throws
        -> RawSocketServerConfiguration
    {
        var settings = RawSocketServerConfiguration()
        switch listener.rawSocket {
        case .unix(let path): settings.endpoint = .unix(path: path)
        case .tcp, nil: settings.endpoint = .tcp(host: listener.host, port: listener.port)
        }
        settings.serializers = listener.serializers.map(\.rawValue)
        settings.maxMessageSize = listener.maxMessageSize ?? configuration.maxMessageSize
        settings.maxBacklogBytes = configuration.maxBacklogBytes
        settings.handshakeTimeout = listener.handshakeTimeout ?? configuration.handshakeTimeout
        settings.maxConnections = configuration.maxConnections
        settings.maxMessageRate = configuration.maxMessageRate
        if let tls = listener.tls, case .tcp = settings.endpoint {
            let credentials = try TLSServerCredentials.load(keyPath: tls.key, certificatePath: tls.certificate,
                                                            chainCertificatePaths: tls.chainCertificates,
                                                            caCertificatePaths: tls.caCertificates)
            settings.transportSecurity = try TLSTransportSecurity.server(credentials, channelBinding: false)
        }
        return settings
    }
}
