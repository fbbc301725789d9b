import WampMessages

/// One role's `permissions`, compiled so that finding the permission that decides a URI costs the
/// URI's length and the patterns that match it, never the permissions that do not (a role with
/// 1,000 permissions is as cheap per lookup as one with ten).
///
/// The deciding permission is Crossbar's choice, with one difference: an `exact` permission for
/// the URI itself, else the best matching `wildcard` (`PatternPrecedence.wildcard`), else the
/// longest matching `prefix`; none means denied. The best match decides alone: a permission that
/// matches but does not allow the action denies it, even if a less specific one would allow it.
/// The difference: Crossbar keeps exact and prefix permissions in one trie and takes the
/// longest key the URI starts with, so an exact `a.b` found for `a.b.x` shadows a prefix `a.`
/// and denies. Here an exact permission is only ever consulted for its own URI.
///
/// Several permissions with the same `uri` and `match` are one: the later replaces the earlier
/// (a config lists each once; Crossbar's trie also keeps the last).
package struct PermissionMatcher: Sendable {
    private let permissions: [Permission]
    private var exact: [String: Int] = [:]
    private var prefix = PrefixPatternTree()
    private var wildcard = WildcardPatternTree()

    package init(_ permissions: [Permission]) {
        self.permissions = permissions
        for (index, permission) in permissions.enumerated() {
            switch permission.match {
            case .exact: exact[permission.uri] = index
            case .prefix: prefix.insert(permission.uri, id: WampID(index))
            case .wildcard: wildcard.insert(permission.uri, id: WampID(index))
            }
        }
    }

    /// The permission that decides every action on `uri`, or `nil` (denied).
    package func decidingPermission(for uri: String) -> Permission? {
        if let index = exact[uri] { return permissions[index] }
        if !wildcard.isEmpty, let entry = wildcard.bestMatch(of: uri) { return permissions[Int(entry.id)] }
        if !prefix.isEmpty, let entry = prefix.bestMatch(of: uri) { return permissions[Int(entry.id)] }
        return nil
    }

    /// What the deciding permission grants on `uri`, in the compact form the decision cache keeps.
    func grant(for uri: String) -> StaticGrant {
        StaticGrant(decidingPermission(for: uri))
    }
}

/// What one role may do on one URI: the allowed actions and whether calls and publications are
/// disclosed. Small and trivially copyable, so a cache hit copies a few bytes out of the lock.
struct StaticGrant: Sendable, Equatable {
    private let allowedActions: UInt8
    let discloseCaller: Bool
    let disclosePublisher: Bool

    static let nothing = StaticGrant(nil)

    init(_ permission: Permission?) {
        var bits: UInt8 = 0
        for action in permission?.allow ?? [] { bits |= action.bit }
        allowedActions = bits
        discloseCaller = permission?.discloseCaller ?? false
        disclosePublisher = permission?.disclosePublisher ?? false
    }

    func allows(_ action: WampAction) -> Bool { allowedActions & action.bit != 0 }

    /// Disclosure applies to the actions that have a receiver to disclose to.
    func discloses(_ action: WampAction) -> Bool {
        switch action {
        case .call: discloseCaller
        case .publish: disclosePublisher
        case .register, .subscribe: false
        }
    }
}

extension WampAction {
    var bit: UInt8 {
        switch self {
        case .call: 1
        case .register: 2
        case .publish: 4
        case .subscribe: 8
        }
    }
}
