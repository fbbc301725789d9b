import WampMessages

/// Retained events as the nodes of a cluster share them (docs/cluster.md "Retained events"):
/// each node keeps its own store, within its own `--max-retained-*` bounds, and fills it from the
/// other nodes' publications as they happen and, once it joins, from a snapshot of another node.
extension Broker {
    /// A retained publication another node shared: stored as its topic's retained event here too,
    /// so a `get_retained` subscriber on this node gets it. Delivery to this node's subscribers
    /// comes separately, through `deliverRelayed`.
    public func storeRelayedRetained(_ publication: RelayedPublication) {
        storeRetained(publication, replacing: true)
    }

    /// A retained event from another node's snapshot, kept only when this node has none for the
    /// topic: whatever it has came live, after it asked, and so is the newer one.
    @discardableResult
    public func fillRetained(_ publication: RelayedPublication) -> Bool {
        storeRetained(publication, replacing: false)
    }

    /// At most `limit` of this node's retained events, oldest first, as they travel between nodes.
    public func retainedSnapshot(limit: Int) -> [RelayedPublication] {
        state.withLock { $0.retained.oldestFirst(limit: limit) }.map(RelayedPublication.init(retained:))
    }

    @discardableResult
    private func storeRetained(_ publication: RelayedPublication, replacing: Bool) -> Bool {
        guard publication.retain else { return false }
        let (stored, evicted) = state.withLock { state -> (Bool, Int) in
            if !replacing, state.retained.record(for: publication.topic) != nil { return (false, 0) }
            let record = EventRecord(
                sequence: state.nextSequence(), publication: publication.publication, topic: publication.topic,
                timestamp: historyEnabled ? Timestamp.now() : "", payload: publication.payload, details: publication.details,
                filter: publication.filter, publisher: publication.publisher, excludeMe: publication.excludeMe)
            return (true, state.retained.store(record, maxTopics: self.limits.maxRetainedTopics, maxBytes: self.limits.maxRetainedBytes))
        }
        if evicted > 0 { reportEvictions((retained: evicted, history: 0)) }
        return stored
    }
}
