/// A realm's roles as the authorization check reads them: each static role's compiled
/// permissions with the decisions already made for it, or the procedure of its dynamic
/// authorizer. Lives under one short lock in `Realm`; nothing here sends or calls out.
struct RoleTable: Sendable {
    struct Role: Sendable {
        let matcher: PermissionMatcher?
        let authorizer: String?
        /// Static decisions by URI: one entry answers all four actions.
        var decisions: DecisionCache<String, StaticGrant>

        init(_ definition: RoleDefinition, limits: RealmLimits) {
            switch definition {
            case .permissions(let permissions):
                matcher = PermissionMatcher(permissions)
                authorizer = nil
            case .authorizer(let procedure):
                matcher = nil
                authorizer = procedure
            }
            decisions = DecisionCache(maxEntries: limits.maxAuthorizationCacheEntries, maxBytes: limits.maxAuthorizationCacheBytes)
        }

        mutating func lookup(_ uri: String) -> Lookup {
            guard let matcher else { return .authorizer(authorizer ?? "") }
            if let grant = decisions[uri] { return .grant(grant, cacheCleared: false) }
            let grant = matcher.grant(for: uri)
            let cleared = decisions.insert(grant, for: uri, bytes: uri.utf8.count)
            return .grant(grant, cacheCleared: cleared)
        }
    }

    enum Lookup: Sendable {
        /// The development default: no role table, no check.
        case everythingAllowed
        case grant(StaticGrant, cacheCleared: Bool)
        case authorizer(String)
        /// The session's role is not (or no longer) in the table.
        case unknownRole
    }

    /// `nil`: the development default (everything allowed).
    private(set) var roles: [String: Role]?
    /// Bumped by every replacement, so that answers of dynamic authorizers asked under an
    /// earlier table are neither cached nor served from a session's cache.
    private(set) var generation: UInt64 = 0
    private let limits: RealmLimits

    init(_ definitions: [String: RoleDefinition]?, limits: RealmLimits) {
        self.limits = limits
        self.roles = Self.compile(definitions, limits: limits)
    }

    var isDevelopmentDefault: Bool { roles == nil }

    func hasRole(_ name: String) -> Bool { roles.map { $0[name] != nil } ?? true }

    mutating func replace(with definitions: [String: RoleDefinition]?) {
        roles = Self.compile(definitions, limits: limits)
        generation &+= 1
    }

    mutating func lookup(role: String, uri: String) -> Lookup {
        guard roles != nil else { return .everythingAllowed }
        return roles![role]?.lookup(uri) ?? .unknownRole
    }

    private static func compile(_ definitions: [String: RoleDefinition]?, limits: RealmLimits) -> [String: Role]? {
        definitions?.mapValues { Role($0, limits: limits) }
    }
}
