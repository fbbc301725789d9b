import NIOCore

/// The deleted keys a node's copy of a bucket still remembers, oldest first.
///
/// A copy keeps a deleted key's revision (a tombstone) so that an older entry arriving late (the
/// watch delivering a write this node already saw newer) cannot bring the key back. That is only
/// needed while such an entry can still be in flight; after `grace` the tombstone goes, so a
/// copy holds at most the keys deleted within one grace period, not every key ever deleted. The
/// same grace decides when the sweeper may remove a delete marker from the bucket itself.
struct KeyValueTombstones: Sendable {
    private struct Tombstone {
        let key: String
        let revision: UInt64
        let expires: NIODeadline
    }

    let grace: TimeAmount
    private var queue: [Tombstone] = []
    private var head = 0

    init(grace: TimeAmount) {
        self.grace = grace
    }

    var count: Int { queue.count - head }

    /// Remembers that `key` was deleted at `revision`, now.
    mutating func add(_ key: String, revision: UInt64, at now: NIODeadline) {
        queue.append(Tombstone(key: key, revision: revision, expires: now + grace))
    }

    /// The tombstones whose grace is over at `now`, taken out. A key may have been written again
    /// since: the caller forgets it only if its copy still holds this revision as deleted.
    mutating func expire(at now: NIODeadline) -> [(key: String, revision: UInt64)] {
        var expired: [(key: String, revision: UInt64)] = []
        while head < queue.count, queue[head].expires <= now {
            expired.append((queue[head].key, queue[head].revision))
            head += 1
        }
        // Amortised O(1): the consumed front is dropped once it is half the storage.
        if head > 64, head * 2 > queue.count {
            queue.removeFirst(head)
            head = 0
        }
        return expired
    }
}
