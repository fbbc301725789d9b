import WampMessages

/// Where the dealer and the session table send meta events (`wamp.registration.on_create`,
/// `wamp.session.on_join`, ...). The broker implements it; building the arguments is deferred so
/// that an event nobody subscribes to costs a lookup and nothing else. Meta events are decided
/// under the membership order, so their EVENTs go into its outbox rather than to the peers.
public protocol MetaEventPublisher: Sendable {
    func publishMetaEvent(topic: String, arguments: () -> RawJSON, into outbox: inout Outbox)
}
