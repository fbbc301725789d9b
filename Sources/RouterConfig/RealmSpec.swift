import Realm

/// One entry of the router worker's `realms`: its name and roles.
public struct RealmSpec: Sendable, Hashable {
    public var name: String
    /// Role name to definition.
    public var roles: [String: RoleDefinition]
    /// Role names in the file's order (for logs and listings).
    public var roleNames: [String]
    /// The realm's `options.uri_check` (Crossbar: `strict` or `loose`); nil: not set in the file.
    public var uriCheck: URICheck?

    public enum URICheck: String, Sendable, Hashable {
        case strict, loose
    }

    public init(name: String, roles: [String: RoleDefinition] = [:], roleNames: [String]? = nil, uriCheck: URICheck? = nil) {
        self.name = name
        self.roles = roles
        self.roleNames = roleNames ?? roles.keys.sorted()
        self.uriCheck = uriCheck
    }
}
