import WampAuth
import WampMessages

/// What the session machine needs of an authentication in progress, in `WampAuth`'s own terms
/// (`AuthenticationAction`, `AuthenticatorFailure`). `AuthenticationFlowStep` adapts the real
/// flow; the machine's tests script their own.
protocol SessionAuthentication {
    mutating func start() -> AuthenticationAction
    /// nil when the flow is not waiting for AUTHENTICATE (then it is a protocol violation).
    mutating func authenticate(_ message: Authenticate) -> AuthenticationAction?
    mutating func authenticatorReturned(_ result: Swift.Result<JSONValue, AuthenticatorFailure>) -> AuthenticationAction
}
