import WampMessages

extension Broker: MetaEventPublisher {
    public func publishMetaEvent(topic: String, arguments: () -> RawJSON) {
        // Wired to the broker's meta publication once pattern-aware delivery lands.
    }
}
