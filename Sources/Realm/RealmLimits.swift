/// The bounds one realm enforces on what peers may make it hold. Every one is a `wamp-router`
/// flag (README, "Command line"); a request past a bound gets ERROR `router.error.limit_exceeded`
/// (`ErrorURI.limitExceeded`) and the session stays up. Stores that evict instead (retained
/// events, history) log and count what they drop.
public struct RealmLimits: Sendable, Equatable {
    /// CALLs one caller may have waiting for an answer.
    public var maxPendingCallsPerCaller = 1000
    /// Registrations (including shared ones it joined) one session may hold.
    public var maxRegistrationsPerSession = 10_000
    /// Subscriptions one session may hold.
    public var maxSubscriptionsPerSession = 10_000
    /// Testaments one session may add (both scopes together).
    public var maxTestamentsPerSession = 64
    /// Topics with a retained event in the realm; past it the oldest retained event is evicted.
    public var maxRetainedTopics = 100_000
    /// Payload bytes of all retained events in the realm; past it the oldest are evicted.
    public var maxRetainedBytes = 64 << 20
    /// Topics with stored history in the realm; past it the oldest topic's history is evicted.
    public var maxHistoryTopics = 10_000
    /// Payload bytes of all stored history events in the realm; past it the oldest are evicted.
    public var maxHistoryBytes = 64 << 20
    /// Payload bytes one `wamp.subscription.get_events` answer, or the retained events one
    /// SUBSCRIBE with `get_retained` delivers, may carry; on a clustered node also the JSON list
    /// of one `wamp.session.list` (cut there, and the answer says `truncated`).
    public var maxAnswerBytes = 4 << 20
    /// Payload bytes of a call to a `wamp.*` meta procedure, whose arguments the router parses
    /// (set from `--max-options-bytes`, the bound on everything the router builds a tree of).
    public var maxParsedArgumentsBytes = 1 << 20
    /// Authorization decisions kept per static role, and per session for a dynamic authorizer's
    /// `cache: true` answers; a full cache is emptied and refills (counted and logged).
    public var maxAuthorizationCacheEntries = 10_000
    /// Bytes of the URIs one such cache keeps (a URI is as long as a peer makes it).
    public var maxAuthorizationCacheBytes = 1 << 20
    /// How long a dynamic authorizer may take to answer before the request is denied with
    /// `wamp.error.authorization_failed` (Crossbar's default is the same 5 s).
    public var authorizerTimeoutSeconds = 5.0

    public init() {}
}
