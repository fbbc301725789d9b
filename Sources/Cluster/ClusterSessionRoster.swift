import Logging
import NATSClient
import NIOConcurrencyHelpers
import NIOCore
import Realm
import WampMessages

/// The other nodes' sessions of one realm, so that a node that dies still has its sessions'
/// `wamp.session.on_leave` fired (docs/cluster.md "Sessions and the meta API").
///
/// Learned from the `on_join` and `on_leave` every node publishes on NATS for each session (one
/// NATS subscription per topic and node, whether or not anyone here subscribes to them), and at
/// start from a `roster` query to every live node for the sessions that joined before. When a
/// node is lost, every node drops that node's sessions from its roster, and the node with the
/// lowest live slot publishes their `on_leave` as shared meta events, so every meta subscriber in
/// the cluster gets each once. The roster holds at most `limit` sessions; one more is not tracked
/// and its `on_leave` will not fire if its node dies (logged and counted, never silent).
final class ClusterSessionRoster: Sendable {
    private struct State {
        var bySlot: [Int: [WampID: SessionMember]] = [:]
        var slotOf: [WampID: Int] = [:]
        var count = 0
        var subscriptions: [NATSSubscription] = []
        var lastOverflowLog: NIODeadline?
        /// This node's slot as the roster last knew it (for the move announcement).
        var ownSlot = 0
    }

    static let joinTopic = "wamp.session.on_join"
    static let leaveTopic = "wamp.session.on_leave"

    private let realm: Realm
    private let node: ClusterNode
    private let limit: Int
    private let subjects: ClusterSubjects
    private let state = NIOLockedValueBox(State())

    init(realm: Realm, node: ClusterNode, limit: Int) {
        self.realm = realm
        self.node = node
        self.limit = limit
        self.subjects = ClusterSubjects(realm: realm.name)
    }

    /// Listens for joins and leaves, then asks the live nodes for their sessions so far.
    func start() async throws {
        var subscriptions = try [Self.joinTopic, Self.leaveTopic].map { topic in
            try node.connection.subscribe(ClusterSubject.event(realm: realm.name, topic: topic)) { [weak self] message in
                self?.received(message, joined: topic == Self.joinTopic)
            }
        }
        subscriptions.append(try node.connection.subscribe(subjects.slotMoves) { [weak self] message in
            self?.receivedSlotMove(message)
        })
        let slot = node.slot
        state.withLockedValue {
            $0.subscriptions = subscriptions
            $0.ownSlot = slot
        }
        try await node.connection.flush()
        node.whenNodeLost { [weak self] slot in self?.nodeLost(slot) }
        node.whenSlotChanged { [weak self] slot in self?.announceSlotMove(to: slot) }
        node.whenNodeReconnected { [weak self] slot in Task { await self?.resync(slots: [slot]) } }
        node.whenConnectionChanged { [weak self] up in if up { Task { await self?.resync(slots: nil) } } }
        await fill()
    }

    func stop() {
        let subscriptions = state.withLockedValue { state in
            defer { state.subscriptions = [] }
            return state.subscriptions
        }
        for subscription in subscriptions { node.connection.unsubscribe(subscription) }
    }

    /// Sessions tracked (for tests and diagnostics).
    var count: Int { state.withLockedValue { $0.count } }

    func members(slot: Int) -> [SessionMember] {
        state.withLockedValue { $0.bySlot[slot].map { Array($0.values) } ?? [] }
    }

    // MARK: Learning

    private func received(_ message: NATSMessage, joined: Bool) {
        guard let publication = try? ClusterEventCodec.decode(message.payload),
              let arguments = publication.payload.arguments?.parsed(), let first = arguments.element(0) else { return }
        if joined {
            guard let member = SessionMember(first) else { return }
            // The router published it, with an ID drawn in its node's slot at that moment.
            add(member, slot: IDGenerator.slot(of: publication.publication))
        } else {
            guard let member = SessionMember(arguments) else { return }
            remove(member.id)
        }
    }

    /// The sessions of the nodes live now (their answers to a `roster` query); those that join
    /// meanwhile arrive as `on_join` as well, which only sets the same entry again.
    private func fill() async {
        await resync(slots: nil)
    }

    /// Asks the live nodes for their sessions again and, for each node of `slots` (nil: every
    /// node) that answers, drops the sessions this roster held before asking that its answer no
    /// longer names: they left while their `on_leave` could not reach this node. For a NATS
    /// outage, of this node (`slots` nil) or of another (its heartbeat shows a new connection
    /// epoch): the meta events sent meanwhile may be lost. A session that joins while the
    /// question is out is not dropped: only those held before it was asked are candidates.
    func resync(slots: Set<Int>?) async {
        guard let cluster = realm.sessionCluster else { return }
        let nodes = Dictionary(node.liveNodes().map { ($0.name, $0.slot) }, uniquingKeysWith: { first, _ in first })
        let before = state.withLockedValue { state in
            state.bySlot.filter { slots?.contains($0.key) ?? true }.mapValues { Set($0.keys) }
        }
        let answered = NIOLockedValueBox<[(node: String, answer: String)]?>(nil)
        let done = node.connection.eventLoop.makePromise(of: Void.self)
        let admitted = cluster.gather(.roster) { answers, silent in
            answered.withLockedValue { $0 = answers }
            if !silent.isEmpty {
                self.node.logger.warning("nodes did not tell their sessions in time; their on_leave will not fire here if they die",
                                         metadata: ["nodes": "\(silent)", "realm": "\(self.realm.name)"])
            }
            done.succeed()
        }
        guard admitted else {
            done.succeed()
            return
        }
        try? await done.futureResult.get()
        for reply in answered.withLockedValue({ $0 }) ?? [] {
            guard let answer = SessionQuery.Answer(text: reply.answer) else { continue }
            if answer.truncated {
                node.logger.warning("a node's session roster did not fit one answer; the rest will not get on_leave if it dies",
                                    metadata: ["node": "\(reply.node)", "realm": "\(realm.name)"])
            }
            let slot = nodes[reply.node]
            for member in answer.members { add(member, slot: slot ?? IDGenerator.slot(of: member.id)) }
            // A cut answer does not say who left; a node whose slot is not known cannot be matched.
            guard !answer.truncated, let slot, let held = before[slot] else { continue }
            let named = Set(answer.members.map(\.id))
            for id in held.subtracting(named) { remove(id) }
        }
    }

    /// Files `member` under `slot`, its node's slot when this node heard of it (a session's ID
    /// keeps the slot it was drawn in, which its node may have left since).
    func add(_ member: SessionMember, slot: Int) {
        guard slot != node.slot, (1...1023).contains(slot) else { return }
        let overflowed = state.withLockedValue { state -> Bool in
            if let filed = state.slotOf[member.id] {
                state.bySlot[filed]![member.id] = member
                return false
            }
            guard state.count < limit else { return true }
            state.bySlot[slot, default: [:]][member.id] = member
            state.slotOf[member.id] = slot
            state.count += 1
            return false
        }
        if overflowed { reportOverflow() }
    }

    private func remove(_ id: WampID) {
        state.withLockedValue { state in
            guard let slot = state.slotOf.removeValue(forKey: id) else { return }
            state.bySlot[slot]?[id] = nil
            state.count -= 1
            if state.bySlot[slot]?.isEmpty == true { state.bySlot[slot] = nil }
        }
    }

    private func reportOverflow() {
        node.counters.sessionsUntracked.wrappingAdd(1, ordering: .relaxed)
        let now = NIODeadline.now()
        let log = state.withLockedValue { state -> Bool in
            if let last = state.lastOverflowLog, now - last < .seconds(10) { return false }
            state.lastOverflowLog = now
            return true
        }
        guard log else { return }
        node.logger.warning("this node tracks as many other nodes' sessions as it may; a session not tracked gets no on_leave if its node dies",
                            metadata: ["limit": "\(limit)", "realm": "\(realm.name)"])
    }

    // MARK: A node moves to another slot

    /// This node had to claim another slot while its sessions live on: the others must not take
    /// the old slot's silence (declared lost a node timeout later) for their leaving. Core NATS,
    /// at most once: if it is lost, those sessions get an `on_leave` although they live on.
    private func announceSlotMove(to slot: Int) {
        let previous = state.withLockedValue { state -> Int in
            defer { state.ownSlot = slot }
            return state.ownSlot
        }
        guard previous > 0, previous != slot else { return }
        try? node.connection.publish(subjects.slotMoves, payload: ByteBuffer(string: "\(previous) \(slot)"))
    }

    /// Files the sessions of a node that moved under its new slot.
    func receivedSlotMove(_ message: NATSMessage) {
        let parts = String(buffer: message.payload).split(separator: " ").compactMap { Int($0) }
        guard parts.count == 2, (1...1023).contains(parts[0]), (1...1023).contains(parts[1]), parts[0] != parts[1] else { return }
        let (old, new) = (parts[0], parts[1])
        state.withLockedValue { state in
            guard let moved = state.bySlot.removeValue(forKey: old) else { return }
            for id in moved.keys { state.slotOf[id] = new }
            state.bySlot[new, default: [:]].merge(moved) { _, latest in latest }
        }
    }

    // MARK: A node dies

    /// Drops the lost node's sessions; the lowest live node fires their `on_leave` for the cluster.
    func nodeLost(_ lost: Int) {
        let members = state.withLockedValue { state -> [SessionMember] in
            guard let members = state.bySlot.removeValue(forKey: lost) else { return [] }
            for id in members.keys { state.slotOf[id] = nil }
            state.count -= members.count
            return Array(members.values)
        }
        let others = node.liveSlots().filter { $0 != lost && $0 != node.slot }
        guard !members.isEmpty, others.allSatisfy({ $0 > node.slot }) else { return }
        for member in members.sorted(by: { $0.id < $1.id }) {
            realm.broker.publishMeta(topic: Self.leaveTopic, arguments: RawJSON(member.json))
        }
        node.counters.lostSessionsLeft.wrappingAdd(members.count, ordering: .relaxed)
        node.logger.notice("the sessions of a lost node left: their on_leave was published", metadata: [
            "slot": "\(lost)", "sessions": "\(members.count)", "realm": "\(realm.name)",
        ])
    }
}
