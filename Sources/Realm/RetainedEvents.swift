import WampMessages

/// The latest retained event per topic (event retention), bounded per realm in topics and in
/// payload bytes. Past either bound the oldest retained event goes; the caller logs and counts
/// what `store` reports as evicted.
struct RetainedEvents: Sendable {
    private(set) var byTopic: [String: EventRecord] = [:]
    private(set) var bytes = 0
    /// Arrival order for eviction. Entries for overwritten events stay until they reach the
    /// front (checked by sequence) or the list is compacted.
    private var order: [(sequence: UInt64, topic: String)] = []
    private var head = 0

    var count: Int { byTopic.count }

    func record(for topic: String) -> EventRecord? { byTopic[topic] }

    /// Keeps `record` as its topic's retained event; returns how many older events were evicted.
    mutating func store(_ record: EventRecord, maxTopics: Int, maxBytes: Int) -> Int {
        if let previous = byTopic.updateValue(record, forKey: record.topic) {
            bytes -= previous.payload.byteCount
        }
        bytes += record.payload.byteCount
        order.append((record.sequence, record.topic))
        var evicted = 0
        while (byTopic.count > maxTopics || bytes > maxBytes), head < order.count {
            let (sequence, topic) = order[head]
            head += 1
            if let current = byTopic[topic], current.sequence == sequence {
                byTopic[topic] = nil
                bytes -= current.payload.byteCount
                evicted += 1
            }
        }
        compactIfSparse()
        return evicted
    }

    /// The `limit` oldest retained events, oldest first.
    func oldestFirst(limit: Int) -> [EventRecord] {
        Array(byTopic.values.sorted { $0.sequence < $1.sequence }.prefix(max(0, limit)))
    }

    /// Retained events of every topic `policy`/`pattern` matches, in arrival order.
    func records(matching pattern: String, policy: MatchPolicy) -> [EventRecord] {
        if policy == .exact { return byTopic[pattern].map { [$0] } ?? [] }
        return byTopic.values.filter { policy.matches(pattern: pattern, uri: $0.topic) }.sorted { $0.sequence < $1.sequence }
    }

    private mutating func compactIfSparse() {
        let live = order.count - head
        guard live > 2 * byTopic.count + 64 else { return }
        order = byTopic.values.sorted { $0.sequence < $1.sequence }.map { ($0.sequence, $0.topic) }
        head = 0
    }
}
