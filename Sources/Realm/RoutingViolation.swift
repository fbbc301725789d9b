/// A peer broke the protocol in a way only routing state can see (a request ID reused while
/// pending, an ERROR for a message type that cannot fail). The router ends that session with
/// ABORT `wamp.error.protocol_violation` carrying `message`.
public struct RoutingViolation: Error, Sendable, Equatable {
    public var message: String
    public init(_ message: String) { self.message = message }
}
