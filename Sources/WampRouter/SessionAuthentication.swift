import Realm
import WampAuth
import WampMessages

/// Who a peer turned out to be once authentication succeeded: what WELCOME, the meta API and
/// caller/publisher disclosure show, and the realm the session joins (a cryptosign principal's
/// realm may differ from the one HELLO named).
struct AuthenticatedIdentity {
    var realm: String
    var authid: String
    var authrole: String
    var authmethod: String
    var authprovider: String
    var authextra: JSONValue?
}

/// One step of authenticating a session, as the session machine acts on it.
enum AuthenticationStep {
    case welcome(AuthenticatedIdentity)
    case challenge(method: String, extra: JSONValue)
    /// Call a dynamic authenticator; its answer comes back through `authenticatorReturned`.
    case callAuthenticator(DynamicAuthenticator, arguments: [JSONValue])
    /// ABORT with this reason. `failedCredentials` marks a wrong secret or unknown principal,
    /// which the router slows down per peer address.
    case refuse(reason: String, message: String, failedCredentials: Bool, logDetail: String = "")
}

/// Why a dynamic authenticator gave no answer.
enum AuthenticatorCallFailure: Error {
    case error(uri: String, message: String?)
    case timeout
    case noSuchProcedure
}

/// What the session machine needs of an authentication in progress. `WampAuth`'s flow
/// conforms; the machine's tests script their own.
protocol SessionAuthentication {
    mutating func start() -> AuthenticationStep
    /// nil when the flow is not waiting for AUTHENTICATE (then it is a protocol violation).
    mutating func authenticate(_ message: Authenticate) -> AuthenticationStep?
    mutating func authenticatorReturned(_ result: Swift.Result<JSONValue, AuthenticatorCallFailure>) -> AuthenticationStep
}
