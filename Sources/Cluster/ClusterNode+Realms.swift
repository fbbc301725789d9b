import Realm

extension ClusterNode {
    /// Shares every realm of `realms` through this node (call after `start()`, before any session
    /// joins): IDs in this node's slot range, one `ClusterPubSub` per realm as its broker's relay,
    /// one `ClusterSessionQueries` per realm for its session meta API, one started
    /// `ClusterDealer` per realm (registrations in the cluster's directory, calls to callees on
    /// other nodes), and one started `ClusterTestaments` per realm as its testament keeper
    /// (testaments in `wamp_testaments`, fired by another node when this one dies). A later slot
    /// change (after losing the slot) moves the IDs to the new range, and each part's
    /// `wamp.node.<slot>` subjects and directory entries to the new slot; `stop()` stops the dealers
    /// and waits for the testament writes before it closes the connection.
    @discardableResult
    public func share(_ realms: RealmRegistry) async throws -> [String: ClusterPubSub] {
        let slot = self.slot
        realms.useClusterSlot(slot)
        var relays: [String: ClusterPubSub] = [:]
        for name in realms.realmNames {
            guard let realm = realms.realm(named: name) else { continue }
            let relay = ClusterPubSub(realm: realm, node: self, limits: ClusterRPCLimits(configuration))
            try await relay.start()
            relaysToReassert.withLockedValue { $0.append(relay) }
            realm.broker.attach(relay: relay, slot: slot)
            relays[name] = relay
            realm.attach(sessionCluster: ClusterSessionQueries(realm: realm, node: self))
            // Before any session joins, so a get_retained subscriber here finds what was
            // published before this node started. Bounded: the ack timeout per silent node.
            await relay.fetchRetained()
            let dealer = ClusterDealer(realm: realm, membership: self, limits: ClusterRPCLimits(configuration),
                                       logger: logger)
            try await dealer.start()
            dealers.withLockedValue { $0.append(dealer) }
            whenConnectionChanged { [weak dealer] up in if !up { dealer?.connectionInterrupted(slots: nil) } }
            whenNodeReconnected { [weak dealer] slot in dealer?.connectionInterrupted(slots: [slot]) }
            // Lost slots are looked at again a node timeout and a heartbeat after a reconnect.
            let nodeTimeout = Self.timeAmount(configuration.nodeTimeout).nanoseconds
            let testaments = ClusterTestaments(realm: realm, membership: self, counters: counters,
                                               replicas: configuration.keyValueReplicas,
                                               maxTrackedSessions: configuration.maxTrackedSessions,
                                               timeout: Self.timeAmount(configuration.ackTimeout),
                                               retryDelay: .nanoseconds(nodeTimeout * 6 / 5), logger: logger)
            try await testaments.start()
            testamentKeepers.withLockedValue { $0.append(testaments) }
            whenConnectionChanged { [weak testaments] up in if up { testaments?.resync() } }
        }
        whenSlotChanged { slot in realms.useClusterSlot(slot) }
        return relays
    }
}
