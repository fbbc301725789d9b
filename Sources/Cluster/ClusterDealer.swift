import Logging
import NATSClient
import NIOCore
import Realm
import Synchronization
import WampMessages

/// Cross-node RPC for one realm (docs/cluster.md "RPC"): the entry point the router wires.
///
/// Construct one per realm on a clustered node, after the node has its membership (slot and
/// connection) and before the realm takes sessions: `ClusterDealer(realm:membership:)`, then
/// `try await start()` (binds the `wamp_registrations` bucket, subscribes to this node's
/// invocation, result and announcement subjects, which a slot change moves to the new slot's,
/// loads every registration of the realm through a key-value watch, removes the callees an
/// earlier life of this slot left in it, then attaches itself to the realm's dealer). `stop()` at shutdown, after the realm's sessions left and before
/// the connection closes: waits (at most twice `keyValueTimeout`) for the directory changes in
/// flight, such as the removal of the callees that just left, then detaches from the dealer and
/// ends the subscriptions and the watch. `reconnected()` on every `reconnected` event of the
/// connection, once the node holds its slot again. Session IDs must be unique cluster-wide (a
/// remote callee is known here by its own ID).
///
/// Registrations are decided in the bucket (atomic create; compare-and-set for shared ones), and
/// every node's dealer holds the whole cluster's callees: remote ones are `RealmSession`s whose
/// `RemoteCalleePeer` forwards to their node. A change is answered (REGISTERED, UNREGISTERED)
/// only after every live node acknowledged its announcement, i.e. applied it to its dealer.
public final class ClusterDealer: DealerCluster, Sendable {
    struct NodeSession: Hashable {
        let slot: Int
        let session: WampID
    }

    /// What this node knows of one key of the bucket.
    struct Known {
        var revision: UInt64
        var record: RegistrationRecord?
    }

    struct LocalCallee {
        let session: RealmSession
        /// REGISTERs in flight plus registrations held, as this node decided them.
        var holds: Int
        /// The registrations it holds, by key, with their ID: what `reconnected` re-asserts.
        var held: [String: (ClusterRegisterRequest, WampID)] = [:]
    }

    struct State {
        var known: [String: Known] = [:]
        var tombstones: KeyValueTombstones
        var keyByID: [WampID: String] = [:]
        /// Remote callees, and in how many registrations each is.
        var remoteCallees: [NodeSession: RealmSession] = [:]
        var remoteUse: [NodeSession: Int] = [:]
        /// The stand-ins of other nodes' callers, per (caller node, local callee).
        var remoteCallers: [NodeSession: RealmSession] = [:]
        var local: [WampID: LocalCallee] = [:]
        /// Slots declared lost whose entries are ignored until that node announces again.
        var lostSlots: Set<Int> = []
        var changesInFlight = 0
        var nextIDCounter: UInt64
        var kv: NATSKeyValue?
        var watcher: NATSKeyValueWatcher?
        /// The slots this node held before its current one: an entry naming one of them and a
        /// local session is that session's, left from before the slot change.
        var formerSlots: Set<Int> = []
        /// A re-assertion of the held registrations runs, and whether another was asked meanwhile.
        var reasserting = false
        var reassertAgain = false
        var stopped = false
    }

    let realm: Realm
    let membership: any ClusterMembership
    let limits: ClusterRPCLimits
    let logger: Logger
    let subjects: ClusterSubjects
    let state: Mutex<State>
    /// This slot's invocation, result and announcement subjects; they move with a slot change.
    let listening: SlotSubscriptions
    /// Announcements some live node did not acknowledge in time (for metrics and tests).
    let unacknowledged = Atomic<Int>(0)

    public init(realm: Realm, membership: any ClusterMembership, limits: ClusterRPCLimits = ClusterRPCLimits(),
                logger: Logger = Logger(label: "wamp-router.cluster.rpc")) {
        self.realm = realm
        self.membership = membership
        self.limits = limits
        var logger = logger
        logger[metadataKey: "realm"] = "\(realm.name)"
        self.logger = logger
        self.subjects = ClusterSubjects(realm: realm.name)
        self.state = Mutex(State(tombstones: KeyValueTombstones(grace: limits.tombstoneGrace),
                                 nextIDCounter: UInt64.random(in: 1..<(1 << 42))))
        self.listening = SlotSubscriptions(connection: membership.connection)
    }

    var connection: NATSConnection { membership.connection }
    var slot: Int { membership.slot }
    /// The slot as it is when a stand-in sends (see `OwnSlotHeaders`).
    var ownSlot: @Sendable () -> Int { { [membership] in membership.slot } }
    var dealer: Dealer { realm.dealer }

    // MARK: Lifecycle

    public func start() async throws {
        var configuration = NATSKeyValueConfiguration(bucket: RegistrationRecord.bucket)
        configuration.history = 1
        configuration.replicas = limits.keyValueReplicas
        let kv = try await NATSKeyValue.createOrBind(configuration, on: connection, timeout: limits.keyValueTimeout)
        try listening.listen(slot: slot, slotSubjects(slot))
        state.withLock { $0.kv = kv }
        try await connection.flush()
        try await watch(kv)
        membership.whenNodeLost { [weak self] slot in self?.nodeLost(slot) }
        membership.whenSlotChanged { [weak self] slot in self?.slotChanged(to: slot) }
        // Callees under this slot are from an earlier life of this node (it has no session yet):
        // they go before this node takes any, so no call waits on a session that is gone.
        let mine = slot
        for key in stale(slot: mine) { try await removeCallees(from: key) { $0.slot == mine } }
        dealer.attachCluster(self)
    }

    /// (Re)starts the watch of the realm's keys; returns once the initial values are applied.
    func watch(_ kv: NATSKeyValue) async throws {
        let loaded = connection.eventLoop.makePromise(of: Void.self)
        let watcher: NATSKeyValueWatcher
        do {
            let lastRevision = try await kv.status().lastRevision
            let delivered = InitialPassKeys()
            watcher = try await kv.watch(RegistrationRecord.keyPattern(realm: realm.name)) { [weak self] event in
                switch event {
                case .entry(let entry):
                    delivered.saw(entry.key)
                    self?.apply(key: entry.key, revision: entry.revision, value: entry.operation == .put ? entry.value : nil)
                case .initialValuesDone:
                    self?.forget(keysNotIn: delivered.finish(), upTo: lastRevision)
                    loaded.succeed()
                }
            }
        } catch {
            // A promise left uncompleted is a leak (a trap in debug builds): a watch refused just
            // after a reconnect, while JetStream is not back yet, must not bring the node down.
            loaded.fail(error)
            throw error
        }
        let previous = state.withLock { state in
            defer { state.watcher = watcher }
            return state.watcher
        }
        await previous?.stop()
        let timeout = connection.eventLoop.scheduleTask(in: limits.keyValueTimeout * 5) { loaded.fail(NATSError.timeout) }
        defer { timeout.cancel() }
        try await loaded.futureResult.get()
    }

    /// The keys that list a callee of `slot`.
    func stale(slot lost: Int) -> [String] {
        state.withLock { state in
            state.known.compactMap { key, known in known.record?.callees.contains { $0.slot == lost } == true ? key : nil }
        }
    }

    public func stop() async {
        let deadline = NIODeadline.now() + limits.keyValueTimeout * 2
        while state.withLock({ $0.changesInFlight > 0 }), NIODeadline.now() < deadline {
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
        dealer.detachCluster()
        let watcher = state.withLock { state in
            state.stopped = true
            defer { state.watcher = nil }
            return state.watcher
        }
        listening.stop()
        await watcher?.stop()
    }

    // MARK: Applying the directory

    /// Puts one key's entry (nil value: deleted) into the dealer unless this node already has a
    /// newer revision of it. Runs for the watch, for announcements and for this node's own writes.
    /// A deleted key's revision is kept for the tombstone grace only (`KeyValueTombstones`).
    func apply(key: String, revision: UInt64, value: ByteBuffer?) {
        let record = value.flatMap(RegistrationRecord.decode)
        if value != nil && record == nil {
            logger.warning("registration entry that does not decode ignored", metadata: ["key": "\(key)"])
        }
        state.withLock { state in
            if let known = state.known[key], known.revision >= revision { return }
            replace(key, with: Known(revision: revision, record: record), in: &state)
            let now = NIODeadline.now()
            if record == nil { state.tombstones.add(key, revision: revision, at: now) }
            for (key, revision) in state.tombstones.expire(at: now) {
                if let known = state.known[key], known.revision == revision, known.record == nil { state.known[key] = nil }
            }
        }
    }

    /// Drops the keys a new watch did not deliver although they are older than the bucket's
    /// last revision when it started: their markers were swept while this node was away.
    func forget(keysNotIn delivered: Set<String>, upTo lastRevision: UInt64) {
        state.withLock { state in
            let gone = state.known.filter { !delivered.contains($0.key) && $0.value.revision <= lastRevision }.keys
            for key in gone { replace(key, with: nil, in: &state) }
        }
    }

    /// Makes `known` this node's view of `key` (nil: not held at all) and the dealer's with it.
    private func replace(_ key: String, with known: Known?, in state: inout State) {
        let record = known?.record
        let old = state.known[key]?.record
        state.known[key] = known
        if let old, old.id != record?.id {
            state.keyByID[old.id] = nil
            dealer.applyClusterRegistration(snapshot(of: old, callees: []))
        }
        if let record { state.keyByID[record.id] = key }
        var callees: [RealmSession] = []
        for callee in record?.callees ?? [] {
            if let session = resolve(callee, in: &state) { callees.append(session) }
        }
        if let record { dealer.applyClusterRegistration(snapshot(of: record, callees: callees)) }
        // New uses first, so a callee in both the old and the new list is not forgotten.
        retain(remote: record.map { remoteNodeSessions($0) } ?? [], in: &state)
        release(remote: old.map { remoteNodeSessions($0) } ?? [], in: &state)
    }

    /// Keys this node's copy of the directory holds, live or deleted within the tombstone grace
    /// (for tests of that bound).
    package var directoryCopyKeyCount: Int { state.withLock { $0.known.count } }

    func snapshot(of record: RegistrationRecord, callees: [RealmSession]) -> ClusterRegistrationSnapshot {
        ClusterRegistrationSnapshot(
            id: record.id, procedure: record.procedure, match: MatchPolicy(rawValue: record.match) ?? .exact,
            invoke: InvokePolicy(rawValue: record.invoke) ?? .single, discloseCaller: record.discloseCaller,
            created: record.created, callees: callees)
    }

    private func remoteNodeSessions(_ record: RegistrationRecord) -> [NodeSession] {
        record.callees.filter { $0.slot != slot }.map { NodeSession(slot: $0.slot, session: $0.session) }
    }

    /// The session a stored callee is on this node: the local session, or the remote callee's
    /// stand-in (made on first sight); nil for a local session that is gone or a lost node's.
    private func resolve(_ callee: RegistrationRecord.Callee, in state: inout State) -> RealmSession? {
        if callee.slot == slot { return state.local[callee.session]?.session }
        // Until `reassertHeld` moved it to the current slot, not a stand-in towards this node.
        if state.formerSlots.contains(callee.slot), let local = state.local[callee.session] { return local.session }
        if state.lostSlots.contains(callee.slot) { return nil }
        let key = NodeSession(slot: callee.slot, session: callee.session)
        if let existing = state.remoteCallees[key] { return existing }
        let peer = RemoteCalleePeer(
            slot: callee.slot, calleeID: callee.session, serialization: WampSerialization(rawValue: callee.serialization) ?? .json,
            maxMessageSize: callee.maxMessageSize, ownSlot: ownSlot, subjects: subjects, connection: connection,
            headerAllowance: limits.headerAllowance
        ) { [weak self] unsent in self?.unsent(unsent, to: key) }
        let session = RealmSession(remoteID: callee.session, peer: peer, features: PeerFeatures(rawValue: callee.features))
        state.remoteCallees[key] = session
        return session
    }

    private func retain(remote keys: [NodeSession], in state: inout State) {
        for key in keys where state.remoteCallees[key] != nil { state.remoteUse[key, default: 0] += 1 }
    }

    /// Drops one use of each; a remote callee in no registration and with no pending call is
    /// forgotten (one with pending calls stays until its node is lost or it is used again).
    private func release(remote keys: [NodeSession], in state: inout State) {
        for key in keys {
            guard let uses = state.remoteUse[key] else { continue }
            if uses > 1 { state.remoteUse[key] = uses - 1; continue }
            state.remoteUse[key] = nil
            if dealer.pendingCallCount(callee: key.session) == 0 { state.remoteCallees[key] = nil }
        }
    }

    // MARK: Node loss

    /// Another node is dead: its callees leave every registration here (their pending calls end
    /// with `wamp.error.canceled`), its callers' calls here are interrupted; the live node with
    /// the lowest slot removes its callees from the bucket and publishes their `on_unregister` and
    /// `on_delete` for the cluster. The others remove them without a word: a node may learn of the
    /// loss from the lowest node's directory change before its own heartbeat check, and then has
    /// nothing left to tell, so events fired by every node for its own subscribers would reach
    /// some subscribers and not others.
    func nodeLost(_ lost: Int) {
        let others = membership.liveSlots().filter { $0 != lost && $0 != slot }
        let lowest = others.allSatisfy { $0 > slot }
        let (callees, callers, ended) = state.withLock { state -> ([RealmSession], [RealmSession], [String: (WampID, WampID)]) in
            state.lostSlots.insert(lost)
            var callees = state.remoteCallees.filter { $0.key.slot == lost }
            for key in callees.keys {
                state.remoteCallees[key] = nil
                state.remoteUse[key] = nil
            }
            // A callee whose node changed slot is known under its new one too, by the same ID:
            // the dealer keeps it (its pending calls are answered from the new slot).
            let moved = Set(state.remoteCallees.keys.map(\.session))
            callees = callees.filter { !moved.contains($0.key.session) }
            let callers = state.remoteCallers.filter { $0.key.slot == lost }
            for key in callers.keys { state.remoteCallers[key] = nil }
            // The registration and one lost callee of each key that names one: what its
            // on_delete says should the removal delete the key.
            var ended: [String: (WampID, WampID)] = [:]
            for (key, known) in state.known {
                guard let record = known.record, let callee = record.callees.first(where: { $0.slot == lost }) else { continue }
                ended[key] = (record.id, callee.session)
            }
            return (Array(callees.values), Array(callers.values), ended)
        }
        for callee in callees { dealer.removeSession(callee.id, publishingMetaEvents: lowest) }
        for caller in callers { dealer.removeSession(caller.id) }
        guard lowest else { return }
        let dealer = self.dealer
        cleanUp(Array(ended.keys), deleted: { key in
            guard let (registration, session) = ended[key] else { return }
            dealer.publishRegistrationDeleted(session: session, registration: registration)
        }) { $0.slot == lost }
    }
}
