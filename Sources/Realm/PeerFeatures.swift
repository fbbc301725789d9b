import WampMessages

/// Advanced Profile features a client announced in HELLO.Details.roles, for the router to decide
/// what it may send that peer (INTERRUPT, UNREGISTERED/UNSUBSCRIBED revocations, ...).
public struct PeerFeatures: OptionSet, Sendable, Hashable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let calleeCallCanceling = PeerFeatures(rawValue: 1 << 0)
    public static let calleeProgressiveCallResults = PeerFeatures(rawValue: 1 << 1)
    public static let calleeProgressiveCallInvocations = PeerFeatures(rawValue: 1 << 2)
    public static let calleeRegistrationRevocation = PeerFeatures(rawValue: 1 << 3)
    public static let calleeCallTimeout = PeerFeatures(rawValue: 1 << 4)
    public static let subscriberSubscriptionRevocation = PeerFeatures(rawValue: 1 << 5)
    public static let callerProgressiveCallResults = PeerFeatures(rawValue: 1 << 6)
    public static let callerCallCanceling = PeerFeatures(rawValue: 1 << 7)
    public static let callerProgressiveCallInvocations = PeerFeatures(rawValue: 1 << 8)
    public static let callerPayloadPassthru = PeerFeatures(rawValue: 1 << 9)
    public static let calleePayloadPassthru = PeerFeatures(rawValue: 1 << 10)

    /// Reads `HELLO.Details.roles.<role>.features.<feature> == true` for the features above.
    public init(helloRoles roles: JSONValue?) {
        self = []
        guard let roles else { return }
        func features(_ role: String) -> JSONValue? { roles.object(role)?.object("features") }
        if let callee = features("callee") {
            // The spec spells it both ways in different sections.
            if callee.bool("call_canceling") == true || callee.bool("call_cancelling") == true { insert(.calleeCallCanceling) }
            if callee.bool("progressive_call_results") == true { insert(.calleeProgressiveCallResults) }
            if callee.bool("progressive_call_invocations") == true { insert(.calleeProgressiveCallInvocations) }
            if callee.bool("registration_revocation") == true { insert(.calleeRegistrationRevocation) }
            if callee.bool("call_timeout") == true { insert(.calleeCallTimeout) }
            if callee.bool("payload_passthru_mode") == true { insert(.calleePayloadPassthru) }
        }
        if let subscriber = features("subscriber"), subscriber.bool("subscription_revocation") == true {
            insert(.subscriberSubscriptionRevocation)
        }
        if let caller = features("caller") {
            if caller.bool("progressive_call_results") == true { insert(.callerProgressiveCallResults) }
            if caller.bool("call_canceling") == true { insert(.callerCallCanceling) }
            if caller.bool("progressive_call_invocations") == true { insert(.callerProgressiveCallInvocations) }
            if caller.bool("payload_passthru_mode") == true { insert(.callerPayloadPassthru) }
        }
    }
}
