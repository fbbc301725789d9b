import NIOCore
import Realm
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
    public var eventLoopThreads = System.coreCount
    /// How long shutdown waits for peers to answer GOODBYE before closing their connections.
    public var shutdownGracePeriod = TimeAmount.seconds(2)

    public init() {}

    /// `limits`, with the bound on parsed meta-call arguments taken from `maxOptionsBytes`: one
    /// flag bounds everything the router builds a jansson tree of.
    var realmLimits: RealmLimits {
        var limits = self.limits
        limits.maxParsedArgumentsBytes = maxOptionsBytes
        return limits
    }
}
