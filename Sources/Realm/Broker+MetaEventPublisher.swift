import WampMessages

extension Broker: MetaEventPublisher {
    public func publishMetaEvent(topic: String, arguments: () -> RawJSON, shared: Bool, into outbox: inout Outbox) {
        publishMeta(topic: topic, arguments: arguments(), shared: shared, into: &outbox)
    }
}
