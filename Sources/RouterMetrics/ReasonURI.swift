/// The bounded label set of ERROR and ABORT URIs: the spec's predefined URIs and the router's
/// own, everything else `other`. An application's error URI is the peer's string: as a label it
/// would let one peer grow the exposition without bound.
package enum ReasonURI {
    package static let known: [String] = [
        "wamp.error.invalid_uri", "wamp.error.no_such_procedure", "wamp.error.procedure_already_exists",
        "wamp.error.no_such_registration", "wamp.error.no_such_subscription", "wamp.error.invalid_argument",
        "wamp.error.protocol_violation", "wamp.error.not_authorized", "wamp.error.authorization_failed",
        "wamp.error.no_such_realm", "wamp.error.no_such_role", "wamp.error.no_such_session",
        "wamp.error.canceled", "wamp.error.timeout", "wamp.error.feature_not_supported",
        "wamp.error.no_auth_method", "wamp.error.payload_size_exceeded", "wamp.error.option_not_allowed",
        "wamp.error.option_disallowed.disclose_me", "wamp.error.no_eligible_callee", "wamp.error.authentication_failed",
        "wamp.error.network_failure",
        "wamp.close.system_shutdown", "wamp.close.close_realm", "wamp.close.goodbye_and_out", "wamp.close.killed",
        "router.error.limit_exceeded",
    ]
    /// `known`'s labels, then `other`.
    package static let labels: [String] = known + ["other"]
    package static var count: Int { labels.count }
    private static let indexByURI: [String: Int] = Dictionary(uniqueKeysWithValues: known.enumerated().map { ($1, $0) })

    /// The label index of `uri`: its own when predefined, else `other`'s.
    package static func index(of uri: String) -> Int {
        indexByURI[uri] ?? known.count
    }
}
