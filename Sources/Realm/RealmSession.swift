import Synchronization
import WampMessages

/// One session joined to a realm: its ID, how to reach it, who it authenticated as, and which
/// Advanced Profile features it announced.
public final class RealmSession: Sendable {
    public let id: WampID
    public let peer: any Peer
    public let authid: String
    public let authrole: String
    public let authmethod: String
    /// Who vouched for the authid (`static` for configured principals, `dynamic` for an
    /// authenticator), as WELCOME and the meta API report it.
    public let authprovider: String
    /// What the authentication adds for the application (WELCOME.Details.authextra).
    public let authextra: JSONValue?
    public let features: PeerFeatures
    /// HELLO.Details.roles as the peer sent them (for `wamp.session.get`).
    public let roles: JSONValue?
    /// The router's own caller (`Realm.callInternally`): never joined, never disclosed.
    let isRouterItself: Bool
    /// A dynamic authorizer's `cache: true` answers for this session; it goes with the session.
    let authorizerDecisions: Mutex<SessionDecisions>
    /// Set by `Realm.leave` before the session's subscriptions go, so a SUBSCRIBE that waited for
    /// the cluster does not come back for a session that is gone.
    private let left = Atomic<Bool>(false)
    var hasLeft: Bool { left.load(ordering: .sequentiallyConsistent) }
    func markLeft() { left.store(true, ordering: .sequentiallyConsistent) }

    public convenience init(id: WampID, peer: any Peer, authid: String, authrole: String = "anonymous",
                authmethod: String = "anonymous", authprovider: String = "static", authextra: JSONValue? = nil,
                roles: JSONValue? = nil) {
        self.init(id: id, peer: peer, authid: authid, authrole: authrole, authmethod: authmethod, authprovider: authprovider,
                  authextra: authextra, roles: roles, isRouterItself: false)
    }

    /// A session another node holds, as the cluster shows it to this node's dealer: only its ID,
    /// how to reach its node and the features it announced there.
    public init(remoteID id: WampID, peer: any Peer, features: PeerFeatures) {
        self.id = id
        self.peer = peer
        self.authid = ""
        self.authrole = ""
        self.authmethod = ""
        self.authprovider = "cluster"
        self.authextra = nil
        self.roles = nil
        self.features = features
        self.isRouterItself = false
        self.authorizerDecisions = Mutex(SessionDecisions())
    }

    init(id: WampID, peer: any Peer, authid: String, authrole: String, authmethod: String, authprovider: String,
         authextra: JSONValue?, roles: JSONValue?, isRouterItself: Bool) {
        self.id = id
        self.peer = peer
        self.authid = authid
        self.authrole = authrole
        self.authmethod = authmethod
        self.authprovider = authprovider
        self.authextra = authextra
        self.roles = roles
        self.features = PeerFeatures(helloRoles: roles)
        self.isRouterItself = isRouterItself
        self.authorizerDecisions = Mutex(SessionDecisions())
    }
}

/// A dynamic authorizer's cached answers for one session, valid for one role table: a
/// replacement of the realm's roles (`Realm.replaceRoles`) makes them stale, and the next
/// lookup or insert under the new table empties them.
struct SessionDecisions: Sendable {
    struct Key: Hashable, Sendable {
        let uri: String
        let action: WampAction
    }

    private var generation: UInt64 = 0
    private var cache: DecisionCache<Key, AuthorizationOutcome>?

    var count: Int { cache?.count ?? 0 }

    func lookup(_ key: Key, generation: UInt64) -> AuthorizationOutcome? {
        guard generation == self.generation else { return nil }
        return cache?[key]
    }

    /// Returns true when the cache was full and was emptied first.
    mutating func insert(_ outcome: AuthorizationOutcome, for key: Key, generation: UInt64, limits: RealmLimits) -> Bool {
        if cache == nil || generation != self.generation {
            self.generation = generation
            cache = DecisionCache(maxEntries: limits.maxAuthorizationCacheEntries, maxBytes: limits.maxAuthorizationCacheBytes)
        }
        return cache!.insert(outcome, for: key, bytes: key.uri.utf8.count)
    }

    mutating func removeAll() { cache = nil }
}
