/// The signatures of signed requests accepted within the timestamp window, so that the same
/// request sent again (same key, timestamp, seq, nonce and body: the same signature) is refused.
/// Crossbar does not check this; a captured request could otherwise be replayed for as long as
/// its timestamp stays within `timestamp_delta_limit`.
///
/// Bounded: at most `capacity` signatures; a signature is forgotten once its timestamp is out of
/// the window (the timestamp check refuses it then). When full of unexpired entries, new signed
/// requests are refused (503) rather than forgetting one early, which would open a replay.
struct ReplayGuard {
    let capacity: Int
    private var expiryBySignature: [String: Int64] = [:]
    /// Arrival order, for pruning; `head` is the first live index.
    private var order: [(signature: String, expires: Int64)] = []
    private var head = 0

    init(capacity: Int) {
        self.capacity = capacity
    }

    var count: Int { expiryBySignature.count }

    enum Outcome: Equatable {
        case accepted, replayed, full
    }

    mutating func admit(_ accepted: RequestSignature.Accepted, nowMilliseconds: Int64) -> Outcome {
        prune(nowMilliseconds)
        if let expires = expiryBySignature[accepted.signature], expires >= nowMilliseconds { return .replayed }
        if expiryBySignature.count >= capacity || order.count - head > 2 * capacity {
            // Entries stuck behind a later-expiring one may have expired: look at all of them.
            expiryBySignature = expiryBySignature.filter { $0.value >= nowMilliseconds }
            order = expiryBySignature.map { ($0.key, $0.value) }.sorted { $0.expires < $1.expires }
            head = 0
        }
        guard expiryBySignature.count < capacity else { return .full }
        expiryBySignature[accepted.signature] = accepted.expiresAtMilliseconds
        order.append((accepted.signature, accepted.expiresAtMilliseconds))
        return .accepted
    }

    /// Forgets expired entries from the front of the arrival order (an entry behind a later-
    /// expiring one waits for it: timestamps differ by at most twice the window, so that bounds
    /// how long).
    private mutating func prune(_ now: Int64) {
        while head < order.count, order[head].expires < now {
            if expiryBySignature[order[head].signature] == order[head].expires {
                expiryBySignature.removeValue(forKey: order[head].signature)
            }
            head += 1
        }
        if head > 1024, head * 2 > order.count {
            order.removeFirst(head)
            head = 0
        }
    }
}
