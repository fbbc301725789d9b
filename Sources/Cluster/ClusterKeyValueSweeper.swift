import Foundation
import Logging
import NATSClient
import NIOConcurrencyHelpers
import NIOCore

/// Keeps the cluster's directory buckets from growing with every key ever removed
/// (docs/cluster.md "Bounded state"): a removal leaves a delete marker as the key's last entry,
/// which JetStream would keep for good. Every `interval`, the node with the lowest live slot
/// lists the markers of `wamp_registrations`, `wamp_subscriptions` and `wamp_testaments` (one
/// headers-only watch per bucket) and removes those older than `grace` by their stored time.
///
/// Safe against a key made again meanwhile: a removal takes the key's entries up to the
/// marker's revision only. Safe for the watches: after the grace every live node's watch has
/// delivered the marker (and its copy forgets its tombstone after the same grace); a node away
/// longer finds the key missing from its next watch's initial values and forgets it then.
final class ClusterKeyValueSweeper: Sendable {
    static let buckets = [RegistrationRecord.bucket, SubscriptionRecord.bucket, ClusterTestaments.bucket]

    private struct State {
        var task: RepeatedTask?
        var sweeping = false
        var stopped = false
    }

    private let node: ClusterNode
    private let grace: TimeAmount
    private let interval: TimeAmount
    private let timeout: TimeAmount
    private let state = NIOLockedValueBox(State())

    init(node: ClusterNode, grace: TimeAmount, interval: TimeAmount, timeout: TimeAmount = .seconds(2)) {
        self.node = node
        self.grace = grace
        self.interval = interval
        self.timeout = timeout
    }

    func start() {
        let task = node.connection.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { [weak self] _ in
            self?.tick()
        }
        let stale = state.withLockedValue { state -> RepeatedTask? in
            guard !state.stopped else { return task }
            defer { state.task = task }
            return state.task
        }
        stale?.cancel()
    }

    func stop() {
        let task = state.withLockedValue { state -> RepeatedTask? in
            state.stopped = true
            defer { state.task = nil }
            return state.task
        }
        task?.cancel()
    }

    private func tick() {
        guard node.isConnected, isLowestLiveSlot else { return }
        let start = state.withLockedValue { state -> Bool in
            guard !state.sweeping, !state.stopped else { return false }
            state.sweeping = true
            return true
        }
        guard start else { return }
        Task {
            _ = await self.sweep()
            self.state.withLockedValue { $0.sweeping = false }
        }
    }

    /// One node sweeps; two would only do the same work twice (a removal is idempotent).
    var isLowestLiveSlot: Bool {
        let slot = node.slot
        return slot > 0 && node.liveSlots().allSatisfy { $0 >= slot }
    }

    /// Removes the markers older than the grace from every bucket that exists; returns how many
    /// went. A bucket that fails is logged and left for the next sweep.
    @discardableResult
    func sweep(now: Date = Date()) async -> Int {
        let cutoff = UInt64(max(0, now.timeIntervalSince1970 * 1e9 - Double(grace.nanoseconds)))
        var removed = 0
        for bucket in Self.buckets {
            do {
                guard let kv = try await NATSKeyValue.bind(bucket: bucket, on: node.connection, timeout: timeout) else { continue }
                for marker in try await kv.markers() where (marker.created ?? UInt64.max) <= cutoff {
                    try await kv.removeMarker(marker.key, revision: marker.revision)
                    removed += 1
                    // Counted as it goes: a sweep cut short by an error has still removed these.
                    node.counters.deleteMarkersRemoved.wrappingAdd(1, ordering: .relaxed)
                }
            } catch {
                node.logger.warning("the sweep of old delete markers failed for a bucket; the next sweep tries again",
                                    metadata: ["bucket": "\(bucket)", "why": "\(error)"])
            }
        }
        if removed > 0 { node.logger.debug("old delete markers removed", metadata: ["count": "\(removed)"]) }
        return removed
    }
}
