import Logging
import Synchronization
import WampMessages

/// A routing namespace: its sessions, its broker and its dealer, and the meta API through which
/// the router is a peer of its own realm. Sessions in different realms never see each other.
public final class Realm: Sendable {
    struct SessionRecord {
        let session: RealmSession
        var detachedTestaments: [Testament] = []
        var destroyedTestaments: [Testament] = []
    }

    public let name: String
    public let broker: Broker
    public let dealer: Dealer
    let uris: URIValidator
    public let limits: RealmLimits
    public let counters = RealmCounters()
    private let membership: MembershipOrder
    private let sessions = Mutex<[WampID: SessionRecord]>([:])
    let logger: Logger
    /// False while the realm has no role table (the development default): the authorization
    /// check is then this one load. The table itself decides when it is true.
    let checksAuthorization: Atomic<Bool>
    let roleTable: Mutex<RoleTable>
    let internalCaller: InternalCaller
    /// The router's own caller in this realm (`callInternally`); never joined.
    let routerSession: RealmSession
    /// The other nodes' sessions for the session meta API (nil alone); set once by
    /// `attach(sessionCluster:)` before any session joins, read without a lock after.
    nonisolated(unsafe) public private(set) var sessionCluster: (any SessionQueryCluster)?

    /// `roles`: the realm's role table, by role name; `nil` is the development default, in which
    /// every session may do everything and nothing is checked.
    public init(name: String, uris: URIValidator = URIValidator(), scheduler: (any RealmScheduler)? = nil,
                eventHistory: [(prefix: String, limit: Int)] = [], limits: RealmLimits = RealmLimits(),
                roles: [String: RoleDefinition]? = nil, logger: Logger = Logger(label: "wamp-router.realm")) {
        self.name = name
        self.uris = uris
        self.limits = limits
        self.membership = MembershipOrder()
        self.roleTable = Mutex(RoleTable(roles, limits: limits))
        self.checksAuthorization = Atomic(roles != nil)
        let internalCaller = InternalCaller(maxResultBytes: limits.maxParsedArgumentsBytes)
        self.internalCaller = internalCaller
        // ID 0 is outside the session ID range, so it can never meet a real session's.
        self.routerSession = RealmSession(id: 0, peer: internalCaller, authid: "router", authrole: "trusted",
                                          authmethod: "trusted", authprovider: "router", authextra: nil, roles: nil,
                                          isRouterItself: true)
        var logger = logger
        logger[metadataKey: "realm"] = "\(name)"
        self.logger = logger
        self.broker = Broker(uris: uris, eventHistory: eventHistory, membership: membership, limits: limits,
                             counters: counters, logger: logger)
        self.dealer = Dealer(uris: uris, scheduler: scheduler, meta: broker, membership: membership, limits: limits,
                             counters: counters, logger: logger)
    }

    /// Answers `wamp.session.count`, `list` and `get` for every node of `cluster` from now on.
    /// Call before any session joins.
    public func attach(sessionCluster cluster: any SessionQueryCluster) {
        sessionCluster = cluster
    }

    public func join(_ session: RealmSession) {
        membership.run { outbox in
            sessions.withLock { $0[session.id] = SessionRecord(session: session) }
            broker.publishMetaEvent(topic: "wamp.session.on_join", arguments: {
                RawJSON(validatedText: "[\(Realm.sessionDetails(session).jsonText)]")
            }, into: &outbox)
        }
    }

    /// Settles everything a leaving session had: its testaments are published (detached scope,
    /// then destroyed), then its subscriptions, registrations and pending calls go.
    public func leave(_ session: RealmSession) {
        guard let record = sessions.withLock({ $0.removeValue(forKey: session.id) }) else { return }
        session.markLeft()
        session.authorizerDecisions.withLock { $0.removeAll() }
        for testament in record.detachedTestaments + record.destroyedTestaments {
            broker.publish(Publish(request: 1, options: testament.publishOptions, topic: testament.topic, payload: testament.payload),
                           from: session)
        }
        broker.removeSession(session.id)
        dealer.removeSession(session.id)
        membership.run { outbox in
            broker.publishMetaEvent(topic: "wamp.session.on_leave", arguments: {
                let arguments = JSONValue.makeArray()
                arguments.append(integer: Int64(session.id))
                arguments.append(string: session.authid)
                arguments.append(string: session.authrole)
                return RawJSON(arguments)
            }, into: &outbox)
        }
    }

    /// Routes a CALL: the router's own `wamp.*` procedures, or the dealer. `discloseCaller`:
    /// the caller's permission discloses it to the callee even without `disclose_me`.
    public func call(_ message: Call, from session: RealmSession, discloseCaller: Bool = false) throws(RoutingViolation) {
        if message.procedure.hasPrefix("wamp."), let procedure = MetaProcedure(rawValue: message.procedure) {
            MetaProcedures(realm: self).call(procedure, message, from: session)
            return
        }
        try dealer.call(message, from: session, discloseCaller: discloseCaller)
    }

    public var sessionCount: Int { sessions.withLock { $0.count } }

    public var allSessions: [RealmSession] { sessions.withLock { $0.values.map(\.session) } }

    public func session(_ id: WampID) -> RealmSession? { sessions.withLock { $0[id]?.session } }

    /// False when the session already holds `maxTestamentsPerSession` testaments.
    func addTestament(_ testament: Testament, scope: Testament.Scope, for sessionID: WampID) -> Bool {
        let limit = limits.maxTestamentsPerSession
        return sessions.withLock { sessions in
            guard let record = sessions[sessionID] else { return true }
            guard record.detachedTestaments.count + record.destroyedTestaments.count < limit else { return false }
            switch scope {
            case .detached: sessions[sessionID]!.detachedTestaments.append(testament)
            case .destroyed: sessions[sessionID]!.destroyedTestaments.append(testament)
            }
            return true
        }
    }

    func flushTestaments(scope: Testament.Scope, for sessionID: WampID) -> Int {
        sessions.withLock { sessions in
            switch scope {
            case .detached:
                defer { sessions[sessionID]?.detachedTestaments = [] }
                return sessions[sessionID]?.detachedTestaments.count ?? 0
            case .destroyed:
                defer { sessions[sessionID]?.destroyedTestaments = [] }
                return sessions[sessionID]?.destroyedTestaments.count ?? 0
            }
        }
    }

    /// `SessionDetails` of the meta API (`wamp.session.on_join`, `wamp.session.get`).
    static func sessionDetails(_ session: RealmSession) -> JSONValue {
        let details = JSONValue.makeObject()
        details.set("session", integer: Int64(session.id))
        details.set("authid", string: session.authid)
        details.set("authrole", string: session.authrole)
        details.set("authmethod", string: session.authmethod)
        details.set("authprovider", string: session.authprovider)
        details.set("authextra", session.authextra ?? JSONValue.null)
        return details
    }
}
