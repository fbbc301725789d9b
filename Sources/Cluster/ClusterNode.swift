import Foundation
import Logging
import NATSClient
import NIOConcurrencyHelpers
import NIOCore

/// This router process as a member of the cluster (docs/cluster.md "Node identity and IDs",
/// "Failure modes"): one NATS connection to the configured servers (failing over between them,
/// reconnecting), a slot 1...1023 claimed by an atomic key-value create in `wamp_nodes`
/// (`max_age` = the node timeout) and refreshed by compare-and-set, heartbeats on
/// `wamp.hb.<slot>`, and the live nodes those heartbeats show.
///
/// After a reconnect it refreshes its slot (or claims it again, or another one when a node took
/// it meanwhile, telling `whenSlotChanged` handlers); the NATS client subscribes its
/// subscriptions again by itself.
public final class ClusterNode: ClusterMembership, @unchecked Sendable {
    public let nodeName: String
    public let configuration: ClusterConfiguration
    public let connection: NATSConnection
    public let counters = ClusterCounters()
    let logger: Logger

    private struct Peer {
        var name: String
        var lastSeen: NIODeadline
        /// How many times that node's NATS connection came back (its heartbeats say); nil for a
        /// node known from the slot table only, until its first heartbeat.
        var epoch: UInt64?
    }

    private struct State {
        var slot = 0
        var revision: UInt64 = 0
        var connected = false
        var stopped = false
        var ticking = false
        var kv: NATSKeyValue?
        var peers: [Int: Peer] = [:]
        var lostHandlers: [@Sendable (Int) -> Void] = []
        var slotHandlers: [@Sendable (Int) -> Void] = []
        var reconnectHandlers: [@Sendable (Int) -> Void] = []
        /// This node's reconnects so far, in its heartbeats: another node that sees it change
        /// knows that what it sent here meanwhile may be lost.
        var epoch: UInt64 = 0
        var stateHandlers: [@Sendable (Bool) -> Void] = []
        var ticker: RepeatedTask?
        var heartbeatSubscription: NATSSubscription?
        /// `wamp.node.<slot>.sub`, where other nodes announce new interest (see `roundTripToLiveNodes`).
        var announcementSubscription: NATSSubscription?
        var lastUnsharedLog: NIODeadline?
    }

    private let state = NIOLockedValueBox(State())
    /// The realms' cross-node RPC parts (`share(_:)`): told after a reconnect once the slot is
    /// held again, stopped before the connection closes.
    let dealers = NIOLockedValueBox<[ClusterDealer]>([])
    /// The realms' testament keepers (`share(_:)`): their writes are waited for before the
    /// connection closes, so a clean stop leaves no list behind for another node to fire.
    let testamentKeepers = NIOLockedValueBox<[ClusterTestaments]>([])
    /// The realms' relays: their subscriptions go back into the directory after a reconnect, and
    /// a stop lets their directory changes finish.
    let relaysToReassert = NIOLockedValueBox<[ClusterPubSub]>([])
    static let bucket = "wamp_nodes"
    /// Acknowledged publications waiting for NATS to confirm them.
    let flushes: ClusterFlushes
    /// The realms' rosters of other nodes' sessions (`share(_:)`), stopped with the node.
    let rosters = NIOLockedValueBox<[ClusterSessionRoster]>([])
    /// Removes old delete markers while this node has the lowest live slot; made by `share(_:)`.
    let sweeper = NIOLockedValueBox<ClusterKeyValueSweeper?>(nil)

    /// `eventLoop`: the loop the NATS connection lives on (deliveries of other nodes' events run
    /// there). Throws for a server URL that does not parse.
    public init(configuration: ClusterConfiguration, eventLoop: any EventLoop, logger: Logger) throws {
        self.configuration = configuration
        self.nodeName = configuration.nodeName
        var logger = logger
        logger[metadataKey: "node"] = "\(configuration.nodeName)"
        self.logger = logger
        let (servers, user, password) = try Self.parseServers(configuration.natsServers)
        var nats = NATSConnectionConfiguration(servers: servers, name: "wamp-router \(configuration.nodeName)")
        nats.user = user
        nats.password = password
        // This node delivers its own publications locally; NATS must not bring them back.
        nats.echo = false
        nats.reconnectWaitMin = .milliseconds(100)
        // Weak: the connection's callback must not keep its node alive.
        let box = WeakNode()
        self.connection = NATSConnection(configuration: nats, eventLoop: eventLoop, logger: logger) { event in
            box.node?.connectionEvent(event)
        }
        self.flushes = ClusterFlushes(connection: connection, limit: configuration.maxPendingFlushes)
        box.node = self
    }

    // MARK: ClusterMembership

    public var slot: Int { state.withLockedValue { $0.slot } }
    public var isConnected: Bool { state.withLockedValue { $0.connected } }

    public func liveSlots() -> [Int] { state.withLockedValue { $0.peers.keys.sorted() } }

    /// The other live nodes, slot and name, for `/health` and the status page.
    public func liveNodes() -> [(slot: Int, name: String)] {
        state.withLockedValue { state in state.peers.sorted { $0.key < $1.key }.map { ($0.key, $0.value.name) } }
    }

    public func whenNodeLost(_ handler: @escaping @Sendable (Int) -> Void) {
        state.withLockedValue { $0.lostHandlers.append(handler) }
    }

    /// Called with the new slot when this node had to claim another one (after losing its own).
    public func whenSlotChanged(_ handler: @escaping @Sendable (Int) -> Void) {
        state.withLockedValue { $0.slotHandlers.append(handler) }
    }

    /// Calls `handler` with the slot of another node whose heartbeat shows its NATS connection
    /// dropped and came back since its last heartbeat (messages sent to it meanwhile may be lost).
    public func whenNodeReconnected(_ handler: @escaping @Sendable (Int) -> Void) {
        state.withLockedValue { $0.reconnectHandlers.append(handler) }
    }

    /// Called with true/false as the NATS connection comes up or goes down (not for the first
    /// connection, which `start()` makes).
    public func whenConnectionChanged(_ handler: @escaping @Sendable (Bool) -> Void) {
        state.withLockedValue { $0.stateHandlers.append(handler) }
    }

    // MARK: Start and stop

    /// Connects (waiting for a server, within `timeout`), claims a slot, starts heartbeats.
    public func start(timeout: Duration = .seconds(10)) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.connection.connect() }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw ClusterError.unreachable("no NATS server of \(self.configuration.natsServers.count) answered within \(timeout)")
            }
            try await group.next()
            group.cancelAll()
        }
        state.withLockedValue { $0.connected = true }
        let kv = try await bindBucketRetrying(until: ContinuousClock.now + timeout)
        try await claimSlot(kv: kv, preferring: nil)
        let subscription = try connection.subscribe("wamp.hb.*") { [weak self] message in self?.heartbeat(message) }
        try await connection.flush()
        await learnNodesFromSlots(kv)
        let interval = Self.tickInterval(configuration.nodeTimeout)
        let ticker = connection.eventLoop.scheduleRepeatedTask(initialDelay: .zero, delay: interval) { [weak self] _ in
            self?.tick()
        }
        state.withLockedValue {
            $0.heartbeatSubscription = subscription
            $0.ticker = ticker
        }
        logger.notice("cluster node joined", metadata: ["slot": "\(slot)", "servers": "\(connection.configuration.servers)"])
    }

    /// Frees the slot at once (so a restart can take it) and closes the connection.
    public func stop() async {
        sweeper.withLockedValue { $0 }?.stop()
        for roster in rosters.withLockedValue({ $0 }) { roster.stop() }
        for relay in relaysToReassert.withLockedValue({ $0 }) { await relay.stop() }
        for dealer in dealers.withLockedValue({ $0 }) { await dealer.stop() }
        for keeper in testamentKeepers.withLockedValue({ $0 }) { await keeper.stop() }
        let (ticker, kv, slot) = state.withLockedValue { state -> (RepeatedTask?, NATSKeyValue?, Int) in
            state.stopped = true
            defer { state.ticker = nil }
            return (state.ticker, state.kv, state.slot)
        }
        ticker?.cancel()
        if let kv, slot > 0, isConnected { _ = try? await kv.delete(Self.key(slot)) }
        await connection.close()
        state.withLockedValue { $0.connected = false }
    }

    static func key(_ slot: Int) -> String { "slots.\(slot)" }

    /// Heartbeats and slot refreshes this often: a fifth of the node timeout (1 s by default).
    static func tickInterval(_ timeout: Duration) -> TimeAmount {
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        return .nanoseconds(max(50_000_000, nanoseconds / 5))
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        .nanoseconds(duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000)
    }

    /// A clustered JetStream answers only once it has elected its leaders: retry until `deadline`.
    private func bindBucketRetrying(until deadline: ContinuousClock.Instant) async throws -> NATSKeyValue {
        while true {
            do {
                return try await bindBucket()
            } catch {
                guard ContinuousClock.now < deadline else { throw error }
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    private func bindBucket() async throws -> NATSKeyValue {
        var bucket = NATSKeyValueConfiguration(bucket: Self.bucket)
        bucket.maxAge = Self.timeAmount(configuration.nodeTimeout)
        bucket.storage = .memory
        bucket.replicas = configuration.keyValueReplicas
        let kv = try await NATSKeyValue.createOrBind(bucket, on: connection, timeout: Self.timeAmount(configuration.ackTimeout))
        state.withLockedValue { $0.kv = kv }
        return kv
    }

    /// The first free slot (trying `preferring` first): an atomic create, so two nodes never
    /// hold the same one.
    private func claimSlot(kv: NATSKeyValue, preferring: Int?) async throws {
        let value = ByteBuffer(string: "\(nodeName) \(Int(Date().timeIntervalSince1970))")
        let order = (preferring.map { [$0] } ?? []) + Array(1...1023).filter { $0 != preferring }
        for candidate in order {
            do {
                let revision = try await kv.create(Self.key(candidate), value)
                let previous = state.withLockedValue { state -> Int in
                    defer {
                        state.slot = candidate
                        state.revision = revision
                    }
                    return state.slot
                }
                if previous != candidate { listenForAnnouncements(slot: candidate) }
                if previous != 0 && previous != candidate {
                    counters.slotReclaims.wrappingAdd(1, ordering: .relaxed)
                    logger.warning("cluster slot lost and another claimed", metadata: ["previous": "\(previous)", "slot": "\(candidate)"])
                    for handler in state.withLockedValue({ $0.slotHandlers }) { handler(candidate) }
                }
                return
            } catch NATSKeyValueError.keyExists {
                continue
            }
        }
        throw ClusterError.noFreeSlot
    }

    // MARK: Announcements of new interest

    static func announcementSubject(_ slot: Int) -> String { "wamp.node.\(slot).sub" }

    /// Answers other nodes' announcements on this slot's subject (the answer is all they need:
    /// see `roundTripToLiveNodes`).
    private func listenForAnnouncements(slot: Int) {
        let connection = self.connection
        let subscription = try? connection.subscribe(Self.announcementSubject(slot)) { message in
            guard let reply = message.replyTo else { return }
            try? connection.publish(reply, payload: ByteBuffer())
        }
        let previous = state.withLockedValue { state -> NATSSubscription? in
            defer { state.announcementSubscription = subscription }
            return state.announcementSubscription
        }
        if let previous { connection.unsubscribe(previous) }
    }

    // MARK: Heartbeats and liveness

    /// The nodes that hold a slot now count as alive from the start, before their first heartbeat
    /// reaches this node: a REGISTER or SUBSCRIBE answered here in that first heartbeat interval
    /// must still be announced to them. One that is in fact dead has no heartbeat and is declared
    /// lost after the node timeout, as any other.
    private func learnNodesFromSlots(_ kv: NATSKeyValue) async {
        guard let keys = try? await kv.keys() else { return }
        let mine = slot
        for key in keys {
            guard key.hasPrefix("slots."), let other = Int(key.dropFirst("slots.".count)), other != mine,
                  let entry = try? await kv.get(key), entry.operation == .put else { continue }
            let name = String(String(buffer: entry.value).split(separator: " ").first ?? "")
            guard ClusterConfiguration.problem(withNodeName: name) == nil else { continue }
            state.withLockedValue { state in
                if state.peers[other] == nil { state.peers[other] = Peer(name: name, lastSeen: .now(), epoch: nil) }
            }
        }
    }

    /// A heartbeat's payload: `<node name> <epoch>`.
    private func heartbeat(_ message: NATSMessage) {
        guard let token = message.subject.split(separator: ".").last, let slot = Int(token), (1...1023).contains(slot) else { return }
        let words = String(buffer: message.payload).split(separator: " ", omittingEmptySubsequences: false)
        guard words.count == 2, let epoch = UInt64(words[1]) else { return }
        let name = String(words[0])
        guard ClusterConfiguration.problem(withNodeName: name) == nil else { return }
        let reconnected = state.withLockedValue { state -> [@Sendable (Int) -> Void] in
            guard slot != state.slot else { return [] }
            let previous = state.peers[slot]
            state.peers[slot] = Peer(name: name, lastSeen: .now(), epoch: epoch)
            guard let previous, let known = previous.epoch, known != epoch else { return [] }
            return state.reconnectHandlers
        }
        for handler in reconnected { handler(slot) }
    }

    /// Every tick: a heartbeat, the slot's refresh, and the nodes whose heartbeats stopped.
    private func tick() {
        let (slot, stopped, epoch) = state.withLockedValue { ($0.slot, $0.stopped, $0.epoch) }
        guard !stopped, slot > 0 else { return }
        try? connection.publish("wamp.hb.\(slot)", payload: ByteBuffer(string: "\(nodeName) \(epoch)"))
        let deadline = NIODeadline.now() - Self.timeAmount(configuration.nodeTimeout)
        let (lost, handlers) = state.withLockedValue { state -> ([Int], [@Sendable (Int) -> Void]) in
            let lost = state.peers.filter { $0.value.lastSeen < deadline }.map(\.key).sorted()
            for slot in lost { state.peers[slot] = nil }
            return (lost, state.lostHandlers)
        }
        for slot in lost {
            counters.nodesLost.wrappingAdd(1, ordering: .relaxed)
            logger.warning("cluster node lost: no heartbeat within the node timeout", metadata: ["slot": "\(slot)"])
            for handler in handlers { handler(slot) }
        }
        let start = state.withLockedValue { state -> Bool in
            guard !state.ticking, state.connected else { return false }
            state.ticking = true
            return true
        }
        guard start else { return }
        Task {
            await self.refreshSlot()
            self.state.withLockedValue { $0.ticking = false }
        }
    }

    /// Update on the held revision; a wrong revision means the slot aged out or was taken: claim
    /// it again (or another).
    private func refreshSlot() async {
        let (kv, slot, revision) = state.withLockedValue { ($0.kv, $0.slot, $0.revision) }
        guard let kv, slot > 0 else { return }
        let value = ByteBuffer(string: "\(nodeName) \(Int(Date().timeIntervalSince1970))")
        do {
            let next = try await kv.update(Self.key(slot), value, revision: revision)
            state.withLockedValue { $0.revision = next }
        } catch NATSKeyValueError.wrongRevision {
            try? await claimSlot(kv: kv, preferring: slot)
        } catch {
            // Not connected or JetStream slow: the next tick tries again; the node timeout bounds it.
        }
    }

    private func connectionEvent(_ event: NATSConnectionEvent) {
        let up: Bool
        switch event {
        case .connected: return  // start() handles the first connection
        case .reconnected(let server):
            logger.notice("cluster NATS connection back", metadata: ["server": "\(server)"])
            up = true
            Task { await self.afterReconnect() }
        case .disconnected:
            logger.warning("cluster NATS connection lost; this node serves its own sessions only until it is back")
            up = false
        case .closed:
            up = false
        }
        let handlers = state.withLockedValue { state -> [@Sendable (Bool) -> Void] in
            if up { state.epoch += 1 }
            state.connected = up
            return state.stateHandlers
        }
        for handler in handlers { handler(up) }
    }

    /// The server may have restarted (a memory bucket is gone): bind again, then keep the slot.
    private func afterReconnect() async {
        // One slot claim at a time: a tick's refresh running beside this one (the bucket a
        // restarted server lost makes both claim) would find the key its twin just created,
        // take it for another node's and claim another slot. A refresh ends within its
        // key-value timeouts; past that bound this one goes ahead anyway.
        let deadline = NIODeadline.now() + Self.timeAmount(configuration.ackTimeout) * 5
        var claiming = false
        while !claiming, NIODeadline.now() < deadline {
            claiming = state.withLockedValue { state -> Bool in
                guard !state.ticking else { return false }
                state.ticking = true
                return true
            }
            if !claiming { try? await Task.sleep(nanoseconds: 10_000_000) }
        }
        await restoreSlot()
        if claiming { state.withLockedValue { $0.ticking = false } }
        for dealer in dealers.withLockedValue({ $0 }) { await dealer.reconnected() }
        for relay in relaysToReassert.withLockedValue({ $0 }) { await relay.reconnected() }
    }

    private func restoreSlot() async {
        guard let kv = try? await bindBucket() else { return }
        let (slot, revision) = state.withLockedValue { ($0.slot, $0.revision) }
        guard slot > 0 else { return }
        let value = ByteBuffer(string: "\(nodeName) \(Int(Date().timeIntervalSince1970))")
        if let next = try? await kv.update(Self.key(slot), value, revision: revision) {
            state.withLockedValue { $0.revision = next }
            return
        }
        try? await claimSlot(kv: kv, preferring: slot)
    }

    // MARK: Acknowledged publications

    /// Calls `done` once the server has everything sent before this call (nil) or with the error
    /// (`ClusterFlushes`: coalesced, at most `configuration.maxPendingFlushes` waiting).
    func afterFlush(_ done: @escaping @Sendable (Error?) -> Void) {
        flushes.afterFlush(done)
    }

    /// Logs at most one line per 10 s about publications that stayed on this node.
    func reportUnshared(topic: String, why: String) {
        let total = counters.publicationsUnshared.wrappingAdd(1, ordering: .relaxed).newValue
        let now = NIODeadline.now()
        let log = state.withLockedValue { state -> Bool in
            if let last = state.lastUnsharedLog, now - last < .seconds(10) { return false }
            state.lastUnsharedLog = now
            return true
        }
        if log {
            logger.warning("publication delivered on this node only", metadata: [
                "why": "\(why)", "unsharedTotal": "\(total)",
            ])
        }
        _ = topic
    }
}

/// The node as the NATS connection's event callback sees it (set once, before any event).
private final class WeakNode: @unchecked Sendable {
    weak var node: ClusterNode?
}
