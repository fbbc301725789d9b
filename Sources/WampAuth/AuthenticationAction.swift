import WampMessages

/// What the session does next, as `AuthenticationFlow` decides it.
public enum AuthenticationAction: Sendable, CustomStringConvertible {
    /// Join `identity.realm` and send WELCOME with `identity`'s details.
    case welcome(AuthIdentity)
    /// Send CHALLENGE(method, extra) and wait for AUTHENTICATE (`authenticate(signature:extra:)`).
    case challenge(method: AuthMethod, extra: JSONValue)
    /// CALL `authenticator.procedure` in `authenticator.realm` with these positional arguments
    /// (Crossbar's `realm, authid, details`), time it out, and hand the first RESULT argument (or
    /// the failure) to `authenticatorReturned(_:)`. The arguments may hold the presented ticket:
    /// never log them.
    case invokeAuthenticator(DynamicAuthenticator, arguments: [JSONValue])
    /// Send ABORT(reason) with Details.message `message`, after the failure throttle's delay.
    /// `logDetail` says for the router's log what was wrong (which part, never a secret); the
    /// peer only ever sees `message`.
    case abort(reason: String, message: String, logDetail: String)

    /// No argument values: they may hold a ticket, and descriptions end up in logs.
    public var description: String {
        switch self {
        case .welcome(let identity): "welcome(\(identity))"
        case .challenge(let method, _): "challenge(\(method.rawValue))"
        case .invokeAuthenticator(let authenticator, _):
            "invokeAuthenticator(\(authenticator.procedure) on \(authenticator.realm))"
        case .abort(let reason, let message, let logDetail): "abort(\(reason): \(message); \(logDetail))"
        }
    }
}

/// Why a dynamic authenticator gave no answer.
public enum AuthenticatorFailure: Error, Sendable, Hashable {
    /// The authenticator answered ERROR: its URI and the first argument as text, if any. The flow
    /// aborts with that URI, as Crossbar does.
    case error(uri: String, message: String?)
    /// No answer in time (the caller's timer, 5 s by default).
    case timeout
    /// Nothing is registered under the procedure (or its realm does not exist).
    case noSuchProcedure
}

/// Whether a session may be placed in `realm` under `role`, answered by the caller from its
/// realm table before the flow sends a challenge or a welcome.
public enum PlacementVerdict: Sendable, Hashable {
    case allowed
    case noSuchRealm
    case noSuchRole
}

/// The standard URIs the flow aborts with.
public enum AuthErrorURI {
    /// Wrong ticket, secret or signature; unknown authid or key (Crossbar's default deny).
    public static let notAuthorized = "wamp.error.not_authorized"
    /// No method in common (Crossbar's URI; the spec lists `wamp.error.no_matching_auth_method`).
    public static let noAuthMethod = "wamp.error.no_auth_method"
    public static let noSuchProcedure = "wamp.error.no_such_procedure"
    public static let noSuchRealm = "wamp.error.no_such_realm"
    public static let noSuchRole = "wamp.error.no_such_role"
    public static let noSuchPrincipal = "wamp.error.no_such_principal"
    /// A technical failure ("fail secure" in the spec): a timed-out or malformed authenticator answer.
    public static let authenticationFailed = "wamp.error.authentication_failed"
    public static let protocolViolation = "wamp.error.protocol_violation"
}
