import WampMessages

/// Where the dealer and the session table send meta events (`wamp.registration.on_create`,
/// `wamp.session.on_join`, ...). The broker implements it; building the arguments is deferred so
/// that an event nobody subscribes to costs a lookup and nothing else. Meta events are decided
/// under the membership order, so their EVENTs go into its outbox rather than to the peers.
public protocol MetaEventPublisher: Sendable {
    /// `shared`: false for an event every cluster node fires for itself (a lost node's callees
    /// leaving each node's copy of the registrations), which the cluster must not carry again.
    func publishMetaEvent(topic: String, arguments: () -> RawJSON, shared: Bool, into outbox: inout Outbox)
}

extension MetaEventPublisher {
    public func publishMetaEvent(topic: String, arguments: () -> RawJSON, into outbox: inout Outbox) {
        publishMetaEvent(topic: topic, arguments: arguments, shared: true, into: &outbox)
    }
}
