import Logging
import NATSClient
import NIOConcurrencyHelpers
import NIOCore
import Realm
import Synchronization
import WampMessages

/// One realm's broker shared across the cluster's nodes (docs/cluster.md "Pub/sub"): the
/// `BrokerRelay` the realm's broker calls.
///
/// One NATS subscription per WAMP subscription this node has (not per subscriber), made when the
/// broker is about to take the subscription's first subscriber and flushed before the broker
/// answers SUBSCRIBED; dropped with the subscription. A publication is published once on its
/// topic's subject after the local delivery; NATS brings one copy to each node with a matching
/// NATS subscription, never back to this node (the connection has echo off). A retained
/// publication also goes to the realm's retained subject, which every node listens to.
public final class ClusterPubSub: BrokerRelay, @unchecked Sendable {
    struct Key: Hashable {
        let topic: String
        let match: MatchPolicy
    }

    struct Interest {
        var holds = 0
        /// nil when NATS refused the subject (the hold still counts, so holds stay balanced).
        var subscription: NATSSubscription?
        var established = false
        var flushing = false
        var waiters: [@Sendable (RelayReadiness) -> Void] = []
        /// The cluster's subscription, once this node's slot is in its key.
        var cluster: RelayedSubscription?
        /// A join of the directory was started for it: its slot may be in the key, so the last
        /// hold's drop takes it out again (a refused one that never joined costs no round trip).
        var joining = false
    }

    let realm: Realm
    let node: ClusterNode
    let directory: ClusterSubscriptionDirectory
    let interests = NIOLockedValueBox<[Key: Interest]>([:])
    /// Leaves made by `drop` that may not have reached the directory's queue yet (for `stop`).
    let leavesStarting = Atomic<Int>(0)
    /// `wamp.<realm>.rt`, where retained publications go besides their topic's subject.
    private let retainedSubject: String
    /// Held for the node's life (NATS re-subscribes it after a reconnect).
    private var retainedSubscription: NATSSubscription?
    let subjects: ClusterSubjects
    /// Where other nodes ask for this node's retained events; moves with the node's slot.
    private let snapshotSubscription: SlotSubscriptions

    public init(realm: Realm, node: ClusterNode, limits: ClusterRPCLimits = ClusterRPCLimits()) {
        self.realm = realm
        self.node = node
        self.directory = ClusterSubscriptionDirectory(realm: realm.name, node: node, limits: limits)
        self.retainedSubject = ClusterSubject.retained(realm: realm.name)
        self.subjects = ClusterSubjects(realm: realm.name)
        self.snapshotSubscription = SlotSubscriptions(connection: node.connection)
        // A reconnect re-subscribes every NATS subscription; flush so that interests made while
        // down become established. Retained events published while this node was away are asked
        // of another node.
        node.whenConnectionChanged { [weak self] up in
            guard up, let self else { return }
            self.establishPending()
            Task { await self.fetchRetained() }
        }
        listenForSnapshotRequests(slot: node.slot)
        node.whenSlotChanged { [weak self] slot in self?.listenForSnapshotRequests(slot: slot) }
        do {
            retainedSubscription = try node.connection.subscribe(retainedSubject) { [weak self] message in
                self?.receivedRetained(message)
            }
        } catch {
            node.logger.error("cluster subscription refused", metadata: ["subject": "\(LogText.quoted(retainedSubject))", "error": "\(error)"])
        }
    }

    private func listenForSnapshotRequests(slot: Int) {
        guard slot > 0 else { return }
        let subject = subjects.retainedSnapshots(slot)
        do {
            try snapshotSubscription.listen(slot: slot, [(subject, { @Sendable [weak self] message in self?.answerRetainedSnapshot(message) })])
        } catch {
            node.logger.error("cluster subscription refused", metadata: ["subject": "\(LogText.quoted(subject))", "error": "\(error)"])
        }
    }

    /// NATS subscriptions this realm holds (one per WAMP subscription with cluster interest).
    public var natsSubscriptionCount: Int { interests.withLockedValue { $0.count } }

    // MARK: BrokerRelay

    public func prepare(topic: String, match: MatchPolicy, ready: @escaping @Sendable (RelayReadiness) -> Void) {
        let key = Key(topic: topic, match: match)
        enum Step { case ready(RelayedSubscription), wait, subscribe, flush }
        // Every call takes a hold (released by `release`), also when NATS is down: then the NATS
        // subscription is registered anyway (the client sends it on reconnect) and the flush
        // fails at once, so `ready` gets a refusal.
        let step = interests.withLockedValue { interests -> Step in
            guard var interest = interests[key] else { return .subscribe }
            interest.holds += 1
            defer { interests[key] = interest }
            if interest.established, let cluster = interest.cluster { return .ready(cluster) }
            interest.waiters.append(ready)
            if interest.flushing { return .wait }
            interest.flushing = true
            return .flush
        }
        switch step {
        case .ready(let cluster): ready(.ready(cluster))
        case .wait: return
        case .flush: flush(key)
        case .subscribe: subscribe(key, holds: 1, ready: ready)
        }
    }

    public func release(topic: String, match: MatchPolicy, session: WampID) {
        drop(Key(topic: topic, match: match), session: session)
    }

    public func created(topic: String, match: MatchPolicy) {
        interests.withLockedValue { $0[Key(topic: topic, match: match)]?.holds += 1 }
    }

    public func deleted(topic: String, match: MatchPolicy, session: WampID) {
        drop(Key(topic: topic, match: match), session: session)
    }

    public func publish(_ publication: RelayedPublication, done: (@Sendable (String?) -> Void)?) {
        let subject = ClusterSubject.event(realm: realm.name, topic: publication.topic)
        let bytes = ClusterEventCodec.encode(publication)
        do {
            try node.connection.publish(subject, payload: bytes)
            if publication.retain {
                try node.connection.publish(retainedSubject, payload: bytes)
            }
            node.counters.publicationsShared.wrappingAdd(1, ordering: .relaxed)
        } catch {
            let why = Self.describe(error)
            node.reportUnshared(topic: publication.topic, why: why)
            done?("the cluster did not take it: \(why)")
            return
        }
        guard let done else { return }
        let retain = publication.retain
        node.afterFlush { [node] error in
            if let error {
                done("the cluster did not confirm it: \(Self.describe(error))")
            } else if retain {
                // A round trip to every live node after the retained message: each has stored it
                // when it answers (messages from one connection arrive in order), so the very next
                // get_retained on any node sees it.
                node.roundTripToLiveNodes { done(nil) }
            } else {
                done(nil)
            }
        }
    }

    // MARK: NATS interest

    private func subscribe(_ key: Key, holds: Int, ready: @escaping @Sendable (RelayReadiness) -> Void) {
        let (subject, needsFilter) = ClusterSubject.interest(realm: realm.name, topic: key.topic, match: key.match)
        let subscription: NATSSubscription
        do {
            subscription = try node.connection.subscribe(subject) { [weak self] message in
                self?.received(message, for: key, filter: needsFilter)
            }
        } catch {
            // Not expected (reserved characters are escaped): the hold is recorded all the same.
            node.logger.error("cluster subscription refused", metadata: ["subject": "\(LogText.quoted(subject))", "error": "\(error)"])
            interests.withLockedValue { interests in
                if interests[key] != nil {
                    interests[key]!.holds += holds
                } else {
                    interests[key] = Interest(holds: holds, subscription: nil)
                }
            }
            ready(.refused(uri: ErrorURI.clusterUnavailable, message: "the cluster refused the subject of this topic"))
            return
        }
        let raced = interests.withLockedValue { interests -> Bool in
            if var existing = interests[key] {
                // Another prepare subscribed meanwhile: join it, drop ours.
                existing.holds += holds
                existing.waiters.append(ready)
                interests[key] = existing
                return true
            }
            interests[key] = Interest(holds: holds, subscription: subscription, flushing: true, waiters: [ready])
            return false
        }
        if raced { node.connection.unsubscribe(subscription) }
        flush(key)
    }

    /// A PING/PONG after the SUB: the server has the interest, so a publish it receives later
    /// reaches this node. Then this node's slot goes into the cluster's subscription (once per
    /// interest), and the waiters learn its ID.
    private func flush(_ key: Key) {
        node.afterFlush { [self] error in
            guard error == nil else {
                settle(key, joined: nil, refusal: Self.unreachable)
                return
            }
            // The server has the interest; the other nodes' servers learn of it before they see
            // the announcement (across a NATS cluster).
            node.roundTripToLiveNodes { [self] in
                if let cluster = interests.withLockedValue({ $0[key]?.cluster }) {
                    settle(key, joined: cluster, refusal: nil)
                    return
                }
                Task { await join(key) }
            }
        }
    }

    /// One key-value round trip or two (read, then create or compare-and-set), made in turn with
    /// this node's other changes of the key, so it never overtakes the removal of an earlier
    /// interest in it.
    private func join(_ key: Key) async {
        // Bounded like the registration directory's changes (leaves are never refused: a slot
        // must not stay behind for the bound).
        let limit = directory.limits.maxDirectoryChangesInFlight
        guard directory.changesInFlight < limit else {
            settle(key, joined: nil, refusal: (ErrorURI.limitExceeded,
                "\(limit) subscription directory changes are in flight on this node, the most allowed (--cluster-max-directory-changes)"))
            return
        }
        interests.withLockedValue { $0[key]?.joining = true }
        do {
            let joined = try await directory.join(topic: key.topic, match: key.match) { [self] in
                interests.withLockedValue { $0[key] != nil }
            }
            settle(key, joined: joined.map { RelayedSubscription(id: $0.id, created: $0.created, isNew: $0.isNew) }, refusal: nil)
        } catch {
            node.logger.warning("a subscription could not join the cluster's subscription directory", metadata: [
                "topic": "\(LogText.quoted(key.topic))", "match": "\(key.match.rawValue)", "why": "\(error)",
            ])
            settle(key, joined: nil, refusal: (ErrorURI.clusterUnavailable,
                                               "the cluster's subscription directory cannot be reached: \(error)"))
        }
    }

    static let unreachable = (ErrorURI.clusterUnavailable,
                              "the cluster is unreachable, so other nodes' publications cannot reach a new subscription")

    /// The interest is established (flushed and in the cluster's subscription) or not (`refusal`
    /// says why); its waiters learn which. Only the first waiter hears that this node made the
    /// subscription, so `on_create` fires once.
    private func settle(_ key: Key, joined: RelayedSubscription?, refusal: (uri: String, message: String)?) {
        typealias Waiter = @Sendable (RelayReadiness) -> Void
        let (waiters, cluster) = interests.withLockedValue { interests -> ([Waiter], RelayedSubscription?) in
            guard var interest = interests[key] else { return ([], nil) }
            interest.flushing = false
            var fresh: RelayedSubscription?
            if let joined, interest.cluster == nil {
                fresh = joined
                interest.cluster = RelayedSubscription(id: joined.id, created: joined.created, isNew: false)
            }
            let ok = refusal == nil && interest.subscription != nil && interest.cluster != nil
            if ok { interest.established = true }
            let waiters = interest.waiters
            interest.waiters = []
            interests[key] = interest
            return (waiters, ok ? fresh ?? interest.cluster : nil)
        }
        for (index, waiter) in waiters.enumerated() {
            guard var given = cluster else {
                let (uri, message) = refusal ?? Self.unreachable
                waiter(.refused(uri: uri, message: message))
                continue
            }
            if index > 0 { given.isNew = false }
            waiter(.ready(given))
        }
    }

    /// Drops one hold; the interest goes with the last, and this node's slot leaves the cluster's
    /// subscription (which `session` ends, firing on_delete here, if no other node holds it).
    private func drop(_ key: Key, session: WampID) {
        let gone = interests.withLockedValue { interests -> Interest? in
            guard var interest = interests[key] else { return nil }
            interest.holds -= 1
            guard interest.holds <= 0 else {
                interests[key] = interest
                return nil
            }
            interests[key] = nil
            return interest
        }
        guard let gone else { return }
        if let subscription = gone.subscription { node.connection.unsubscribe(subscription) }
        guard gone.joining || gone.cluster != nil else { return }
        leavesStarting.add(1, ordering: .relaxed)
        Task { [self] in
            defer { leavesStarting.subtract(1, ordering: .relaxed) }
            do {
                if let deleted = try await directory.leave(topic: key.topic, match: key.match) {
                    realm.broker.publishSubscriptionDeleted(session: session, subscription: deleted)
                }
            } catch {
                // The slot stays in the key until this node reconnects or another node declares it lost.
                node.logger.warning("a subscription could not leave the cluster's subscription directory", metadata: [
                    "topic": "\(LogText.quoted(key.topic))", "match": "\(key.match.rawValue)", "why": "\(error)",
                ])
            }
        }
    }

    private func establishPending() {
        let pending = interests.withLockedValue { interests -> [Key] in
            var keys: [Key] = []
            for (key, var interest) in interests where !interest.established && !interest.flushing {
                interest.flushing = true
                interests[key] = interest
                keys.append(key)
            }
            return keys
        }
        for key in pending { flush(key) }
    }

    // MARK: Receiving

    private func received(_ message: NATSMessage, for key: Key, filter: Bool) {
        let publication: RelayedPublication
        do {
            publication = try ClusterEventCodec.decode(message.payload)
        } catch {
            node.counters.malformedEvents.wrappingAdd(1, ordering: .relaxed)
            return
        }
        switch key.match {
        case .exact:
            guard publication.topic == key.topic else {
                node.counters.malformedEvents.wrappingAdd(1, ordering: .relaxed)
                return
            }
        case .prefix:
            guard !filter || publication.topic.hasPrefix(key.topic) else {
                node.counters.prefixFiltered.wrappingAdd(1, ordering: .relaxed)
                return
            }
        case .wildcard:
            break
        }
        node.counters.eventsReceived.wrappingAdd(1, ordering: .relaxed)
        realm.broker.deliverRelayed(publication, subscriptionTopic: key.topic, match: key.match)
    }

    private func receivedRetained(_ message: NATSMessage) {
        guard let publication = try? ClusterEventCodec.decode(message.payload), publication.retain else {
            node.counters.malformedEvents.wrappingAdd(1, ordering: .relaxed)
            return
        }
        node.counters.retainedReceived.wrappingAdd(1, ordering: .relaxed)
        realm.broker.storeRelayedRetained(publication)
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case NATSError.notConnected: "not connected to NATS"
        case NATSError.messageTooLarge(let size, let limit): "the message takes \(size) bytes, NATS max_payload is \(limit)"
        default: "\(error)"
        }
    }
}
