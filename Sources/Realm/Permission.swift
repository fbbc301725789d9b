/// What a session asks to do with a URI; a role's permission allows some of these.
public enum WampAction: String, Sendable, Hashable, CaseIterable {
    case call, register, publish, subscribe
}

/// One entry of a role's `permissions` (Crossbar's router-realm-role schema).
///
/// `uri` is stored as matched: for a prefix permission written as `com.example.*` the config
/// reader strips the `*`, so `uri` is `com.example.`.
public struct Permission: Sendable, Hashable {
    public var uri: String
    public var match: MatchPolicy
    public var allow: Set<WampAction>
    /// Disclose the caller to the callee even when the CALL does not ask for it.
    public var discloseCaller: Bool
    /// Disclose the publisher to subscribers even when the PUBLISH does not ask for it.
    public var disclosePublisher: Bool
    /// Crossbar's `cache` flag: the decision may be cached (static roles are always cached here).
    public var cache: Bool

    public init(uri: String, match: MatchPolicy, allow: Set<WampAction>, discloseCaller: Bool = false,
                disclosePublisher: Bool = false, cache: Bool = true) {
        self.uri = uri
        self.match = match
        self.allow = allow
        self.discloseCaller = discloseCaller
        self.disclosePublisher = disclosePublisher
        self.cache = cache
    }
}

/// How a role's requests are authorized: a static permission list, or a procedure (registered
/// in the same realm by a trusted component) that the router calls for each decision.
public enum RoleDefinition: Sendable, Hashable {
    case permissions([Permission])
    case authorizer(procedure: String)
}
