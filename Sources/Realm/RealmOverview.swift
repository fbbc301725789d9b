import WampMessages

/// A bounded copy of a realm's registrations or subscriptions for the admin status page: the
/// first `limit` found (in no particular order) and how many there are in all. Taken under the
/// routing lock in one pass, which copies no more than `limit` entries.
public struct RealmOverview<Entry: Sendable>: Sendable {
    public var entries: [Entry]
    public var total: Int
}

/// One registration as the status page shows it.
public struct RegistrationOverview: Sendable, Equatable {
    public var id: WampID
    public var procedure: String
    public var match: MatchPolicy
    public var invoke: InvokePolicy
    public var callees: Int
}

/// One subscription as the status page shows it.
public struct SubscriptionOverview: Sendable, Equatable {
    public var id: WampID
    public var topic: String
    public var match: MatchPolicy
    public var subscribers: Int
}

extension Dealer {
    public func registrationOverview(limit: Int) -> RealmOverview<RegistrationOverview> {
        state.withLock { state in
            var entries: [RegistrationOverview] = []
            entries.reserveCapacity(min(limit, state.registrations.count))
            for registration in state.registrations.values.prefix(max(0, limit)) {
                entries.append(RegistrationOverview(id: registration.id, procedure: registration.procedure, match: registration.match,
                                                    invoke: registration.invoke, callees: registration.callees.count))
            }
            return RealmOverview(entries: entries, total: state.registrations.count)
        }
    }
}

extension Broker {
    public func subscriptionOverview(limit: Int) -> RealmOverview<SubscriptionOverview> {
        state.withLock { state in
            var entries: [SubscriptionOverview] = []
            entries.reserveCapacity(min(limit, state.subscriptions.count))
            for subscription in state.subscriptions.values.prefix(max(0, limit)) {
                entries.append(SubscriptionOverview(id: subscription.id, topic: subscription.topic, match: subscription.match,
                                                    subscribers: subscription.subscribers.count))
            }
            return RealmOverview(entries: entries, total: state.subscriptions.count)
        }
    }
}
