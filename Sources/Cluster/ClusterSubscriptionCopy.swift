import NATSClient
import NIOConcurrencyHelpers
import NIOCore
import Realm
import WampMessages

/// This node's copy of the realm's records in `wamp_subscriptions`, for the meta API's
/// `wamp.subscription.list/lookup/match/get` across the cluster: a key-value watch of
/// `sub.<realm hex>.>` plus this node's own writes as it makes them (so its own changes show at
/// once; other nodes' changes within the watch's delivery delay). An entry is applied only when
/// its revision is newer than the one held.
final class ClusterSubscriptionCopy: Sendable {
    private struct Known {
        var revision: UInt64
        var record: SubscriptionRecord?
    }

    private struct State {
        var known: [String: Known] = [:]
        var keyByID: [WampID: String] = [:]
        var watcher: NATSKeyValueWatcher?
    }

    private let state = NIOLockedValueBox(State())

    func apply(key: String, revision: UInt64, record: SubscriptionRecord?) {
        state.withLockedValue { state in
            if let known = state.known[key], known.revision >= revision { return }
            if let old = state.known[key]?.record, state.keyByID[old.id] == key { state.keyByID[old.id] = nil }
            state.known[key] = Known(revision: revision, record: record)
            if let record { state.keyByID[record.id] = key }
        }
    }

    /// (Re)starts the watch; returns once its initial values are applied.
    func watch(_ kv: NATSKeyValue, realm: String, timeout: TimeAmount, on loop: any EventLoop) async throws {
        let loaded = loop.makePromise(of: Void.self)
        // A promise must be completed before it goes (NIO traps on a leaked one in debug builds).
        defer { loaded.fail(NATSError.closed) }
        let watcher = try await kv.watch(SubscriptionRecord.keyPrefix(realm: realm) + ">") { [weak self] event in
            switch event {
            case .entry(let entry):
                let record = entry.operation == .put ? SubscriptionRecord.decode(entry.value) : nil
                self?.apply(key: entry.key, revision: entry.revision, record: record)
            case .initialValuesDone:
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
