import Realm

extension ClusterNode {
    /// Shares every realm of `realms` through this node (call after `start()`, before any session
    /// joins): IDs in this node's slot range, one `ClusterPubSub` per realm as its broker's relay.
    /// A later slot change (after losing the slot) moves the IDs to the new range.
    @discardableResult
    public func share(_ realms: RealmRegistry) -> [String: ClusterPubSub] {
        let slot = self.slot
        realms.useClusterSlot(slot)
        var relays: [String: ClusterPubSub] = [:]
        for name in realms.realmNames {
            guard let realm = realms.realm(named: name) else { continue }
            let relay = ClusterPubSub(realm: realm, node: self)
            realm.broker.attach(relay: relay, slot: slot)
            relays[name] = relay
        }
        whenSlotChanged { slot in realms.useClusterSlot(slot) }
        return relays
    }
}
