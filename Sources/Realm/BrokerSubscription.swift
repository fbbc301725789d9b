import WampMessages

/// A subscription as the Subscriptions Meta API describes it (`wamp.subscription.get` gives
/// `{id, created, uri, match}`; `list_subscribers` the subscriber IDs).
public struct SubscriptionInfo: Sendable, Equatable {
    public let id: WampID
    public let topic: String
    public let match: MatchPolicy
    /// ISO 8601 UTC with milliseconds, e.g. `2026-11-25T09:40:00.123Z`.
    public let created: String
    public let subscribers: [WampID]
}

extension Broker {
    /// One (topic, match) pair and the sessions that share it.
    struct Subscription: Sendable {
        let id: WampID
        let topic: String
        let match: MatchPolicy
        let created: String
        var subscribers: [WampID: RealmSession]
        /// Its ID is the cluster's (`BrokerRelay.prepare`): on_create/on_delete are the cluster's.
        var clustered = false
    }

    /// What a routing decision yields: the subscriptions to deliver to and the publication ID.
    struct Targets {
        var exact: Subscription?
        var patterns: [Subscription]
        var publication: WampID
    }

    /// Meta events decided under the lock, published after it is released, in this order.
    enum MetaEvent {
        case created(session: WampID, subscription: Subscription)
        case subscribed(session: WampID, subscription: WampID)
        case unsubscribed(session: WampID, subscription: WampID)
        case deleted(session: WampID, subscription: WampID, topic: String, match: MatchPolicy, clustered: Bool)
    }

    struct State {
        /// One collection per match policy for the (topic, match) -> subscription lookups of
        /// SUBSCRIBE and the meta API; an exact PUBLISH is one probe of `exact`, and patterns are
        /// matched through `patterns` only when some exist.
        var exact: [String: WampID] = [:]
        var prefix: [String: WampID] = [:]
        var wildcard: [String: WampID] = [:]
        /// The `prefix` and `wildcard` tables again, indexed for matching a concrete topic.
        var patterns = PatternIndex()
        var subscriptions: [WampID: Subscription] = [:]
        var subscriptionsBySession: [WampID: Set<WampID>] = [:]
        var ids = IDGenerator()
        /// The latest retained event per topic (event retention).
        var retained = RetainedEvents()
        var history: EventHistory
        var sequence: UInt64 = 0

        init(history: EventHistory) { self.history = history }

        var hasPatterns: Bool { !prefix.isEmpty || !wildcard.isEmpty }

        func table(_ match: MatchPolicy) -> [String: WampID] {
            switch match {
            case .exact: exact
            case .prefix: prefix
            case .wildcard: wildcard
            }
        }

        /// Sets or (with `nil`) clears the subscription of (topic, match), in its table and, for
        /// a pattern, in the index.
        mutating func setTable(_ match: MatchPolicy, _ topic: String, _ id: WampID?) {
            switch match {
            case .exact:
                exact[topic] = id
                return
            case .prefix: prefix[topic] = id
            case .wildcard: wildcard[topic] = id
            }
            if let id { patterns.insert(topic, match: match, id: id) } else { patterns.remove(topic, match: match) }
        }

        /// Pattern subscriptions matching a concrete topic: prefixes, then wildcards. Costs the
        /// topic's length and the matches, whatever the number of patterns.
        func patternMatches(_ topic: String) -> [Subscription] {
            var result: [Subscription] = []
            patterns.forEachMatch(of: topic) { id in
                if let subscription = subscriptions[id] { result.append(subscription) }
            }
            return result
        }

        /// The subscriptions a publication to `topic` reaches, or `nil` when there are none.
        func targets(_ topic: String) -> (exact: Subscription?, patterns: [Subscription])? {
            let exactMatch = exact[topic].flatMap { subscriptions[$0] }
            let patterns = hasPatterns ? patternMatches(topic) : []
            if exactMatch == nil && patterns.isEmpty { return nil }
            return (exactMatch, patterns)
        }

        mutating func nextSequence() -> UInt64 {
            sequence += 1
            return sequence
        }

        mutating func newSubscriptionID() -> WampID {
            var id = ids.next()
            while subscriptions[id] != nil { id = ids.next() }
            return id
        }

        /// Removes one subscriber; the subscription itself goes when its last subscriber does.
        /// Returns the removed session and the meta events to publish, or `nil` if it was not there.
        mutating func removeSubscriber(_ sessionID: WampID, from subscriptionID: WampID) -> (RealmSession, [MetaEvent])? {
            guard let session = subscriptions[subscriptionID]?.subscribers.removeValue(forKey: sessionID) else { return nil }
            subscriptionsBySession[sessionID]?.remove(subscriptionID)
            if subscriptionsBySession[sessionID]?.isEmpty == true { subscriptionsBySession[sessionID] = nil }
            var meta: [MetaEvent] = [.unsubscribed(session: sessionID, subscription: subscriptionID)]
            if let subscription = subscriptions[subscriptionID], subscription.subscribers.isEmpty {
                subscriptions[subscriptionID] = nil
                setTable(subscription.match, subscription.topic, nil)
                meta.append(.deleted(session: sessionID, subscription: subscriptionID, topic: subscription.topic,
                                     match: subscription.match, clustered: subscription.clustered))
            }
            return (session, meta)
        }
    }
}

extension Broker.Subscription {
    var info: SubscriptionInfo {
        SubscriptionInfo(id: id, topic: topic, match: match, created: created, subscribers: Array(subscribers.keys))
    }
}
