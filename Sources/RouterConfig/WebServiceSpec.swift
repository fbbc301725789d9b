/// One non-WebSocket path of a `web` transport (Crossbar's `paths`), as the file gives it.
///
/// Read by `TransportReader`; served by the listener of its transport through WebSocketIO's
/// `HTTPService` hook.
public struct WebServiceSpec: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// Crossbar's `publisher`: `POST {"topic", "args", "kwargs", "options"}` -> PUBLISH.
        case publisher(HTTPBridgeOptions)
        /// Crossbar's `caller`: `POST {"procedure", "args", "kwargs", "options"}` -> CALL.
        case caller(HTTPBridgeOptions)
        /// Prometheus text (`GET`).
        case metrics(AdminAccess)
        /// Health JSON (`GET`): 200 serving, 503 starting or draining.
        case health(AdminAccess)
        /// The live status page (`GET`) and its JSON feed under the same path.
        case status(AdminAccess)
    }

    /// Starts with `/` (`"call"` in the file is `/call` here).
    public var path: String
    public var kind: Kind
    /// Where it is in the file (`workers[0].transports[1].paths.call`), for log lines.
    public var configPath: String

    public init(path: String, kind: Kind, configPath: String = "") {
        self.path = path
        self.kind = kind
        self.configPath = configPath
    }
}

/// The options Crossbar's `publisher` and `caller` services share.
public struct HTTPBridgeOptions: Sendable, Hashable {
    public var realm: String
    /// The bridge session's authrole: authorization applies to what it publishes and calls.
    public var role: String
    /// Crossbar's `options.post_body_limit` in bytes (default 1 MiB here; Crossbar has none).
    public var postBodyLimit: Int
    /// Crossbar's request signing (`key` and `secret`); nil: requests need no signature.
    public var signing: Signing?
    /// Crossbar's `require_ip`: client networks allowed (CIDR or address); empty: any.
    public var requireIP: [String]
    /// Crossbar's `timestamp_delta_limit` in seconds, for signed requests.
    public var timestampDeltaLimit: Int
    /// Calls: how long the bridge waits for the RESULT before it answers 504 (and cancels the call).
    public var callTimeoutSeconds: Double
    /// Crossbar's `require_tls`: refuse requests that did not come over TLS.
    public var requireTLS: Bool = false
    /// `replay_memory_limit` (our own; Crossbar has no replay check): how many accepted
    /// signatures a signed path remembers at most; full of unexpired ones, it answers 503.
    public var replayMemoryLimit: Int = Self.defaultReplayMemoryLimit
    /// Crossbar's `require_ip`, parsed (the reader refuses an entry that is not an address or a
    /// network).
    public var requireNetworks: [IPNetwork] { requireIP.compactMap(IPNetwork.init) }

    public struct Signing: Sendable, Hashable {
        public var key: String
        public var secret: String
        public init(key: String, secret: String) {
            self.key = key
            self.secret = secret
        }
    }

    public static let defaultPostBodyLimit = 1 << 20
    public static let defaultTimestampDeltaLimit = 300
    public static let defaultCallTimeoutSeconds = 30.0
    public static let defaultReplayMemoryLimit = 65_536

    public init(realm: String, role: String, postBodyLimit: Int = Self.defaultPostBodyLimit, signing: Signing? = nil,
                requireIP: [String] = [], timestampDeltaLimit: Int = Self.defaultTimestampDeltaLimit,
                callTimeoutSeconds: Double = Self.defaultCallTimeoutSeconds, requireTLS: Bool = false) {
        self.realm = realm
        self.role = role
        self.postBodyLimit = postBodyLimit
        self.signing = signing
        self.requireIP = requireIP
        self.timestampDeltaLimit = timestampDeltaLimit
        self.callTimeoutSeconds = callTimeoutSeconds
        self.requireTLS = requireTLS
    }
}

/// Who may read an admin path (metrics, health, status), and the one bound it has of its own.
public struct AdminAccess: Sendable, Hashable {
    /// `Authorization: Bearer TOKEN` accepted; nil: no token.
    public var token: String?
    /// `Authorization: Basic` user and password; nil: none.
    public var basicUser: String?
    public var basicPassword: String?
    /// Only loopback peers (127.0.0.0/8, ::1) unless false. A path with a token or basic auth
    /// still needs them from anywhere.
    public var loopbackOnly: Bool
    /// `post_body_limit` (Crossbar's name, as on the bridge's paths): request body bytes read,
    /// so that a stray POST still gets 405; a longer body gets 413.
    public var postBodyLimit: Int

    public static let defaultPostBodyLimit = 4096

    public init(token: String? = nil, basicUser: String? = nil, basicPassword: String? = nil, loopbackOnly: Bool = true,
                postBodyLimit: Int = Self.defaultPostBodyLimit) {
        self.token = token
        self.basicUser = basicUser
        self.basicPassword = basicPassword
        self.loopbackOnly = loopbackOnly
        self.postBodyLimit = postBodyLimit
    }
}

extension WebServiceSpec.Kind {
    /// A metrics, health or status path (the admin service's), not the HTTP bridge's.
    public var isAdmin: Bool {
        switch self {
        case .metrics, .health, .status: true
        case .publisher, .caller: false
        }
    }
}
