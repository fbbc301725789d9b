import WampMessages

extension Broker: MetaEventPublisher {
    public func publishMetaEvent(topic: String, arguments: () -> RawJSON) {
        publishMeta(topic: topic, arguments: arguments())
    }
}
