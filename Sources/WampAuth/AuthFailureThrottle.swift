/// Slows down repeated authentication failures from one address: the ABORT that ends a failed
/// attempt waits `delay(...)` before it is sent, so guessing tickets or passwords over one
/// connection after another gets slower the longer it goes on. Together with the per-address
/// connection limit this bounds the guessing rate of one address.
///
/// Policy: within `window` of an address's previous failure, its failures count up; the first
/// `freeFailures` of them cost nothing (a user mistyping a password), each later one doubles the
/// delay from `initialDelay` up to `maximumDelay`. A failure more than `window` after the
/// previous one starts the count again, and a success clears it. At most `maximumAddresses`
/// are tracked; when a new one arrives at the limit, the one whose last failure is oldest is
/// forgotten.
///
/// A pure value with an explicit time: the caller owns one per router (behind its own lock, as
/// it is shared by every connection) and passes `ContinuousClock.now`.
public struct AuthFailureThrottle: Sendable {
    public struct Policy: Sendable, Hashable {
        public var freeFailures: Int
        public var initialDelay: Duration
        public var maximumDelay: Duration
        public var window: Duration
        public var maximumAddresses: Int

        public init(freeFailures: Int = 3, initialDelay: Duration = .milliseconds(500),
                    maximumDelay: Duration = .seconds(5), window: Duration = .seconds(60),
                    maximumAddresses: Int = 10_000) {
            self.freeFailures = max(0, freeFailures)
            self.initialDelay = max(.zero, initialDelay)
            self.maximumDelay = max(.zero, maximumDelay)
            self.window = max(.zero, window)
            self.maximumAddresses = max(1, maximumAddresses)
        }

        /// The delay for the `failures`-th failure in a row.
        public func delay(afterFailures failures: Int) -> Duration {
            let doublings = failures - freeFailures - 1
            guard doublings >= 0 else { return .zero }
            var delay = initialDelay
            for _ in 0..<min(doublings, 62) {
                delay *= 2
                if delay >= maximumDelay { return maximumDelay }
            }
            return min(delay, maximumDelay)
        }
    }

    private struct Record {
        var failures: Int
        var lastFailure: ContinuousClock.Instant
        /// Position of this record's latest entry in `order`, to skip stale ones.
        var sequence: UInt64
    }

    public let policy: Policy
    private var records: [String: Record] = [:]
    /// Addresses in the order of their failures; an address appears again at each failure, and
    /// only its latest entry (matching `Record.sequence`) counts.
    private var order: [(address: String, sequence: UInt64)] = []
    private var orderStart = 0
    private var nextSequence: UInt64 = 0

    public init(policy: Policy = Policy()) {
        self.policy = policy
    }

    /// Number of addresses tracked now.
    public var trackedAddresses: Int { records.count }

    /// Records a failure from `address` at `now` and returns how long to wait before the ABORT.
    public mutating func recordFailure(from address: String, at now: ContinuousClock.Instant) -> Duration {
        var failures = 1
        if let record = records[address], now - record.lastFailure <= policy.window {
            failures = record.failures + 1
        }
        if records[address] == nil {
            while records.count >= policy.maximumAddresses, evictOldest() {}
        }
        nextSequence += 1
        records[address] = Record(failures: failures, lastFailure: now, sequence: nextSequence)
        order.append((address, nextSequence))
        compactIfNeeded()
        return policy.delay(afterFailures: failures)
    }

    /// How many failures in a row `address` has at `now` (0 once its window has passed).
    public func pendingFailures(from address: String, at now: ContinuousClock.Instant) -> Int {
        guard let record = records[address], now - record.lastFailure <= policy.window else { return 0 }
        return record.failures
    }

    /// A successful authentication from `address` forgives its earlier failures.
    public mutating func recordSuccess(from address: String) {
        records[address] = nil
    }

    /// Forgets the address whose latest failure is oldest; false when nothing is tracked.
    private mutating func evictOldest() -> Bool {
        while orderStart < order.count {
            let entry = order[orderStart]
            orderStart += 1
            if records[entry.address]?.sequence == entry.sequence {
                records[entry.address] = nil
                return true
            }
        }
        return false
    }

    /// Drops stale and consumed entries once they outnumber the live ones, so `order` stays
    /// within a small multiple of `maximumAddresses` however often one address fails.
    private mutating func compactIfNeeded() {
        guard order.count > 2 * policy.maximumAddresses + 16 else { return }
        order = order[orderStart...].filter { records[$0.address]?.sequence == $0.sequence }
        orderStart = 0
    }
}
