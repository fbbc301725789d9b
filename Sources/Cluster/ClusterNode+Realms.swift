import Realm

extension ClusterNode {
    /// Shares every realm of `realms` through this node (call after `start()`, before any session
    /// joins): IDs in this node's slot range, one `ClusterPubSub` per realm as its broker's relay,
    /// one `ClusterSessionQueries` per realm for its session meta API and one
    /// `ClusterSessionRoster` (other nodes' sessions, for their `on_leave` when a node dies), one started
    /// `ClusterDealer` per realm (registrations in the cluster's directory, calls to callees on
    /// other nodes), and one started `ClusterTestaments` per realm as its testament keeper
    /// (testaments in `wamp_testaments`, fired by another node when this one dies). A later slot
    /// change (after losing the slot) moves the IDs to the new range, and each part's
    /// `wamp.node.<slot>` subjects and directory entries to the new slot; `stop()` stops the dealers
    /// and waits for the testament writes before it closes the connection. It also starts the
    /// sweep of old delete markers (`ClusterKeyValueSweeper`), which runs on the lowest live slot.
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
            let roster = ClusterSessionRoster(realm: realm, node: self, limit: configuration.maxTrackedSessions)
            try await roster.start()
            rosters.withLockedValue { $0.append(roster) }
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
        let sweeper = ClusterKeyValueSweeper(node: self, grace: Self.timeAmount(configuration.tombstoneGrace),
                                             interval: Self.timeAmount(configuration.sweepInterval))
        sweeper.start()
        self.sweeper.withLockedValue { $0 = sweeper }
        return relays
    }

    /// The realms' cross-node RPC parts (for tests and diagnostics).
    package var sharedDealers: [ClusterDealer] { dealers.withLockedValue { $0 } }

    /// Sweeps the buckets for old delete markers now, whichever slot this node has (for tests
    /// and diagnostics); returns how many were removed.
    package func sweepDeleteMarkers() async -> Int {
        guard let sweeper = sweeper.withLockedValue({ $0 }) else { return 0 }
        return await sweeper.sweep()
    }
}
