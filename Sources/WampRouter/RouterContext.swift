import Cluster
import Logging
import NIOCore
import Realm
import RouterMetrics
import Synchronization
import WampMessages

/// What every session of one router shares: the realms, the live sessions (for shutdown), the
/// logger and the counters.
final class RouterContext: Sendable {
    let realms: RealmRegistry
    let logger: Logger
    let decoderLimits: MessageDecoder.Limits
    let counters = RouterCounters()
    /// The `/metrics` exposition and the per-session tallies behind it.
    let metrics = RouterMetricsExporter()
    /// Starting, serving or draining: what `/health` says.
    let health: RouterHealth
    /// How long a dynamic authenticator may take to answer.
    let authenticatorTimeout: TimeAmount
    var authenticatorTimeoutSeconds: Double { Double(authenticatorTimeout.nanoseconds) / 1e9 }
    /// Repeated authentication failures per peer address, which the router answers ever later.
    let authenticationFailures: AuthenticationFailures
    private let liveSessions = Mutex<[ObjectIdentifier: WampSession]>([:])
    /// The last errors the router sent, for the status page.
    let recentErrors = RecentErrors()
    /// Messages received by connections that have closed (added once per close), so the
    /// status page's message rate does not dip when sessions leave.
    let messagesReceivedByClosed = Atomic<Int>(0)
    /// When the router started (the status page's uptime).
    let startedAt = NIODeadline.now()
    /// This router's membership of a cluster (`--cluster-nats`); nil for a single router.
    let cluster: ClusterNode?

    init(realms: RealmRegistry, logger: Logger, decoderLimits: MessageDecoder.Limits = .default,
         authenticatorTimeout: TimeAmount = .seconds(5), authenticationFailures: AuthenticationFailures = AuthenticationFailures(),
         health: RouterHealth = RouterHealth(), cluster: ClusterNode? = nil) {
        self.realms = realms
        self.cluster = cluster
        self.health = health
        self.logger = logger
        self.decoderLimits = decoderLimits
        self.authenticatorTimeout = authenticatorTimeout
        self.authenticationFailures = authenticationFailures
    }

    func sessionOpened(_ session: WampSession) {
        liveSessions.withLock { $0[ObjectIdentifier(session)] = session }
    }

    func sessionClosed(_ session: WampSession, messagesReceived: Int = 0) {
        _ = liveSessions.withLock { $0.removeValue(forKey: ObjectIdentifier(session)) }
        messagesReceivedByClosed.wrappingAdd(messagesReceived, ordering: .relaxed)
    }

    var openConnections: [WampSession] { liveSessions.withLock { Array($0.values) } }

    /// WELCOME.Details: who the peer is, and the roles and features this router really has.
    /// `compactRoles`: the roles without their feature lists (which the spec makes optional),
    /// for a RawSocket peer whose announced maximum (512 octets at LENGTH 0) the full WELCOME
    /// would exceed.
    func welcomeDetails(realm: String, session: RealmSession, compactRoles: Bool = false) -> JSONValue {
        let details = JSONValue.makeObject()
        details.set("realm", string: realm)
        details.set("authid", string: session.authid)
        details.set("authrole", string: session.authrole)
        details.set("authmethod", string: session.authmethod)
        details.set("authprovider", string: session.authprovider)
        if let authextra = session.authextra { details.set("authextra", authextra) }
        details.set("agent", string: RouterContext.agent)
        details.set("roles", compactRoles ? RouterContext.compactRoles : RouterContext.roles)
        return details
    }

    static let compactRoles: JSONValue = {
        let roles = JSONValue.makeObject()
        roles.set("broker", JSONValue.makeObject())
        roles.set("dealer", JSONValue.makeObject())
        return roles
    }()

    static let agent = "swift-wamp-router/\(RouterVersion.number)"

    /// Announce a feature here only once it works end to end.
    static let roles: JSONValue = {
        let brokerFeatures = JSONValue.makeObject()
        for feature in [
            "publisher_exclusion", "publisher_identification", "subscriber_blackwhite_listing",
            "pattern_based_subscription", "event_retention", "event_history", "subscription_revocation",
            "payload_passthru_mode", "session_meta_api", "subscription_meta_api",
        ] {
            brokerFeatures.set(feature, bool: true)
        }
        let broker = JSONValue.makeObject()
        broker.set("features", brokerFeatures)
        let dealerFeatures = JSONValue.makeObject()
        for feature in [
            "progressive_call_results", "progressive_call_invocations", "call_canceling", "call_timeout",
            "caller_identification", "pattern_based_registration", "shared_registration",
            "registration_revocation", "payload_passthru_mode", "session_meta_api", "registration_meta_api",
            "testament_meta_api",
        ] {
            dealerFeatures.set(feature, bool: true)
        }
        let dealer = JSONValue.makeObject()
        dealer.set("features", dealerFeatures)
        let roles = JSONValue.makeObject()
        roles.set("broker", broker)
        roles.set("dealer", dealer)
        return roles
    }()
}

/// Things the router counts so that nothing it refuses or drops goes unseen.
final class RouterCounters: Sendable {
    let protocolViolations = Atomic<Int>(0)
    /// Router-built messages a peer could not take (larger than its announced maximum).
    let undeliverable = Atomic<Int>(0)
}
