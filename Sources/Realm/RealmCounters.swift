import Synchronization

/// What a realm refused or dropped, so that nothing goes unseen (the router's log says each one;
/// these totals are for tests and, later, metrics).
public final class RealmCounters: Sendable {
    public enum Counter: Sendable {
        /// Requests refused with `router.error.limit_exceeded`.
        case limitRefusals
        /// Retained events evicted to keep the realm's retained bounds.
        case retainedEvicted
        /// History events evicted to keep the realm's history bounds.
        case historyEvicted
        /// Retained events not delivered on SUBSCRIBE because the answer bound was reached.
        case retainedNotDelivered
    }

    private let limitRefusals = Atomic<Int>(0)
    private let retainedEvicted = Atomic<Int>(0)
    private let historyEvicted = Atomic<Int>(0)
    private let retainedNotDelivered = Atomic<Int>(0)

    public init() {}

    func add(_ counter: Counter, _ amount: Int = 1) {
        guard amount > 0 else { return }
        switch counter {
        case .limitRefusals: limitRefusals.wrappingAdd(amount, ordering: .relaxed)
        case .retainedEvicted: retainedEvicted.wrappingAdd(amount, ordering: .relaxed)
        case .historyEvicted: historyEvicted.wrappingAdd(amount, ordering: .relaxed)
        case .retainedNotDelivered: retainedNotDelivered.wrappingAdd(amount, ordering: .relaxed)
        }
    }

    public func value(_ counter: Counter) -> Int {
        switch counter {
        case .limitRefusals: limitRefusals.load(ordering: .relaxed)
        case .retainedEvicted: retainedEvicted.load(ordering: .relaxed)
        case .historyEvicted: historyEvicted.load(ordering: .relaxed)
        case .retainedNotDelivered: retainedNotDelivered.load(ordering: .relaxed)
        }
    }
}
