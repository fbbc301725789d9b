import NATSClient
import NIOConcurrencyHelpers
import NIOCore
import Realm
import WampMessages

/// This node's copy of the realm's records in `wamp_subscriptions`, for the meta API's
/// `wamp.subscription.list/lookup/match/get` across the cluster: a key-value watch of
/// `sub.<realm hex>.>` plus this node's own writes as it makes them (so its own changes show at
/// once; other nodes' changes within the watch's delivery delay). An entry is applied only when
/// its revision is newer than the one held; a deleted key's revision is held for the tombstone
/// grace only (`KeyValueTombstones`).
final class ClusterSubscriptionCopy: Sendable {
    private struct Known {
        var revision: UInt64
        var record: SubscriptionRecord?
    }

    private struct State {
        var known: [String: Known] = [:]
        var keyByID: [WampID: String] = [:]
        var tombstones: KeyValueTombstones
        var watcher: NATSKeyValueWatcher?
    }

    private let state: NIOLockedValueBox<State>

    init(tombstoneGrace: TimeAmount) {
        state = NIOLockedValueBox(State(tombstones: KeyValueTombstones(grace: tombstoneGrace)))
    }

    func apply(key: String, revision: UInt64, record: SubscriptionRecord?) {
        state.withLockedValue { state in
            if let known = state.known[key], known.revision >= revision { return }
            Self.replace(key, with: Known(revision: revision, record: record), in: &state)
            let now = NIODeadline.now()
            if record == nil { state.tombstones.add(key, revision: revision, at: now) }
            for (key, revision) in state.tombstones.expire(at: now) {
                if let known = state.known[key], known.revision == revision, known.record == nil { state.known[key] = nil }
            }
        }
    }

    /// Keys this copy holds that a new watch did not deliver although they are older than the
    /// bucket's last revision when it started: their delete markers were removed by a sweep
    /// while this node was away, so nothing else would ever say they are gone.
    private func forget(keysNotIn delivered: Set<String>, upTo lastRevision: UInt64) {
        state.withLockedValue { state in
            let gone = state.known.filter { !delivered.contains($0.key) && $0.value.revision <= lastRevision }.keys
            for key in gone { Self.replace(key, with: nil, in: &state) }
        }
    }

    private static func replace(_ key: String, with known: Known?, in state: inout State) {
        if let old = state.known[key]?.record, state.keyByID[old.id] == key { state.keyByID[old.id] = nil }
        state.known[key] = known
        if let record = known?.record { state.keyByID[record.id] = key }
    }

    /// (Re)starts the watch; returns once its initial values are applied.
    func watch(_ kv: NATSKeyValue, realm: String, timeout: TimeAmount, on loop: any EventLoop) async throws {
        let loaded = loop.makePromise(of: Void.self)
        // A promise must be completed before it goes (NIO traps on a leaked one in debug builds).
        defer { loaded.fail(NATSError.closed) }
        let lastRevision = try await kv.status().lastRevision
        let delivered = InitialPassKeys()
        let watcher = try await kv.watch(SubscriptionRecord.keyPrefix(realm: realm) + ">") { [weak self] event in
            switch event {
            case .entry(let entry):
                let record = entry.operation == .put ? SubscriptionRecord.decode(entry.value) : nil
                delivered.saw(entry.key)
                self?.apply(key: entry.key, revision: entry.revision, record: record)
            case .initialValuesDone:
                self?.forget(keysNotIn: delivered.finish(), upTo: lastRevision)
                loaded.succeed()
            }
        }
        let previous = state.withLockedValue { state in
            defer { state.watcher = watcher }
            return state.watcher
        }
        await previous?.stop()
        let timer = loop.scheduleTask(in: timeout) { loaded.fail(NATSError.timeout) }
        defer { timer.cancel() }
        try await loaded.futureResult.get()
    }

    func stop() async {
        let watcher = state.withLockedValue { state in
            defer { state.watcher = nil }
            return state.watcher
        }
        await watcher?.stop()
    }

    /// Keys held, live or deleted within the grace (for tests of the bound).
    var keyCount: Int { state.withLockedValue { $0.known.count } }

    var entries: [ClusterSubscriptionEntry] {
        state.withLockedValue { state in state.known.values.compactMap { $0.record.flatMap(Self.entry) } }
    }

    func entry(id: WampID) -> ClusterSubscriptionEntry? {
        state.withLockedValue { state in state.keyByID[id].flatMap { state.known[$0]?.record }.flatMap(Self.entry) }
    }

    func entry(key: String) -> ClusterSubscriptionEntry? {
        state.withLockedValue { $0.known[key]?.record.flatMap(Self.entry) }
    }

    private static func entry(_ record: SubscriptionRecord) -> ClusterSubscriptionEntry? {
        guard let match = MatchPolicy(rawValue: record.match) else { return nil }
        return ClusterSubscriptionEntry(id: record.id, topic: record.topic, match: match, created: record.created)
    }
}
