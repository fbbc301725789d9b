import WampMessages

/// One event as the history returns it for a subscription (spec "Event History"): the lead's
/// `wamp.subscription.get_events` turns it into
/// `{"timestamp", "subscription", "publication", "details", "args", "kwargs"}`.
public struct StoredEvent: Sendable {
    public let subscription: WampID
    public let publication: WampID
    /// The concrete topic published to.
    public let topic: String
    /// RFC 3339 UTC with milliseconds, taken when the broker received the publication.
    public let timestamp: String
    /// EVENT.Details as that subscription received it (with `topic` for pattern subscriptions).
    public let details: JSONValue
    public let payload: Payload
}

/// A publication kept for the history or as a topic's retained event.
struct EventRecord: Sendable {
    /// Broker-wide arrival order (publication IDs are random, so they cannot order events).
    let sequence: UInt64
    let publication: WampID
    let topic: String
    let timestamp: String
    let payload: Payload
    let details: EventDetails
    let filter: PublicationFilter?
    let publisher: WampID?
    let excludeMe: Bool

    /// Whether `session` would have received this event had it been subscribed at the time.
    func isEligible(_ session: RealmSession) -> Bool {
        if excludeMe, let publisher, publisher == session.id { return false }
        return filter?.admits(session) ?? true
    }
}

/// The last N events per topic for topics under configured prefixes, in arrival order.
/// Memory is bounded by N per topic (a ring per topic).
struct EventHistory: Sendable {
    /// Longest prefix first, so the most specific rule gives a topic its limit.
    let rules: [(prefix: String, limit: Int)]
    private(set) var logs: [String: Ring] = [:]

    init(rules: [(prefix: String, limit: Int)]) {
        self.rules = rules.filter { $0.limit > 0 }.sorted { $0.prefix.utf8.count > $1.prefix.utf8.count }
    }

    var isEnabled: Bool { !rules.isEmpty }

    func limit(for topic: String) -> Int? {
        if let log = logs[topic] { return log.limit }
        return rules.first { topic.hasPrefix($0.prefix) }?.limit
    }

    mutating func append(_ record: EventRecord, limit: Int) {
        logs[record.topic, default: Ring(limit: limit)].append(record)
    }

    /// Records of every topic `policy`/`pattern` matches, merged in arrival order.
    func records(matching pattern: String, policy: MatchPolicy) -> [EventRecord] {
        if policy == .exact { return logs[pattern]?.ordered ?? [] }
        var merged: [EventRecord] = []
        for (topic, log) in logs where policy.matches(pattern: pattern, uri: topic) {
            merged.append(contentsOf: log.ordered)
        }
        merged.sort { $0.sequence < $1.sequence }
        return merged
    }

    struct Ring: Sendable {
        let limit: Int
        private var items: [EventRecord] = []
        private var start = 0

        init(limit: Int) { self.limit = limit }

        mutating func append(_ record: EventRecord) {
            if items.count < limit {
                items.append(record)
            } else {
                items[start] = record
                start = (start + 1) % limit
            }
        }

        var ordered: [EventRecord] { Array(items[start...] + items[..<start]) }
        var count: Int { items.count }
    }
}
