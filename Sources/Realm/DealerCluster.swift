import WampMessages

/// What a dealer asks of the cluster it is attached to (`Dealer.attachCluster`, docs/cluster.md
/// "RPC"). The dealer stays free of NATS: registrations are decided by the cluster (an atomic
/// key-value create or compare-and-set), which then puts the cluster-wide callee list into the
/// dealer (`applyClusterRegistration`) before it answers. CALLs need nothing from it: a remote
/// callee is a `RealmSession` in the registration like any other, whose peer forwards.
///
/// The dealer calls these with no routing lock held; the completions may run on any thread.
public protocol DealerCluster: AnyObject, Sendable {
    /// Decides a REGISTER cluster-wide. `completion` runs once, after the new callee is in
    /// every live node's copy (or with why not).
    func register(_ request: ClusterRegisterRequest, completion: @escaping @Sendable (ClusterRegisterOutcome) -> Void)
    /// Takes a local callee off a registration cluster-wide; `completion` runs once, after no
    /// live node routes to it any more.
    func unregister(session: RealmSession, registration: WampID,
                    completion: @escaping @Sendable (ClusterUnregisterOutcome) -> Void)
    /// A session left this node's realm (or was revoked from registrations, with their IDs);
    /// the dealer has already dropped it from its own tables.
    func calleeRemoved(_ sessionID: WampID, from registrations: [WampID], sessionLeft: Bool)
}

/// A REGISTER the dealer has validated, for the cluster to decide.
public struct ClusterRegisterRequest: Sendable {
    public let session: RealmSession
    public let procedure: String
    public let match: MatchPolicy
    public let invoke: InvokePolicy
    public let discloseCaller: Bool
}

public enum ClusterRegisterOutcome: Sendable {
    /// `created`: this REGISTER made the registration (fires `on_create`).
    case registered(WampID, created: Bool)
    case refused(uri: String, message: String)
}

public enum ClusterUnregisterOutcome: Sendable {
    /// `deleted`: that was the registration's last callee cluster-wide.
    case unregistered(deleted: Bool)
    case refused(uri: String, message: String)
}

/// One registration as the cluster's directory holds it, with this node's view of its callees
/// (local sessions and remote-callee sessions) in the stored order.
public struct ClusterRegistrationSnapshot: Sendable {
    public var id: WampID
    public var procedure: String
    public var match: MatchPolicy
    public var invoke: InvokePolicy
    public var discloseCaller: Bool
    public var created: String
    public var callees: [RealmSession]

    public init(id: WampID, procedure: String, match: MatchPolicy, invoke: InvokePolicy, discloseCaller: Bool,
                created: String, callees: [RealmSession]) {
        self.id = id
        self.procedure = procedure
        self.match = match
        self.invoke = invoke
        self.discloseCaller = discloseCaller
        self.created = created
        self.callees = callees
    }
}
