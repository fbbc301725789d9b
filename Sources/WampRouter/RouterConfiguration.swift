import Cluster
import NIOCore
import Realm
import RouterConfig
import WampAuth
import WampMessages

/// Everything the router needs to start. The defaults are the embedded configuration `make run`
/// uses: 127.0.0.1:8080, realm `realm1`, anonymous peers.
public struct RouterConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var realms = ["realm1"]
    /// Serves the Autobahn TestSuite's echo peer on this port (same host) when set.
    public var testeePort: Int?
    public var uriRules: URIValidator.Rules = .loose
    /// Topics starting with `prefix` keep their last `limit` events (`wamp.subscription.get_events`).
    public var eventHistory: [(prefix: String, limit: Int)] = []
    public var maxMessageSize = 16 << 20
    public var maxBacklogBytes = 16 << 20
    /// Per-session and per-realm bounds of routing state (pending calls, registrations, ...).
    public var limits = RealmLimits()
    /// Most bytes of Details/Options (every dict or list outside the payload) in one message.
    public var maxOptionsBytes = MessageDecoder.Limits.default.maxOptionsBytes
    public var permessageDeflate = true
    /// permessage-deflate keeps the router's compression context between messages
    /// (`--deflate-context-takeover`); off: the router answers `server_no_context_takeover`.
    public var deflateContextTakeover = false
    /// From TCP accept until WELCOME or ABORT is sent (`--handshake-timeout`).
    public var handshakeTimeout = TimeAmount.seconds(10)
    /// Ping a WAMP peer silent this long (`--auto-ping-interval`); nil: off.
    public var autoPingInterval: TimeAmount? = .seconds(30)
    /// Drop a pinged peer silent this long after the ping (`--auto-ping-timeout`).
    public var autoPingTimeout = TimeAmount.seconds(10)
    /// Open WAMP connections at most; more are answered HTTP 503 (`--max-connections`).
    public var maxConnections = 50_000
    /// Frames one WebSocket message may arrive in on the WAMP endpoint (`--max-fragments`).
    public var maxFragments = 1024
    /// Messages per second per connection, token bucket with a burst of as many; 0: off
    /// (`--max-message-rate`).
    public var maxMessageRate = 0
    /// A RawSocket listener on this TCP port (same `host`) besides the others (`--rawsocket-port`).
    public var rawSocketPort: Int?
    /// A RawSocket listener on a Unix socket at this path besides the others (`--rawsocket-unix`).
    public var rawSocketUnixPath: String?
    /// The WAMP listeners (a config file's transports). Empty: one on `host`:`port`, anonymous,
    /// any origin: the embedded development default.
    public var listeners: [ListenerConfiguration] = []
    /// Each configured realm's roles. A realm without an entry allows every session everything
    /// (the development default); a realm with one authorizes every REGISTER, CALL, SUBSCRIBE
    /// and PUBLISH against the session's role.
    public var roles: [String: [String: RoleDefinition]] = [:]
    /// How long the router waits for a dynamic authenticator's answer before it aborts the
    /// session (`--authenticator-timeout`).
    public var authenticatorTimeout = TimeAmount.seconds(5)
    /// How repeated authentication failures from one address are slowed down
    /// (`--auth-free-failures`, `--auth-failure-delay`, `--auth-failure-max-delay`,
    /// `--max-auth-failure-addresses`).
    public var authFailurePolicy = AuthFailureThrottle.Policy()
    /// The config file this configuration came from, for logs and SIGHUP reloads; nil: flags only.
    public var configFile: String?
    /// The config file as read at start-up, which a reload compares against (a change to its
    /// listeners needs a restart).
    public var file: RouterFile?
    public var eventLoopThreads = System.coreCount
    /// How long shutdown waits for peers to answer GOODBYE before closing their connections.
    public var shutdownGracePeriod = TimeAmount.seconds(2)
    /// The admin HTTP listener (`--admin-port`); nil: off.
    public var admin: AdminListenerConfiguration?
    /// `--metrics`/`--no-metrics`: whether `/metrics` (the admin listener's, a web transport's
    /// `metrics` path) serves the exposition or a 404 saying metrics are off. The hot-path
    /// recording is process-wide: `WampRouter.recordMetrics(_:)`, which `wamp-router` sets from
    /// the same flag before it starts the router.
    public var metrics = true

    /// Sharing the realms with other router nodes through NATS (`--cluster-nats`, the config
    /// file's `cluster` section); nil: a single router, nothing of the cluster runs.
    public var cluster: ClusterConfiguration?

    public init() {}

    /// `limits`, with the bound on parsed meta-call arguments taken from `maxOptionsBytes`: one
    /// flag bounds everything the router builds a jansson tree of.
    var realmLimits: RealmLimits {
        var limits = self.limits
        limits.maxParsedArgumentsBytes = maxOptionsBytes
        return limits
    }
}

/// One WAMP listener: a config file's `websocket` transport (or the `websocket` path of a `web`
/// transport). Options left nil take the router-wide value.
public struct ListenerConfiguration: Sendable {
    public var name: String
    public var host: String
    public var port: Int
    /// Upgrade only on this path (a `web` transport's websocket path, e.g. `/ws`); nil: any path.
    public var webSocketPath: String?
    /// false for a `web` transport without a websocket path: every upgrade gets 404.
    public var acceptsWebSocket = true
    /// A `web` transport's HTTP paths (bridge, admin), served beside the WebSocket path.
    public var webServices: [WebServiceSpec] = []
    /// PEM files (absolute paths), as the config file's `endpoint.tls` names them.
    public var tls: TLSFiles?
    public var auth: TransportAuthConfiguration
    /// Crossbar's `allowed_origins` patterns; nil: any origin.
    public var allowedOrigins: [String]?
    /// Crossbar's `allow_null_origin`: an upgrade without `Origin` (or `Origin: null`) passes.
    public var allowNullOrigin = true
    public var maxMessageSize: Int?
    public var permessageDeflate: Bool?
    public var handshakeTimeout: TimeAmount?
    /// `.some(nil)` turns auto-ping off for this listener.
    public var autoPingInterval: TimeAmount??
    public var autoPingTimeout: TimeAmount?
    /// The serializers this listener speaks (the config's `serializers`); all three by default.
    public var serializers: [WampSerialization] = WampSerialization.allCases
    /// Set on a RawSocket listener (a config file's `rawsocket` transport, `--rawsocket-port`,
    /// `--rawsocket-unix`); nil: WebSocket. `host`/`port` are its TCP address; a Unix one has none.
    public var rawSocket: RawSocketListenerEndpoint?

    public init(name: String, host: String, port: Int, auth: TransportAuthConfiguration = .anonymousOnly) {
        self.name = name
        self.host = host
        self.port = port
        self.auth = auth
    }
}


/// Where a RawSocket listener listens.
public enum RawSocketListenerEndpoint: Sendable, Equatable {
    case tcp
    case unix(path: String)
}

extension RouterConfiguration {
    /// `listeners`, or the single development listener when there are none; then the RawSocket
    /// listeners of `--rawsocket-port` and `--rawsocket-unix` (after the file's transports, so
    /// that a reload's transport indexes stay the file's).
    var effectiveListeners: [ListenerConfiguration] {
        var all = listeners.isEmpty ? [ListenerConfiguration(name: "transport0", host: host, port: port)] : listeners
        if let rawSocketPort {
            var listener = ListenerConfiguration(name: "rawsocket-tcp", host: host, port: rawSocketPort)
            listener.rawSocket = .tcp
            all.append(listener)
        }
        if let rawSocketUnixPath {
            var listener = ListenerConfiguration(name: "rawsocket-unix", host: "", port: 0)
            listener.rawSocket = .unix(path: rawSocketUnixPath)
            all.append(listener)
        }
        return all
    }
}
