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
        /// Unacknowledged PUBLISHes dropped because the publisher's role does not allow them.
        case unacknowledgedPublishRefused
        /// Authorization decision caches emptied because they reached their bound.
        case authorizationCacheCleared
        /// Requests denied because a dynamic authorizer failed, timed out or was not registered.
        case authorizerFailures
        /// Forwarded messages a receiver could not take (payload not representable in its
        /// serializer, or larger than it accepts): calls ended with ERROR, events skipped.
        case undeliverable
    }

    private let limitRefusals = Atomic<Int>(0)
    private let retainedEvicted = Atomic<Int>(0)
    private let historyEvicted = Atomic<Int>(0)
    private let retainedNotDelivered = Atomic<Int>(0)
    private let unacknowledgedPublishRefused = Atomic<Int>(0)
    private let authorizationCacheCleared = Atomic<Int>(0)
    private let authorizerFailures = Atomic<Int>(0)
    private let undeliverable = Atomic<Int>(0)

    public init() {}

    /// Adds `amount`; returns whether this addition deserves a log line: the first one, then
    /// one each time the total passes a multiple of `logEvery`. A peer that provokes drops in a
    /// loop (retaining to ever new topics) then gets a bounded share of the log, and the line
    /// carries the total.
    @discardableResult
    func add(_ counter: Counter, _ amount: Int = 1) -> Bool {
        guard amount > 0 else { return false }
        let before: Int
        switch counter {
        case .limitRefusals: before = limitRefusals.wrappingAdd(amount, ordering: .relaxed).oldValue
        case .retainedEvicted: before = retainedEvicted.wrappingAdd(amount, ordering: .relaxed).oldValue
        case .historyEvicted: before = historyEvicted.wrappingAdd(amount, ordering: .relaxed).oldValue
        case .retainedNotDelivered: before = retainedNotDelivered.wrappingAdd(amount, ordering: .relaxed).oldValue
        case .unacknowledgedPublishRefused: before = unacknowledgedPublishRefused.wrappingAdd(amount, ordering: .relaxed).oldValue
        case .authorizationCacheCleared: before = authorizationCacheCleared.wrappingAdd(amount, ordering: .relaxed).oldValue
        case .authorizerFailures: before = authorizerFailures.wrappingAdd(amount, ordering: .relaxed).oldValue
        case .undeliverable: before = undeliverable.wrappingAdd(amount, ordering: .relaxed).oldValue
        }
        return before == 0 || before / Self.logEvery != (before + amount) / Self.logEvery
    }

    static let logEvery = 1024

    public func value(_ counter: Counter) -> Int {
        switch counter {
        case .limitRefusals: limitRefusals.load(ordering: .relaxed)
        case .retainedEvicted: retainedEvicted.load(ordering: .relaxed)
        case .historyEvicted: historyEvicted.load(ordering: .relaxed)
        case .retainedNotDelivered: retainedNotDelivered.load(ordering: .relaxed)
        case .unacknowledgedPublishRefused: unacknowledgedPublishRefused.load(ordering: .relaxed)
        case .authorizationCacheCleared: authorizationCacheCleared.load(ordering: .relaxed)
        case .authorizerFailures: authorizerFailures.load(ordering: .relaxed)
        case .undeliverable: undeliverable.load(ordering: .relaxed)
        }
    }
}
