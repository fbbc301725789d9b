import Logging
import NATSClient
import NIOConcurrencyHelpers
import NIOCore
import Realm
import WampMessages

/// One realm's subscriptions in the `wamp_subscriptions` bucket (docs/cluster.md "Pub/sub"):
/// the cluster-wide ID of each (topic, match) and the slots of the nodes that have subscribers
/// for it. A node's first local subscriber makes the key (atomic create) or adds the slot
/// (compare-and-set); its last removes the slot, and the key with it (conditional delete) when
/// no slot is left. The changes of one key are made one after the other on this node, so a join
/// and a leave of the same key never overtake each other; other nodes' changes race through the
/// revisions.
final class ClusterSubscriptionDirectory: Sendable {
    /// What a join learned.
    struct Joined: Sendable {
        let id: WampID
        let created: String
        /// This node's create made the key: it fires `on_create`.
        let isNew: Bool
    }

    enum Failure: Error, CustomStringConvertible {
        case notStarted
        case contended(attempts: Int)

        var description: String {
            switch self {
            case .notStarted: "the subscription directory is not started"
            case .contended(let attempts): "the key changed \(attempts) times while this change was decided"
            }
        }
    }

    private struct Chain {
        var tail: Task<Void, Never>
        var pending: Int
    }

    private struct State {
        var kv: NATSKeyValue?
        var chains: [String: Chain] = [:]
        var nextIDCounter: UInt64
    }

    let realm: String
    let node: ClusterNode
    let limits: ClusterRPCLimits
    /// The realm's records as this node knows them (meta API).
    let copy: ClusterSubscriptionCopy
    private let state: NIOLockedValueBox<State>

    init(realm: String, node: ClusterNode, limits: ClusterRPCLimits) {
        self.realm = realm
        self.node = node
        self.limits = limits
        self.copy = ClusterSubscriptionCopy(tombstoneGrace: limits.tombstoneGrace)
        self.state = NIOLockedValueBox(State(nextIDCounter: UInt64.random(in: 1..<(1 << 42))))
    }

    var slot: Int { node.slot }

    /// Binds the bucket (again after a reconnect: a restarted server may have lost it).
    func bind() async throws {
        var configuration = NATSKeyValueConfiguration(bucket: SubscriptionRecord.bucket)
        configuration.history = 1
        configuration.replicas = limits.keyValueReplicas
        let kv = try await NATSKeyValue.createOrBind(configuration, on: node.connection, timeout: limits.keyValueTimeout)
        state.withLockedValue { $0.kv = kv }
        try await copy.watch(kv, realm: realm, timeout: limits.keyValueTimeout * 5, on: node.connection.eventLoop)
    }

    func key(_ topic: String, _ match: MatchPolicy) -> String {
        SubscriptionRecord.key(realm: realm, topic: topic, match: match)
    }

    // MARK: Changes

    /// Adds this node's slot to (topic, match), making the key when there is none. `stillWanted`
    /// is asked when this change's turn comes: false (the interest went meanwhile) writes nothing
    /// and returns nil. `reuse` keeps an ID this node already gives its subscribers (after a
    /// reconnect) when it has to make the key again.
    func join(topic: String, match: MatchPolicy, reuse: WampID? = nil,
              stillWanted: @escaping @Sendable () -> Bool = { true }) async throws -> Joined? {
        let key = key(topic, match)
        return try await serially(key) { [self] in
            guard stillWanted() else { return nil }
            let kv = try self.kv()
            for _ in 0..<limits.maxCompareAndSetAttempts {
                let entry = try await kv.get(key)
                let record = entry.flatMap { $0.operation == .put ? SubscriptionRecord.decode($0.value) : nil }
                do {
                    if var existing = record {
                        if !existing.slots.contains(slot) {
                            existing.slots.append(slot)
                            let revision = try await kv.update(key, existing.encoded(), revision: entry!.revision)
                            copy.apply(key: key, revision: revision, record: existing)
                        }
                        return Joined(id: existing.id, created: existing.created, isNew: false)
                    }
                    let fresh = SubscriptionRecord(id: reuse ?? nextID(), topic: topic, match: match.rawValue,
                                                   created: ClusterDealer.timestamp(), slots: [slot])
                    let revision: UInt64
                    if let entry, entry.operation == .put {
                        // A value that does not decode: replaced, as a broken writer's.
                        revision = try await kv.update(key, fresh.encoded(), revision: entry.revision)
                    } else {
                        revision = try await kv.create(key, fresh.encoded())
                    }
                    copy.apply(key: key, revision: revision, record: fresh)
                    return Joined(id: fresh.id, created: fresh.created, isNew: true)
                } catch NATSKeyValueError.keyExists(_) {
                    continue
                } catch NATSKeyValueError.wrongRevision(_) {
                    continue
                }
            }
            throw Failure.contended(attempts: limits.maxCompareAndSetAttempts)
        }
    }

    /// Takes this node's slot off (topic, match). Returns the record's ID when the removal
    /// deleted the key (this node fires `on_delete`), nil otherwise.
    func leave(topic: String, match: MatchPolicy) async throws -> WampID? {
        let key = key(topic, match)
        let mine = slot
        return try await serially(key) { [self] in try await removeSlots(from: key) { $0 == mine } }
    }

    /// Removes the slots `matching` from `key` (compare-and-set, retried; a conditional delete
    /// when none is left). Returns the ID when it deleted the key.
    @discardableResult
    func removeSlots(from key: String, matching: @escaping @Sendable (Int) -> Bool) async throws -> WampID? {
        let kv = try kv()
        for _ in 0..<limits.maxCompareAndSetAttempts {
            guard let entry = try await kv.get(key), entry.operation == .put,
                  var record = SubscriptionRecord.decode(entry.value), record.slots.contains(where: matching) else { return nil }
            record.slots.removeAll(where: matching)
            do {
                if record.slots.isEmpty {
                    let revision = try await kv.delete(key, revision: entry.revision)
                    copy.apply(key: key, revision: revision, record: nil)
                    return record.id
                }
                let revision = try await kv.update(key, record.encoded(), revision: entry.revision)
                copy.apply(key: key, revision: revision, record: record)
                return nil
            } catch NATSKeyValueError.wrongRevision(_) {
                continue
            }
        }
        throw Failure.contended(attempts: limits.maxCompareAndSetAttempts)
    }

    /// The realm's records now (a short watch): for the cleanup of a lost or earlier slot.
    func records() async throws -> [(key: String, record: SubscriptionRecord)] {
        try await kv().latestEntries(matching: SubscriptionRecord.keyPrefix(realm: realm) + ">").compactMap { entry in
            guard entry.operation == .put, let record = SubscriptionRecord.decode(entry.value) else { return nil }
            return (entry.key, record)
        }
    }

    /// The record of (topic, match) now, nil when there is none.
    func record(topic: String, match: MatchPolicy) async throws -> SubscriptionRecord? {
        guard let entry = try await kv().get(key(topic, match)), entry.operation == .put else { return nil }
        return SubscriptionRecord.decode(entry.value)
    }

    /// Takes `lost` off every record of the realm that names it; returns the IDs of the
    /// subscriptions that ended with it (their keys deleted).
    @discardableResult
    func removeSlotEverywhere(_ lost: Int) async throws -> [WampID] {
        var ended: [WampID] = []
        for (key, record) in try await records() where record.slots.contains(lost) {
            if let id = try await serially(key, { [self] in try await removeSlots(from: key) { $0 == lost } }) { ended.append(id) }
        }
        return ended
    }

    /// Changes queued or running on this node (for a stop that lets them finish).
    var changesInFlight: Int { state.withLockedValue { $0.chains.values.reduce(0) { $0 + $1.pending } } }

    // MARK: Helpers

    private func kv() throws -> NATSKeyValue {
        guard let kv = state.withLockedValue({ $0.kv }) else { throw Failure.notStarted }
        return kv
    }

    /// Subscription IDs this node draws: its slot in the top 10 of WAMP's 53 bits and a counter
    /// below, so no other node draws the same; the create decides which (topic, match) keeps it.
    private func nextID() -> WampID {
        let slot = self.slot
        return state.withLockedValue { state in
            state.nextIDCounter = state.nextIDCounter >= (1 << 43) - 1 ? 1 : state.nextIDCounter + 1
            return (UInt64(slot) << 43) | state.nextIDCounter
        }
    }

    /// Runs `body` after every change of `key` queued before it on this node.
    private func serially<T: Sendable>(_ key: String, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let work = state.withLockedValue { state -> Task<T, Error> in
            let previous = state.chains[key]?.tail
            let work = Task<T, Error> {
                await previous?.value
                return try await body()
            }
            state.chains[key] = Chain(tail: Task { _ = await work.result }, pending: (state.chains[key]?.pending ?? 0) + 1)
            return work
        }
        defer {
            state.withLockedValue { state in
                guard let pending = state.chains[key]?.pending else { return }
                if pending <= 1 { state.chains[key] = nil } else { state.chains[key]!.pending = pending - 1 }
            }
        }
        return try await work.value
    }
}
