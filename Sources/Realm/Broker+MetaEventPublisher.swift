import WampMessages

extension Broker: MetaEventPublisher {
    public func publishMetaEvent(topic: String, arguments: () -> RawJSON, into outbox: inout Outbox) {
        publishMeta(topic: topic, arguments: arguments(), into: &outbox)
    }
}
