import Logging
import Synchronization
import WampMessages

/// The router's realms by name, and the global-scope session IDs they share.
public final class RealmRegistry: Sendable {
    private let realms: [String: Realm]
    public let realmNames: [String]
    private let liveSessionIDs = Mutex<(ids: Set<WampID>, generator: IDGenerator)>(([], IDGenerator()))

    /// `rolesByRealm`: each configured realm's role table; a realm it does not name has none
    /// (the development default: everything allowed).
    public init(realmNames: [String], uris: URIValidator = URIValidator(), scheduler: (any RealmScheduler)? = nil,
                eventHistory: [(prefix: String, limit: Int)] = [], limits: RealmLimits = RealmLimits(),
                rolesByRealm: [String: [String: RoleDefinition]] = [:],
                logger: Logger = Logger(label: "wamp-router.realm")) {
        var realms: [String: Realm] = [:]
        for name in realmNames {
            realms[name] = Realm(name: name, uris: uris, scheduler: scheduler, eventHistory: eventHistory, limits: limits,
                                 roles: rolesByRealm[name], logger: logger)
        }
        self.realms = realms
        self.realmNames = realmNames
    }

    public func realm(named name: String) -> Realm? { realms[name] }

    /// Draws session IDs (and every realm's publication and subscription IDs) in a cluster
    /// node's `slot` range from now on (docs/cluster.md "Node identity and IDs").
    public func useClusterSlot(_ slot: Int) {
        liveSessionIDs.withLock { $0.generator = IDGenerator(slot: slot) }
        for realm in realms.values { realm.broker.useSlot(slot) }
    }

    /// Replaces the role tables of the realms named (SIGHUP; see `Realm.replaceRoles`). A realm
    /// not named keeps its table: a reload cannot open a realm by leaving it out. Returns the
    /// names that are not realms of this router (adding a realm needs a restart), sorted.
    @discardableResult
    public func replaceRoles(byRealm rolesByRealm: [String: [String: RoleDefinition]]) -> [String] {
        var unknown: [String] = []
        for (name, roles) in rolesByRealm {
            guard let realm = realms[name] else {
                unknown.append(name)
                continue
            }
            realm.replaceRoles(roles)
        }
        return unknown.sorted()
    }

    /// A random session ID in 1...2^53 that no live session has.
    public func newSessionID() -> WampID {
        liveSessionIDs.withLock { state in
            var id = state.generator.next()
            while state.ids.contains(id) { id = state.generator.next() }
            state.ids.insert(id)
            return id
        }
    }

    public func releaseSessionID(_ id: WampID) {
        _ = liveSessionIDs.withLock { $0.ids.remove(id) }
    }
}
