/// Error and close reasons the router itself produces (spec section "Predefined URIs").
public enum ErrorURI {
    public static let invalidURI = "wamp.error.invalid_uri"
    public static let invalidArgument = "wamp.error.invalid_argument"
    public static let noSuchProcedure = "wamp.error.no_such_procedure"
    public static let procedureAlreadyExists = "wamp.error.procedure_already_exists"
    public static let noSuchRegistration = "wamp.error.no_such_registration"
    public static let noSuchSubscription = "wamp.error.no_such_subscription"
    public static let noSuchRealm = "wamp.error.no_such_realm"
    public static let noSuchRole = "wamp.error.no_such_role"
    public static let protocolViolation = "wamp.error.protocol_violation"
    public static let canceled = "wamp.error.canceled"
    public static let timeout = "wamp.error.timeout"
    public static let featureNotSupported = "wamp.error.feature_not_supported"
    public static let noSuchSession = "wamp.error.no_such_session"
    public static let noAuthMethod = "wamp.error.no_auth_method"
    public static let killed = "wamp.close.killed"
    public static let notAuthorized = "wamp.error.not_authorized"
    /// A dynamic authorizer failed, timed out or is not registered (Crossbar's URI).
    public static let authorizationFailed = "wamp.error.authorization_failed"
    public static let systemShutdown = "wamp.close.system_shutdown"
    public static let goodbyeAndOut = "wamp.close.goodbye_and_out"
    public static let closeRealm = "wamp.close.close_realm"
    /// Not in the spec: the one URI of every router limit (README, "Limits").
    public static let limitExceeded = "router.error.limit_exceeded"
    /// What needs the other router nodes while this node cannot reach them (docs/cluster.md).
    public static let clusterUnavailable = "wamp.error.cluster_unavailable"
}
