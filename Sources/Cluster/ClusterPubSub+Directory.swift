import NIOCore
import Realm
import WampMessages

/// The realm's subscriptions in the cluster's directory (`wamp_subscriptions`, docs/cluster.md
/// "Subscription IDs"): start and stop, a lost node's slot, the re-put after a reconnect, and the
/// meta API's view of every node's subscriptions.
extension ClusterPubSub {
    /// Binds the subscription directory and takes this slot off the records an earlier life of
    /// this node left (it has no subscriber yet); then the live node with the lowest slot takes
    /// a lost node's slot off every record.
    public func start() async throws {
        try await directory.bind()
        try await directory.removeSlotEverywhere(node.slot)
        node.whenNodeLost { [weak self] lost in self?.nodeLost(lost) }
    }

    /// At shutdown, after the realm's sessions left: waits (at most twice the key-value timeout)
    /// for the directory changes in flight, such as the removal of this node's slot.
    public func stop() async {
        let deadline = NIODeadline.now() + directory.limits.keyValueTimeout * 2
        while directory.changesInFlight > 0 || leavesStarting.load(ordering: .relaxed) > 0, NIODeadline.now() < deadline {
            try? await Task.sleep(nanoseconds: 5_000_000)
        }
        await directory.copy.stop()
    }

    public func clusterSubscriptions() -> [ClusterSubscriptionEntry] { directory.copy.entries }

    public func clusterSubscription(id: WampID) -> ClusterSubscriptionEntry? { directory.copy.entry(id: id) }

    public func clusterSubscription(topic: String, match: MatchPolicy) -> ClusterSubscriptionEntry? {
        directory.copy.entry(key: directory.key(topic, match))
    }

    /// A subscription that ends with its node (the lost node held its last subscribers) gets
    /// its `on_delete` from the node that deletes its key, once for the cluster; the session in
    /// it is 0, as the subscribers that ended it are not known here.
    private func nodeLost(_ lost: Int) {
        let mine = node.slot
        guard node.liveSlots().allSatisfy({ $0 == lost || $0 > mine }) else { return }
        Task { [self] in
            do {
                for subscription in try await directory.removeSlotEverywhere(lost) {
                    realm.broker.publishSubscriptionDeleted(session: 0, subscription: subscription)
                }
            } catch {
                node.logger.warning("a lost node's slot could not be taken off the subscription directory", metadata: [
                    "slot": "\(lost)", "why": "\(error)",
                ])
            }
        }
    }

    /// After a NATS reconnect (once the node holds its slot again): the other nodes may have
    /// declared this one lost and taken its slot off the records, so each subscription this node
    /// holds puts it back (one key-value round trip or two each), under the ID its subscribers
    /// know where the key is gone. A key another node made anew meanwhile has another ID: the
    /// local subscribers keep theirs (events still reach them, matched by topic), logged.
    public func reconnected() async {
        do {
            try await directory.bind()
        } catch {
            node.logger.warning("the subscription directory could not be bound again", metadata: ["why": "\(error)"])
            return
        }
        let held = interests.withLockedValue { interests in
            interests.compactMap { key, interest in interest.cluster.map { (key, $0.id) } }
        }
        for (key, id) in held {
            do {
                let joined = try await directory.join(topic: key.topic, match: key.match, reuse: id) { [self] in
                    interests.withLockedValue { $0[key]?.cluster?.id == id }
                }
                if let joined, joined.id != id {
                    node.logger.warning("the cluster gave a subscription another ID while this node was away", metadata: [
                        "topic": "\(LogText.quoted(key.topic))", "match": "\(key.match.rawValue)",
                        "local": "\(id)", "cluster": "\(joined.id)",
                    ])
                }
            } catch {
                node.logger.warning("a subscription could not be put back in the subscription directory", metadata: [
                    "topic": "\(LogText.quoted(key.topic))", "match": "\(key.match.rawValue)", "why": "\(error)",
                ])
            }
        }
    }

    /// The cluster's subscription of (topic, match) as the directory holds it: its ID and the
    /// slots of the nodes with subscribers (for tests and diagnostics).
    package func directoryRecord(topic: String, match: MatchPolicy) async throws -> (id: WampID, slots: [Int])? {
        try await directory.record(topic: topic, match: match).map { ($0.id, $0.slots) }
    }

    /// Keys this node's copy of the directory holds, live or deleted within the tombstone grace
    /// (for tests of that bound).
    package var directoryCopyKeyCount: Int { directory.copy.keyCount }

    /// Takes `slot` off every record of the realm, as for a lost node (for tests).
    package func removeFromDirectory(slot: Int) async throws {
        try await directory.removeSlotEverywhere(slot)
    }
}
