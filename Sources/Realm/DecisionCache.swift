/// Authorization decisions already made, bounded by entry count and by the bytes of the URIs it
/// keeps (a URI is as long as a peer makes it: 10,000 one-megabyte URIs must not be kept).
///
/// Past either bound it forgets everything and starts again rather than tracking recency: a
/// workload that fits stays cached with one dictionary probe per hit and no bookkeeping, and one
/// that does not (a peer cycling through ever new URIs) only costs the decisions being made
/// again. Entries whose cost alone exceeds the byte bound are not kept at all.
struct DecisionCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private(set) var entries: [Key: Value] = [:]
    private(set) var bytes = 0
    let maxEntries: Int
    let maxBytes: Int

    init(maxEntries: Int, maxBytes: Int) {
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
    }

    subscript(key: Key) -> Value? { entries[key] }

    var count: Int { entries.count }

    /// Keeps `value`; returns true when the cache was full and was emptied first.
    @discardableResult
    mutating func insert(_ value: Value, for key: Key, bytes cost: Int) -> Bool {
        guard maxEntries > 0, cost <= maxBytes else { return false }
        var cleared = false
        if entries[key] == nil, entries.count >= maxEntries || bytes + cost > maxBytes {
            entries.removeAll(keepingCapacity: true)
            bytes = 0
            cleared = true
        }
        if entries.updateValue(value, forKey: key) == nil { bytes += cost }
        return cleared
    }

    mutating func removeAll() {
        entries.removeAll()
        bytes = 0
    }
}
