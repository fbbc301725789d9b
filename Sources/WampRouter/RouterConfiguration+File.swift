import NIOCore
import Realm
import RouterConfig
import WampAuth

extension RouterConfiguration {
    /// Takes a config file's realms, roles and transports. Router-wide settings the file does
    /// not speak of (limits, history, threads) keep their values; flags applied afterwards win.
    public mutating func apply(_ file: RouterFile, path: String) {
        configFile = path
        realms = file.realms.map(\.name)
        roles = Dictionary(uniqueKeysWithValues: file.realms.map { ($0.name, $0.roles) })
        if file.realms.contains(where: { $0.uriCheck == .strict }) { uriRules = .strict }
        self.file = file
        if let spec = file.cluster { cluster = spec.configuration(defaultName: cluster?.nodeName ?? "node") }
        listeners = file.transports.enumerated().map { index, transport in
            Self.listener(transport, name: "transport\(index)")
        }
    }

    static func listener(_ transport: TransportSpec, name: String) -> ListenerConfiguration {
        var listener = ListenerConfiguration(name: name, host: transport.endpoint.interface, port: transport.endpoint.port,
                                             auth: transport.auth)
        switch transport.kind {
        case .web(let path):
            listener.webSocketPath = path
            listener.acceptsWebSocket = path != nil
            listener.webServices = transport.webServices
        case .rawsocket(let unixPath): listener.rawSocket = unixPath.map { .unix(path: $0) } ?? .tcp
        case .websocket: break
        }
        listener.tls = transport.endpoint.tls
        listener.serializers = transport.serializers
        let options = transport.options
        listener.allowedOrigins = options.allowedOrigins
        listener.allowNullOrigin = options.allowNullOrigin ?? true
        listener.maxMessageSize = options.maxMessageSize
        listener.permessageDeflate = options.permessageDeflate
        listener.handshakeTimeout = options.openHandshakeTimeout.map(timeAmount)
        if let interval = options.autoPingInterval {
            listener.autoPingInterval = .some(interval == .zero ? nil : timeAmount(interval))
        }
        listener.autoPingTimeout = options.autoPingTimeout.map(timeAmount)
        return listener
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
