import WampMessages
import WampAuth

/// One listening transport of the router worker (`websocket`, `web` with at most one `websocket`
/// path and its HTTP paths, or `rawsocket` on TCP or a Unix socket).
public struct TransportSpec: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// A `websocket` transport: WAMP on every request path.
        case websocket
        /// A `web` transport: its `websocket` path, if it has one (starting with `/`: `"ws"` in the
        /// file is `/ws` here, `"/"` is `/`), and its other paths in `webServices`.
        case web(websocketPath: String?)
        /// A `rawsocket` transport: on TCP (`endpoint`) when `unixPath` is nil, else on the Unix
        /// socket at `unixPath` (absolute; `endpoint` is then unused: port 0).
        case rawsocket(unixPath: String?)
    }

    public var kind: Kind
    public var endpoint: TCPEndpoint
    /// In the file's order; the first is preferred when a client offers several.
    public var serializers: [WampSerialization]
    /// For a `rawsocket` transport only `maxMessageSize` is used (the transport's `max_message_size`).
    public var options: WebSocketOptions
    public var auth: TransportAuthConfiguration
    /// Where it is in the file (`workers[0].transports[1]`), for log lines about it.
    public var configPath: String
    /// A `web` transport's non-WebSocket paths (HTTP bridge, admin); empty for other kinds.
    public var webServices: [WebServiceSpec] = []

    public init(kind: Kind, endpoint: TCPEndpoint, serializers: [WampSerialization] = WampSerialization.allCases,
                options: WebSocketOptions = WebSocketOptions(), auth: TransportAuthConfiguration = .anonymousOnly,
                configPath: String = "") {
        self.kind = kind
        self.endpoint = endpoint
        self.serializers = serializers
        self.options = options
        self.auth = auth
        self.configPath = configPath
    }
}

/// A transport's `endpoint` (`type: tcp`).
public struct TCPEndpoint: Sendable, Hashable {
    public var port: Int
    /// Crossbar's default when `interface` is absent is every interface: `0.0.0.0` for
    /// `version: 4` (the default), `::` for `version: 6`.
    public var interface: String
    /// 4 or 6 (Crossbar's `version`).
    public var ipVersion: Int
    /// Listen backlog; nil: not set in the file (Crossbar then uses 50).
    public var backlog: Int?
    public var tls: TLSFiles?

    public init(port: Int, interface: String = "0.0.0.0", ipVersion: Int = 4, backlog: Int? = nil, tls: TLSFiles? = nil) {
        self.port = port
        self.interface = interface
        self.ipVersion = ipVersion
        self.backlog = backlog
        self.tls = tls
    }
}

/// An endpoint's `tls`: PEM files, each an absolute path (relative ones in the file are resolved
/// against the config file's folder, as Crossbar resolves them against its node directory) that
/// existed and was readable when the file was read.
public struct TLSFiles: Sendable, Hashable {
    public var key: String
    public var certificate: String
    /// Intermediate certificates sent after `certificate` (Crossbar's `chain_certificates`).
    public var chainCertificates: [String]
    /// Crossbar's `ca_certificates` on a listening endpoint: clients must present a certificate
    /// signed by one of these (mutual TLS). Empty: no client certificate asked for.
    public var caCertificates: [String]

    public init(key: String, certificate: String, chainCertificates: [String] = [], caCertificates: [String] = []) {
        self.key = key
        self.certificate = certificate
        self.chainCertificates = chainCertificates
        self.caCertificates = caCertificates
    }
}

/// WAMP serializers a transport offers (WebSocket subprotocols `wamp.2.<name>`).
/// Crossbar's serializer names that this router does not speak.
enum UnsupportedSerializer {
    static let names: Set<String> = ["ubjson", "flatbuffers"]
}

/// A WebSocket transport's `options` that this router applies. Each is nil when the file does not
/// set it; the router then uses its own flag (see the README). Where Crossbar's own default for an
/// absent key differs, the doc comment says so.
public struct WebSocketOptions: Sendable, Hashable {
    /// `max_message_size` in bytes (Crossbar: 1 to 64 MiB; absent: no limit in Crossbar).
    public var maxMessageSize: Int?
    /// `auto_ping_interval` (milliseconds in the file). `.zero`: no pings. Absent: Crossbar sends none.
    public var autoPingInterval: Duration?
    /// `auto_ping_timeout` (milliseconds in the file).
    public var autoPingTimeout: Duration?
    /// `open_handshake_timeout` (milliseconds in the file): from accept until the WebSocket
    /// handshake is done. A `0` in the file (Crossbar: no limit) is left nil, with a notice.
    public var openHandshakeTimeout: Duration?
    /// true when `compression` has `deflate` (permessage-deflate), false when `compression` is
    /// there without it. nil: no `compression` key, and then Crossbar does not compress.
    public var permessageDeflate: Bool?
    /// `allowed_origins`: patterns of `scheme://host:port` with `*` as a wildcard (Crossbar's
    /// default when absent: `["*"]`).
    public var allowedOrigins: [String]?
    /// `allow_null_origin`: accept an upgrade without `Origin` or with `Origin: null` (Crossbar's
    /// default: true).
    public var allowNullOrigin: Bool?
    /// `require_websocket_subprotocol`: refuse an upgrade offering no WAMP subprotocol
    /// (Crossbar's default: true).
    public var requireSubprotocol: Bool?

    public init(maxMessageSize: Int? = nil, autoPingInterval: Duration? = nil, autoPingTimeout: Duration? = nil,
                openHandshakeTimeout: Duration? = nil, permessageDeflate: Bool? = nil, allowedOrigins: [String]? = nil,
                allowNullOrigin: Bool? = nil, requireSubprotocol: Bool? = nil) {
        self.maxMessageSize = maxMessageSize
        self.autoPingInterval = autoPingInterval
        self.autoPingTimeout = autoPingTimeout
        self.openHandshakeTimeout = openHandshakeTimeout
        self.permessageDeflate = permessageDeflate
        self.allowedOrigins = allowedOrigins
        self.allowNullOrigin = allowNullOrigin
        self.requireSubprotocol = requireSubprotocol
    }
}
