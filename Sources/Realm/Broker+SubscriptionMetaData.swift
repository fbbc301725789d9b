import WampMessages

/// What the Subscriptions Meta API reads from the broker.
extension Broker {
    // Clustered, these also answer with the other nodes' subscriptions (`BrokerRelay`'s copy of
    // the cluster's directory, read outside the lock); the subscribers stay this node's.

    /// `wamp.subscription.list`.
    public func subscriptionLists() -> (exact: [WampID], prefix: [WampID], wildcard: [WampID]) {
        var lists = state.withLock { (exact: Array($0.exact.values), prefix: Array($0.prefix.values), wildcard: Array($0.wildcard.values)) }
        guard let relay else { return lists }
        let known = Set(lists.exact + lists.prefix + lists.wildcard)
        for entry in relay.clusterSubscriptions() where !known.contains(entry.id) {
            switch entry.match {
            case .exact: lists.exact.append(entry.id)
            case .prefix: lists.prefix.append(entry.id)
            case .wildcard: lists.wildcard.append(entry.id)
            }
        }
        return lists
    }

    /// `wamp.subscription.lookup`: the subscription managing `topic` under `match`.
    public func lookup(topic: String, match: MatchPolicy = .exact) -> WampID? {
        if let local = state.withLock({ $0.table(match)[topic] }) { return local }
        return relay?.clusterSubscription(topic: topic, match: match)?.id
    }

    /// `wamp.subscription.match`: every subscription a publication to `topic` would reach
    /// (exact first, then prefix, then wildcard).
    public func matchingSubscriptions(topic: String) -> [WampID] {
        let local = state.withLock { state -> [(id: WampID, match: MatchPolicy)] in
            guard let found = state.targets(topic) else { return [] }
            return (found.exact.map { [($0.id, .exact)] } ?? []) + found.patterns.map { ($0.id, $0.match) }
        }
        guard let relay else { return local.map(\.id) }
        let known = Set(local.map(\.id))
        let others = relay.clusterSubscriptions()
            .filter { !known.contains($0.id) && $0.match.matches(pattern: $0.topic, uri: topic) }
            .map { (id: $0.id, match: $0.match) }
        let all = local + others
        return [MatchPolicy.exact, .prefix, .wildcard].flatMap { policy in all.filter { $0.match == policy }.map(\.id) }
    }

    /// `wamp.subscription.get`: a subscription of another node has no subscribers here.
    public func info(_ subscription: WampID) -> SubscriptionInfo? {
        if let local = state.withLock({ $0.subscriptions[subscription]?.info }) { return local }
        return relay?.clusterSubscription(id: subscription).map {
            SubscriptionInfo(id: $0.id, topic: $0.topic, match: $0.match, created: $0.created, subscribers: [])
        }
    }

    /// `wamp.subscription.list_subscribers` / `count_subscribers`.
    public func subscribers(of subscription: WampID) -> [WampID]? {
        state.withLock { $0.subscriptions[subscription].map { Array($0.subscribers.keys) } }
    }
}
