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
/// Bounded by N per topic, and per realm by a number of topics and of payload bytes: past those
/// the oldest stored events go (counted by `append`'s result, logged by the caller).
struct EventHistory: Sendable {
    /// Longest prefix first, so the most specific rule gives a topic its limit.
    let rules: [(prefix: String, limit: Int)]
    private(set) var logs: [String: Log] = [:]
    private(set) var bytes = 0
    /// Arrival order across topics, for eviction; an entry is live while it is still the oldest
    /// record of its topic's log (checked by sequence), otherwise skipped.
    private var order: [(sequence: UInt64, topic: String)] = []
    private var head = 0
    private var storedCount = 0

    init(rules: [(prefix: String, limit: Int)]) {
        self.rules = rules.filter { $0.limit > 0 }.sorted { $0.prefix.utf8.count > $1.prefix.utf8.count }
    }

    var isEnabled: Bool { !rules.isEmpty }

    func limit(for topic: String) -> Int? {
        if let log = logs[topic] { return log.limit }
        return rules.first { topic.hasPrefix($0.prefix) }?.limit
    }

    /// Stores `record`; returns how many events were evicted to keep the realm-wide bounds
    /// (the per-topic ring dropping its oldest is normal history, not an eviction).
    mutating func append(_ record: EventRecord, limit: Int, maxTopics: Int, maxBytes: Int) -> Int {
        if let dropped = logs[record.topic, default: Log(limit: limit)].append(record) {
            bytes -= dropped.payload.byteCount
            storedCount -= 1
        }
        bytes += record.payload.byteCount
        storedCount += 1
        order.append((record.sequence, record.topic))
        var evicted = 0
        while (logs.count > maxTopics || bytes > maxBytes), head < order.count {
            let (sequence, topic) = order[head]
            head += 1
            guard logs[topic]?.oldest?.sequence == sequence, let removed = logs[topic]!.removeOldest() else { continue }
            if logs[topic]!.isEmpty { logs[topic] = nil }
            bytes -= removed.payload.byteCount
            storedCount -= 1
            evicted += 1
        }
        if order.count - head > 2 * storedCount + 64 {
            order = logs.values.flatMap(\.ordered).sorted { $0.sequence < $1.sequence }.map { ($0.sequence, $0.topic) }
            head = 0
        }
        return evicted
    }

    /// Records of every topic `policy`/`pattern` matches, merged in arrival order.
    func records(matching pattern: String, policy: MatchPolicy) -> [EventRecord] {
        if policy == .exact { return logs[pattern].map { Array($0.ordered) } ?? [] }
        var merged: [EventRecord] = []
        for (topic, log) in logs where policy.matches(pattern: pattern, uri: topic) {
            merged.append(contentsOf: log.ordered)
        }
        merged.sort { $0.sequence < $1.sequence }
        return merged
    }

    /// One topic's last `limit` events, oldest first.
    struct Log: Sendable {
        let limit: Int
        private var items: [EventRecord] = []
        private var start = 0

        init(limit: Int) { self.limit = limit }

        /// Appends; returns the record the ring dropped to stay within `limit`, if any.
        @discardableResult
        mutating func append(_ record: EventRecord) -> EventRecord? {
            items.append(record)
            guard items.count - start > limit else { return nil }
            return removeOldest()
        }

        mutating func removeOldest() -> EventRecord? {
            guard start < items.count else { return nil }
            let record = items[start]
            start += 1
            if start > 32 && start * 2 > items.count {
                items.removeFirst(start)
                start = 0
            }
            return record
        }

        var oldest: EventRecord? { start < items.count ? items[start] : nil }
        var isEmpty: Bool { start >= items.count }
        var ordered: ArraySlice<EventRecord> { items[start...] }
        var count: Int { items.count - start }
    }
}
