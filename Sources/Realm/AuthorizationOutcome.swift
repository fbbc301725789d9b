/// The answer to "may this session do this action on this URI?".
public enum AuthorizationOutcome: Sendable, Equatable {
    /// Go ahead; `disclose` makes the router identify the caller (CALL) or publisher (PUBLISH)
    /// to the receivers even when the request did not ask for it (the permission's `disclose`).
    case allowed(disclose: Bool)
    /// Answer the request with ERROR `errorURI` (`wamp.error.not_authorized` for a decision,
    /// `wamp.error.authorization_failed` when a dynamic authorizer could not decide) and
    /// `message` in Details; an unacknowledged PUBLISH gets no answer (see
    /// `Realm.refusedUnacknowledgedPublish`).
    case denied(errorURI: String, message: String)

    /// The development default's answer, and any allowed request that discloses nothing.
    public static let allowedSilently = AuthorizationOutcome.allowed(disclose: false)

    public var isAllowed: Bool {
        if case .allowed = self { return true }
        return false
    }
}
