import Logging
import Synchronization
import WampMessages

/// Publish/subscribe routing for one realm: Basic Profile plus publisher exclusion and
/// identification, subscriber black/whitelisting, pattern-based subscriptions, event retention,
/// event history, subscription revocation, payload passthru and the subscription meta events.
///
/// The lock is held only to decide: look up the matching subscriptions, take their subscriber
/// tables (copy-on-write references, so O(1)) and draw a publication ID. EVENTs are encoded
/// outside the lock, once per subscription, and the same bytes go to all its subscribers.
/// Changes that fire meta events run under the realm's membership order and put everything they
/// send into its `Outbox`, sent after release (see `MembershipOrder`).
public final class Broker: Sendable {
    let state: Mutex<State>
    let uris: URIValidator
    let historyEnabled: Bool
    private let membership: MembershipOrder
    let limits: RealmLimits
    let counters: RealmCounters
    let logger: Logger
    /// The cluster's share of this broker (nil alone); set once by `attach(relay:)` before any
    /// session joins, read without a lock after.
    nonisolated(unsafe) private(set) var relay: (any BrokerRelay)?

    /// `eventHistory`: topics starting with `prefix` keep their last `limit` events (the longest
    /// matching prefix decides).
    public init(uris: URIValidator, eventHistory: [(prefix: String, limit: Int)] = [],
                membership: MembershipOrder = MembershipOrder(), limits: RealmLimits = RealmLimits(),
                counters: RealmCounters = RealmCounters(), logger: Logger = Logger(label: "wamp-router.broker")) {
        self.uris = uris
        self.membership = membership
        self.limits = limits
        self.counters = counters
        self.logger = logger
        let history = EventHistory(rules: eventHistory)
        self.historyEnabled = history.isEnabled
        self.state = Mutex(State(history: history))
    }

    /// Shares this broker's publications and subscriptions with other nodes. Call before any
    /// session joins; `slot` is the node's, for the publication and subscription IDs it draws.
    public func attach(relay: any BrokerRelay, slot: Int) {
        self.relay = relay
        useSlot(slot)
    }

    /// Draws IDs in `slot`'s range from now on (a node that re-claimed another slot).
    public func useSlot(_ slot: Int) {
        state.withLock { $0.ids = IDGenerator(slot: slot) }
    }

    // MARK: Subscribing

    public func subscribe(_ message: Subscribe, from session: RealmSession) {
        if let relay, let match = relayedMatch(message) {
            // Clustered, and the subscription may be new here: the broker takes the subscriber
            // only once other nodes' publications reach this node, so SUBSCRIBED means the very
            // next PUBLISH anywhere reaches it, and no local EVENT precedes SUBSCRIBED.
            relay.prepare(topic: message.topic, match: match) { [self] readiness in
                defer { relay.release(topic: message.topic, match: match, session: session.id) }
                switch readiness {
                case .ready(let cluster):
                    subscribeLocally(message, from: session, cluster: cluster)
                case .refused(let uri, let why):
                    session.peer.send(.error(ErrorMessage(requestType: .subscribe, request: message.request, error: uri, message: why)))
                }
            }
            return
        }
        subscribeLocally(message, from: session, cluster: nil)
    }

    /// The match policy of a SUBSCRIBE the relay should know of; nil when it is refused anyway
    /// (checked again by `subscribeInOrder`) or is for a `wamp.*` topic that is none of the
    /// router's meta events (those the nodes share: `SharedMetaTopics`).
    private func relayedMatch(_ message: Subscribe) -> MatchPolicy? {
        var match = MatchPolicy.exact
        if message.options.count > 0, message.options.contains("match") {
            guard let value = message.options.string("match"), let policy = MatchPolicy(rawValue: value) else { return nil }
            match = policy
        }
        // Refused anyway: no key-value change for it.
        if message.options.count > 0, message.options.contains("get_retained"), message.options.bool("get_retained") == nil {
            return nil
        }
        if message.topic.hasPrefix("wamp."), !SharedMetaTopics.reached(by: message.topic, match: match) { return nil }
        let valid = match == .wildcard ? uris.isValidWildcard(message.topic) : uris.isValid(message.topic)
        return valid ? match : nil
    }

    /// `cluster`: the cluster's subscription of the topic (clustered, not a meta topic).
    private func subscribeLocally(_ message: Subscribe, from session: RealmSession, cluster: RelayedSubscription?) {
        let skipped = membership.run { outbox in subscribeInOrder(message, from: session, cluster: cluster, into: &outbox) }
        if skipped > 0, counters.add(.retainedNotDelivered, skipped) {
            logger.warning("retained events not delivered: answer bound reached", metadata: [
                "session": "\(session.id)", "topic": "\(LogText.quoted(message.topic))", "skipped": "\(skipped)",
                "skippedTotal": "\(counters.value(.retainedNotDelivered))",
                "maxAnswerBytes": "\(limits.maxAnswerBytes)",
            ])
        }
    }

    /// Returns how many retained events were left out for the answer bound.
    private func subscribeInOrder(_ message: Subscribe, from session: RealmSession, cluster: RelayedSubscription?,
                                  into outbox: inout Outbox) -> Int {
        if let cluster, cluster.isNew {
            // This node made the cluster's subscription: on_create fires here, once for the
            // cluster, even if this SUBSCRIBE is refused below (the relay then deletes it again,
            // and on_delete follows).
            let details = Broker.subscriptionDetails(id: cluster.id, created: cluster.created, topic: message.topic,
                                                     match: relayedMatch(message) ?? .exact)
            publishMeta(topic: MetaTopic.onCreate, arguments: Broker.pairArguments(session.id, details), into: &outbox)
        }
        var match = MatchPolicy.exact
        var getRetained = false
        if message.options.count > 0 {
            if message.options.contains("match") {
                guard let value = message.options.string("match"), let policy = MatchPolicy(rawValue: value) else {
                    refuseSubscribe(message, session, ErrorURI.invalidArgument,
                                    "subscription match policy must be one of \"exact\", \"prefix\", \"wildcard\"", into: &outbox)
                    return 0
                }
                match = policy
            }
            if message.options.contains("get_retained") {
                guard let value = message.options.bool("get_retained") else {
                    refuseSubscribe(message, session, ErrorURI.invalidArgument, "option 'get_retained' must be a boolean", into: &outbox)
                    return 0
                }
                getRetained = value
            }
        }
        let valid = match == .wildcard ? uris.isValidWildcard(message.topic) : uris.isValid(message.topic)
        guard valid else {
            refuseSubscribe(message, session, ErrorURI.invalidURI,
                            "'\(message.topic)' is not a valid topic URI for match policy '\(match.rawValue)'", into: &outbox)
            return 0
        }
        // A SUBSCRIBE that waited for the cluster: the session may have left meanwhile (`leave`
        // marks it before removing its subscriptions under this same order).
        if relay != nil, session.hasLeft { return 0 }
        let topic = message.topic
        let maxSubscriptions = limits.maxSubscriptionsPerSession
        let maxAnswerBytes = limits.maxAnswerBytes
        var created = false
        var idTaken = false
        let decision = state.withLock { state -> (WampID, [MetaEvent], [EventRecord], skipped: Int)? in
            var meta: [MetaEvent] = []
            let id: WampID
            let existing = state.table(match)[topic]
            let alreadyHere = existing.map { state.subscriptions[$0]!.subscribers[session.id] != nil } ?? false
            if !alreadyHere, state.subscriptionsBySession[session.id]?.count ?? 0 >= maxSubscriptions { return nil }
            if let existing {
                id = existing
                if state.subscriptions[id]!.subscribers.updateValue(session, forKey: session.id) == nil {
                    meta.append(.subscribed(session: session.id, subscription: id))
                }
            } else {
                if let cluster {
                    // Drawn by some node for the cluster; a local (meta topic) subscription
                    // holding the same ID is a collision this node must not merge.
                    guard state.subscriptions[cluster.id] == nil else {
                        idTaken = true
                        return nil
                    }
                    id = cluster.id
                } else {
                    id = state.newSubscriptionID()
                }
                let subscription = Subscription(id: id, topic: topic, match: match, created: cluster?.created ?? Timestamp.now(),
                                                subscribers: [session.id: session], clustered: cluster != nil)
                state.setTable(match, topic, id)
                state.subscriptions[id] = subscription
                // A clustered subscription's on_create fired above, on the node that made it.
                if cluster == nil { meta.append(.created(session: session.id, subscription: subscription)) }
                meta.append(.subscribed(session: session.id, subscription: id))
                created = true
            }
            state.subscriptionsBySession[session.id, default: []].insert(id)
            var retained: [EventRecord] = []
            var skipped = 0
            if getRetained {
                var bytes = 0
                for record in state.retained.records(matching: topic, policy: match) where record.isEligible(session) {
                    bytes += record.payload.byteCount
                    if bytes > maxAnswerBytes && !retained.isEmpty {
                        skipped += 1
                    } else {
                        retained.append(record)
                    }
                }
            }
            return (id, meta, retained, skipped)
        }
        if idTaken, let cluster {
            logger.error("cluster subscription ID already used by a local subscription", metadata: [
                "subscription": "\(cluster.id)", "topic": "\(LogText.quoted(topic))",
            ])
            refuseSubscribe(message, session, ErrorURI.clusterUnavailable,
                            "the cluster's subscription ID \(cluster.id) is taken on this node", into: &outbox)
            return 0
        }
        guard let (subscriptionID, meta, retained, skipped) = decision else {
            counters.add(.limitRefusals)
            refuseSubscribe(message, session, ErrorURI.limitExceeded,
                            "this session holds \(maxSubscriptions) subscriptions, the most allowed (--max-subscriptions)", into: &outbox)
            return 0
        }
        if created, cluster != nil, let relay {
            let policy = match
            outbox.run { relay.created(topic: topic, match: policy) }
        }
        outbox.send(.subscribed(Subscribed(request: message.request, subscription: subscriptionID)), to: session.peer)
        for record in retained {
            outbox.send(.event(Event(
                subscription: subscriptionID, publication: record.publication,
                details: record.details.make(topic: match == .exact ? nil : record.topic, retained: true),
                payload: record.payload)), to: session.peer)
        }
        emit(meta, into: &outbox)
        return skipped
    }

    public func unsubscribe(_ message: Unsubscribe, from session: RealmSession) {
        membership.run { outbox in unsubscribeInOrder(message, from: session, into: &outbox) }
    }

    private func unsubscribeInOrder(_ message: Unsubscribe, from session: RealmSession, into outbox: inout Outbox) {
        let removed = state.withLock { state in
            state.removeSubscriber(session.id, from: message.subscription)
        }
        if let (_, meta) = removed {
            outbox.send(.unsubscribed(Unsubscribed(request: message.request)), to: session.peer)
            emit(meta, into: &outbox)
        } else {
            outbox.send(.error(ErrorMessage(
                requestType: .unsubscribe, request: message.request, error: ErrorURI.noSuchSubscription,
                message: "session has no subscription \(message.subscription)")), to: session.peer)
        }
    }

    /// Subscription revocation: removes `session` from `subscription`. A subscriber that announced
    /// `subscription_revocation` is told with `[UNSUBSCRIBED, 0, {"subscription", "reason"}]`; others
    /// are not (spec). Meta events fire as for UNSUBSCRIBE. False if it was not subscribed.
    @discardableResult
    public func removeSubscriber(_ sessionID: WampID, from subscription: WampID, reason: String?) -> Bool {
        membership.run { outbox in removeSubscriberInOrder(sessionID, from: subscription, reason: reason, into: &outbox) }
    }

    private func removeSubscriberInOrder(_ sessionID: WampID, from subscription: WampID, reason: String?,
                                         into outbox: inout Outbox) -> Bool {
        guard let (session, meta) = state.withLock({ $0.removeSubscriber(sessionID, from: subscription) }) else {
            return false
        }
        if session.features.contains(.subscriberSubscriptionRevocation) {
            let details = JSONValue.makeObject()
            details.set("subscription", integer: Int64(subscription))
            if let reason { details.set("reason", string: reason) }
            outbox.send(.unsubscribed(Unsubscribed(request: 0, details: details)), to: session.peer)
        }
        emit(meta, into: &outbox)
        return true
    }

    /// Drops every subscription a leaving session held, with their meta events.
    public func removeSession(_ sessionID: WampID) {
        membership.run { outbox in removeSessionInOrder(sessionID, into: &outbox) }
    }

    func removeSessionInOrder(_ sessionID: WampID, into outbox: inout Outbox) {
        let meta = state.withLock { state -> [MetaEvent] in
            var meta: [MetaEvent] = []
            for id in state.subscriptionsBySession[sessionID] ?? [] {
                if let (_, events) = state.removeSubscriber(sessionID, from: id) { meta.append(contentsOf: events) }
            }
            return meta
        }
        emit(meta, into: &outbox)
    }

    // MARK: Event history

    /// The stored events of the subscription's topic (for a pattern subscription: of every matching
    /// topic, merged) in publication order, or `nil` for an unknown subscription. `limit` keeps the
    /// first `limit` events in the traversal order (`reverse` traverses newest first). `visibleTo`
    /// drops events whose `eligible_authid/authrole` / `exclude_authid/authrole` lists would have kept
    /// that session from receiving them (spec "Event History", "Security Aspects"); events published
    /// with session-ID lists are never stored.
    ///
    /// Backs `wamp.subscription.get_events`: Arguments `[subscription|id]`; ArgumentsKw optional
    /// `reverse|bool`, `limit|int`, `from_time`/`after_time`/`before_time`/`until_time` (RFC 3339,
    /// `>=`/`>`/`<`/`<=`), `topic|uri` (pattern subscriptions: only that topic),
    /// `from_publication`/`after_publication`/`before_publication`/`until_publication` (inclusive /
    /// exclusive bounds by position of that publication). Result: Arguments `[[Event, ...]]`, each
    /// Event `{"timestamp", "subscription", "publication", "details", "args"?, "kwargs"?}`.
    /// Apply the time/publication/topic filters to the full list (`limit: nil`), then cut.
    public func history(subscription: WampID, limit: Int? = nil, reverse: Bool = false,
                        visibleTo caller: RealmSession? = nil) -> [StoredEvent]? {
        let found = state.withLock { state -> (Subscription, [EventRecord])? in
            guard let subscription = state.subscriptions[subscription] else { return nil }
            return (subscription, state.history.records(matching: subscription.topic, policy: subscription.match))
        }
        guard let (subscription, records) = found else { return nil }
        return Self.storedEvents(records, subscription: subscription.id, match: subscription.match, limit: limit, reverse: reverse,
                                 visibleTo: caller)
    }

    /// Clustered: the history this node keeps for a subscription of the cluster, also when this
    /// node has no subscriber of it (its topic and match from the relay's copy of the directory).
    public func historyOfClusterSubscription(_ subscription: WampID, visibleTo caller: RealmSession) -> [StoredEvent]? {
        if let local = history(subscription: subscription, visibleTo: caller) { return local }
        guard let entry = relay?.clusterSubscription(id: subscription) else { return nil }
        let records = state.withLock { $0.history.records(matching: entry.topic, policy: entry.match) }
        return Self.storedEvents(records, subscription: entry.id, match: entry.match, limit: nil, reverse: false, visibleTo: caller)
    }

    private static func storedEvents(_ records: [EventRecord], subscription: WampID, match: MatchPolicy, limit: Int?, reverse: Bool,
                                     visibleTo caller: RealmSession?) -> [StoredEvent] {
        var result: [StoredEvent] = []
        let ordered = reverse ? Array(records.reversed()) : records
        for record in ordered {
            if let limit, result.count >= limit { break }
            if let caller, let filter = record.filter, !filter.admits(caller) { continue }
            result.append(StoredEvent(
                subscription: subscription, publication: record.publication, topic: record.topic,
                timestamp: record.timestamp,
                details: record.details.make(topic: match == .exact ? nil : record.topic),
                payload: record.payload))
        }
        return result
    }

    public var subscriptionCount: Int { state.withLock { $0.subscriptions.count } }
    /// Payload bytes held for retained events and for event history (metrics gauges).
    public var storedEventBytes: (retained: Int, history: Int) { state.withLock { ($0.retained.bytes, $0.history.bytes) } }

    /// Meta event topics (spec "Subscriptions Meta API").
    public enum MetaTopic {
        public static let onCreate = "wamp.subscription.on_create"
        public static let onSubscribe = "wamp.subscription.on_subscribe"
        public static let onUnsubscribe = "wamp.subscription.on_unsubscribe"
        public static let onDelete = "wamp.subscription.on_delete"
    }

    private func emit(_ events: [MetaEvent], into outbox: inout Outbox) {
        for event in events {
            switch event {
            case .created(let session, let subscription):
                publishMeta(topic: MetaTopic.onCreate, arguments: Broker.pairArguments(session, Broker.subscriptionDetails(subscription)),
                            into: &outbox)
            case .subscribed(let session, let subscription):
                publishMeta(topic: MetaTopic.onSubscribe, arguments: Broker.pairArguments(session, "\(subscription)"), into: &outbox)
            case .unsubscribed(let session, let subscription):
                publishMeta(topic: MetaTopic.onUnsubscribe, arguments: Broker.pairArguments(session, "\(subscription)"), into: &outbox)
            case .deleted(let session, let subscription, let topic, let match, let clustered):
                if clustered, let relay {
                    // on_delete fires on the node whose removal ends the cluster's subscription.
                    outbox.run { relay.deleted(topic: topic, match: match, session: session) }
                    continue
                }
                publishMeta(topic: MetaTopic.onDelete, arguments: Broker.pairArguments(session, "\(subscription)"), into: &outbox)
            }
        }
    }

    private static func pairArguments(_ session: WampID, _ second: String) -> RawJSON {
        RawJSON("[\(session),\(second)]")!
    }

    /// `SubscriptionDetails` of the meta API: `{id, created, uri, match}`.
    static func subscriptionDetails(_ subscription: Subscription) -> String {
        subscriptionDetails(id: subscription.id, created: subscription.created, topic: subscription.topic, match: subscription.match)
    }

    static func subscriptionDetails(id: WampID, created: String, topic: String, match: MatchPolicy) -> String {
        let details = JSONValue.makeObject()
        details.set("id", integer: Int64(id))
        details.set("created", string: created)
        details.set("uri", string: topic)
        details.set("match", string: match.rawValue)
        return details.jsonText
    }

    /// `on_delete` of a cluster's subscription, fired by the relay on the node whose removal
    /// ended it (after this node's own subscription went, and its `on_unsubscribe`).
    public func publishSubscriptionDeleted(session: WampID, subscription: WampID) {
        membership.run { outbox in
            publishMeta(topic: MetaTopic.onDelete, arguments: Broker.pairArguments(session, "\(subscription)"), into: &outbox)
        }
    }

    // MARK: Refusals

    func refusal(for topic: String) -> String? {
        guard uris.isValid(topic) else { return "'\(topic)' is not a valid topic URI" }
        if topic.hasPrefix("wamp.") { return "topic '\(topic)' is under the reserved prefix 'wamp.'" }
        return nil
    }

    func refusePublish(_ message: Publish, _ session: RealmSession, _ acknowledge: Bool,
                               _ error: String, _ why: String) -> String {
        if acknowledge {
            session.peer.send(.error(ErrorMessage(requestType: .publish, request: message.request, error: error, message: why)))
        }
        return why
    }

    private func refuseSubscribe(_ message: Subscribe, _ session: RealmSession, _ error: String, _ why: String,
                                 into outbox: inout Outbox) {
        outbox.send(.error(ErrorMessage(requestType: .subscribe, request: message.request, error: error, message: why)), to: session.peer)
    }

    /// Shared, never mutated: EVENT Details without Advanced Profile keys are empty.
    static let emptyDetails = JSONValue.emptyObject
}
