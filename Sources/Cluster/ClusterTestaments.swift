import Logging
import NATSClient
import NIOCore
import Realm
import Synchronization
import WampMessages

/// One realm's testaments kept in the cluster (docs/cluster.md "Testaments"): the realm's
/// `TestamentKeeper`. Each session of this node that holds testaments has one key in
/// `wamp_testaments`, `t.<slot>.<realm hex>.<session>`, whose value is its whole list
/// (`ClusterTestamentCodec`); the key goes when the list becomes empty or the session leaves
/// normally (its testaments then fired here, as without a cluster).
///
/// When a node is declared lost, the live node with the lowest slot takes each of its keys with
/// a compare-and-set delete and publishes the testaments of the keys it took, through this
/// node's broker (so the pub/sub relay carries them to every node) on behalf of the dead session.
/// A take is atomic, so two nodes that both believe they are the lowest fire each list once;
/// a node that dies between its take and the publication loses that list (at most once).
/// `start()` does the same for the keys of this node's own slot that an earlier holder left.
///
/// Writes of one session are serialized and coalesced (only the latest list is written), so an
/// earlier list never overtakes a later one. A write NATS does not take is logged (throttled)
/// and counted (`testamentsUnreplicated`); the session keeps its testaments locally and the
/// latest list is written again when the connection is back.
public final class ClusterTestaments: TestamentKeeper, Sendable {
    static let bucket = "wamp_testaments"
    /// Compare-and-set attempts to take one key of a lost node whose read lagged its last write.
    static let takeAttempts = 3
    /// How long after a failed write it is tried again (while NATS is down: one attempt per
    /// interval, each failing at once).
    static let retryInterval = TimeAmount.seconds(1)

    private struct Copy {
        var key: String
        /// Keys of earlier slots of this node that may still hold the list: removed once the
        /// current key is written (`slotChanged(to:)`).
        var formerKeys: [String] = []
        var latest: SessionTestaments
        var left: Bool
        /// `latest` is not written yet.
        var dirty = true
        var writing = true
        /// A write of this key was attempted (it may exist in the bucket).
        var stored = false
        /// The last write failed: written again after a reconnect.
        var failed = false
    }

    private struct State {
        var copies: [WampID: Copy] = [:]
        var kv: NATSKeyValue?
        /// Lost slots whose keys could not be read: tried again after a reconnect.
        var unread: Set<Int> = []
        var lastWarning: NIODeadline?
        var retryScheduled = false
        /// `stop()` was called: failed writes are not tried again.
        var stopped = false
    }

    let realm: Realm
    let membership: any ClusterMembership
    let counters: ClusterCounters
    let logger: Logger
    private let replicas: Int
    /// Sessions whose copy this node tracks at most (those holding testaments, plus those whose
    /// last write waits for NATS); one more is not replicated (logged, counted).
    let maxTrackedSessions: Int
    private let timeout: TimeAmount
    /// How long after a reconnect the lost slots whose keys could not be read are looked at again.
    private let retryDelay: TimeAmount
    private let realmToken: String
    private let state = Mutex(State())

    public init(realm: Realm, membership: any ClusterMembership, counters: ClusterCounters, replicas: Int = 1,
                maxTrackedSessions: Int = 100_000, timeout: TimeAmount = .seconds(2), retryDelay: TimeAmount = .seconds(6),
                logger: Logger = Logger(label: "wamp-router.cluster.testaments")) {
        self.realm = realm
        self.membership = membership
        self.counters = counters
        self.replicas = replicas
        self.maxTrackedSessions = maxTrackedSessions
        self.timeout = timeout
        self.retryDelay = retryDelay
        self.realmToken = RegistrationRecord.hex(realm.name)
        var logger = logger
        logger[metadataKey: "realm"] = "\(realm.name)"
        self.logger = logger
    }

    /// Binds the bucket, fires what an earlier life of this slot left, then takes the realm's
    /// testaments from now on. Call before the realm takes sessions.
    public func start() async throws {
        // File storage: a testament is a promise made to a client, and the bucket is written
        // only on add/flush/leave of sessions that use testaments (rare), so it may as well
        // outlive a restart of the NATS server.
        var configuration = NATSKeyValueConfiguration(bucket: Self.bucket)
        configuration.history = 1
        configuration.storage = .file
        configuration.replicas = replicas
        let kv = try await NATSKeyValue.createOrBind(configuration, on: membership.connection, timeout: timeout)
        state.withLock { $0.kv = kv }
        await fire(slot: membership.slot)
        membership.whenNodeLost { [weak self] slot in self?.nodeLost(slot) }
        membership.whenSlotChanged { [weak self] slot in self?.slotChanged(to: slot) }
        realm.attach(testamentKeeper: self)
    }

    /// Waits (at most twice the key-value timeout) for the writes in flight, such as the
    /// removals of the lists of the sessions that just left.
    public func stop() async {
        state.withLock { $0.stopped = true }
        let deadline = NIODeadline.now() + timeout * 2
        while state.withLock({ $0.copies.values.contains { $0.writing } }), NIODeadline.now() < deadline {
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
    }

    static func key(slot: Int, realmToken: String, session: WampID) -> String { "t.\(slot).\(realmToken).\(session)" }

    // MARK: TestamentKeeper

    public func testamentsChanged(_ testaments: SessionTestaments) { submit(testaments, left: false) }

    public func sessionLeft(_ testaments: SessionTestaments) { submit(testaments, left: true) }

    private func submit(_ testaments: SessionTestaments, left: Bool) {
        let id = testaments.session
        enum Step { case none, write, refuse }
        let step = state.withLock { state -> Step in
            if var copy = state.copies[id] {
                guard testaments.change > copy.latest.change else { return .none }
                copy.latest = testaments
                copy.left = left
                copy.dirty = true
                defer { state.copies[id] = copy }
                guard !copy.writing else { return .none }
                copy.writing = true
                return .write
            }
            // Nothing written for it yet: a session leaving or emptied has nothing to remove.
            guard !left, !testaments.isEmpty else { return .none }
            guard state.copies.count < maxTrackedSessions else { return .refuse }
            let key = Self.key(slot: membership.slot, realmToken: realmToken, session: id)
            state.copies[id] = Copy(key: key, latest: testaments, left: false)
            return .write
        }
        switch step {
        case .none: return
        case .write: Task { await self.drain(id) }
        case .refuse:
            reportUnreplicated(session: id, why: "this node already tracks \(maxTrackedSessions) sessions' testaments")
        }
    }

    /// This node had to claim another slot: every list moves to a key under the new one and the
    /// old key goes, before the old slot's silence (a node timeout later) makes the lowest live
    /// node fire what is left under it for sessions that live on.
    func slotChanged(to slot: Int) {
        let start = state.withLock { state -> [WampID] in
            var start: [WampID] = []
            for (id, var copy) in state.copies {
                let key = Self.key(slot: slot, realmToken: realmToken, session: id)
                guard copy.key != key else { continue }
                if copy.stored { copy.formerKeys.append(copy.key) }
                copy.key = key
                copy.stored = false
                copy.dirty = true
                if !copy.writing {
                    copy.writing = true
                    start.append(id)
                }
                state.copies[id] = copy
            }
            return start
        }
        for id in start { Task { await self.drain(id) } }
    }

    /// Writes the session's latest list until no newer one waits; one drain per session at a time.
    private func drain(_ id: WampID) async {
        while true {
            let next = state.withLock { state -> (Copy, NATSKeyValue?)? in
                guard var copy = state.copies[id] else { return nil }
                guard copy.dirty else {
                    copy.writing = false
                    let settled = !copy.failed && copy.formerKeys.isEmpty && (copy.left || (copy.latest.isEmpty && !copy.stored))
                    state.copies[id] = settled ? nil : copy
                    return nil
                }
                copy.dirty = false
                if !(copy.left || copy.latest.isEmpty) { copy.stored = true }
                state.copies[id] = copy
                return (copy, state.kv)
            }
            guard let (copy, kv) = next else { return }
            let remove = copy.left || copy.latest.isEmpty
            var failure: String?
            if let kv {
                do {
                    if !remove {
                        try await kv.put(copy.key, ClusterTestamentCodec.encode(copy.latest))
                    } else if copy.stored {
                        try await kv.delete(copy.key)
                    }
                    for former in copy.formerKeys { try await kv.delete(former) }
                } catch {
                    failure = "\(error)"
                }
            } else {
                failure = "the bucket is not bound"
            }
            let newlyFailed = state.withLock { state -> Bool in
                guard state.copies[id] != nil else { return false }
                let before = state.copies[id]!.failed
                state.copies[id]!.failed = failure != nil
                if remove, failure == nil { state.copies[id]!.stored = false }
                if failure == nil { state.copies[id]!.formerKeys.removeAll { copy.formerKeys.contains($0) } }
                return failure != nil && !before
            }
            if let failure {
                // Counted once per session until a write of it succeeds again; retried meanwhile.
                if newlyFailed { reportUnreplicated(session: id, why: failure) }
                scheduleRetry()
            }
        }
    }

    /// After a reconnect: writes again the lists NATS did not take, and, `retryDelay` later, reads
    /// again the keys of the lost nodes that could not be read and are still silent.
    public func resync() {
        rewriteFailed()
        let slots = state.withLock { state -> Set<Int> in
            defer { state.unread = [] }
            return state.unread
        }
        guard !slots.isEmpty else { return }
        // This node may have been the one cut off: the nodes it declared lost meanwhile may be
        // alive. Their heartbeats show it within a node timeout; only those still silent then
        // are fired for (by the lowest live slot, as always).
        let delay = retryDelay
        Task {
            try? await Task.sleep(nanoseconds: UInt64(max(0, delay.nanoseconds)))
            for slot in slots.sorted() where !self.membership.liveSlots().contains(slot) { self.nodeLost(slot) }
        }
    }

    /// Writes again the lists whose last write failed.
    private func rewriteFailed() {
        let sessions = state.withLock { state -> [WampID] in
            state.retryScheduled = false
            guard !state.stopped else { return [] }
            var sessions: [WampID] = []
            for (id, copy) in state.copies where copy.failed && !copy.writing {
                state.copies[id]!.dirty = true
                state.copies[id]!.writing = true
                sessions.append(id)
            }
            return sessions
        }
        for id in sessions { Task { await self.drain(id) } }
    }

    /// A failed write is tried again `retryInterval` later (one timer for all of them), so a
    /// JetStream that answers a little after the reconnect still gets the lists.
    private func scheduleRetry() {
        let schedule = state.withLock { state -> Bool in
            guard !state.retryScheduled, !state.stopped else { return false }
            state.retryScheduled = true
            return true
        }
        guard schedule else { return }
        Task {
            try? await Task.sleep(nanoseconds: UInt64(Self.retryInterval.nanoseconds))
            self.rewriteFailed()
        }
    }

    /// Sessions whose copy is tracked (holding testaments, or waiting for NATS): for tests.
    package var trackedSessions: Int { state.withLock { $0.copies.count } }

    // MARK: Lost nodes

    private func nodeLost(_ lost: Int) {
        let mine = membership.slot
        let others = membership.liveSlots().filter { $0 != lost && $0 != mine }
        guard others.allSatisfy({ $0 > mine }) else { return }
        Task { await self.fire(slot: lost) }
    }

    /// Takes and publishes every list kept under `slot` in this realm. The keys are read
    /// without their values (one list in memory at a time); there are at most as many as that
    /// node had sessions holding testaments, each list at most `--max-testaments` long.
    func fire(slot: Int) async {
        guard let kv = state.withLock({ $0.kv }) else { return }
        let keys: [String]
        do {
            keys = try await kv.keys(matching: "t.\(slot).\(realmToken).*")
        } catch {
            state.withLock { _ = $0.unread.insert(slot) }
            logger.error("testaments of a lost node not read; tried again after a reconnect", metadata: [
                "slot": "\(slot)", "error": "\(error)",
            ])
            return
        }
        var fired = 0
        var untaken = 0
        for key in keys {
            guard let session = key.split(separator: ".").last.flatMap({ WampID($0) }) else { continue }
            if let count = await take(key, session: session, from: kv) { fired += count } else { untaken += 1 }
        }
        if untaken > 0 {
            state.withLock { _ = $0.unread.insert(slot) }
            logger.error("testaments of a lost node not all taken; tried again after a reconnect", metadata: [
                "slot": "\(slot)", "untaken": "\(untaken)",
            ])
        }
        if fired > 0 {
            logger.notice("testaments of a lost node's sessions published", metadata: [
                "slot": "\(slot)", "testaments": "\(fired)", "keys": "\(keys.count)",
            ])
        }
    }

    /// Publishes the list under `key` if this node is the one that removes it; returns how many
    /// testaments it published, nil when NATS did not answer (the key may still be there).
    private func take(_ key: String, session: WampID, from kv: NATSKeyValue) async -> Int? {
        for _ in 0..<Self.takeAttempts {
            let entry: NATSKeyValueEntry?
            do {
                entry = try await kv.get(key)
                guard let entry, entry.operation == .put else { return 0 }
                try await kv.delete(key, revision: entry.revision)
            } catch NATSKeyValueError.wrongRevision {
                continue  // another node took it, or the read lagged: read again
            } catch {
                if shouldWarn() {
                    logger.warning("a lost node's testaments not taken", metadata: ["key": "\(key)", "error": "\(error)"])
                }
                return nil
            }
            guard let value = entry?.value else { return 0 }
            let testaments: SessionTestaments
            do throws(ClusterTestamentCodec.Malformed) {
                testaments = try ClusterTestamentCodec.decode(value)
                guard testaments.session == session else { throw ClusterTestamentCodec.Malformed(reason: "session differs from the key's") }
            } catch {
                let total = counters.malformedTestaments.wrappingAdd(1, ordering: .relaxed).newValue
                if shouldWarn() {
                    logger.warning("a stored testament list did not decode; removed unpublished", metadata: [
                        "key": "\(key)", "why": "\(error.reason)", "malformedTotal": "\(total)",
                    ])
                }
                return 0
            }
            realm.publishTestaments(ofDeparted: testaments)
            counters.testamentsFired.wrappingAdd(testaments.count, ordering: .relaxed)
            return testaments.count
        }
        return 0
    }

    // MARK: Reporting

    private func reportUnreplicated(session: WampID, why: String) {
        let total = counters.testamentsUnreplicated.wrappingAdd(1, ordering: .relaxed).newValue
        guard shouldWarn() else { return }
        logger.warning("testaments kept on this node only: they fire if the session leaves, not if this node dies", metadata: [
            "session": "\(session)", "why": "\(why)", "unreplicatedTotal": "\(total)",
        ])
    }

    /// At most one warning per 10 s.
    private func shouldWarn() -> Bool {
        let now = NIODeadline.now()
        return state.withLock { state in
            if let last = state.lastWarning, now - last < .seconds(10) { return false }
            state.lastWarning = now
            return true
        }
    }
}
