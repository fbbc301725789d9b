import Logging
import NATSClient
import NIOConcurrencyHelpers
import NIOCore
import Realm
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
    private struct Key: Hashable {
        let topic: String
        let match: MatchPolicy
    }

    private struct Interest {
        var holds = 0
        /// nil when NATS refused the subject (the hold still counts, so holds stay balanced).
        var subscription: NATSSubscription?
        var established = false
        var flushing = false
        var waiters: [@Sendable (Bool) -> Void] = []
    }

    let realm: Realm
    let node: ClusterNode
    private let interests = NIOLockedValueBox<[Key: Interest]>([:])
    /// `wamp.<realm>.rt`, where retained publications go besides their topic's subject.
    private let retainedSubject: String
    /// Held for the node's life (NATS re-subscribes it after a reconnect).
    private var retainedSubscription: NATSSubscription?
    let subjects: ClusterSubjects
    /// Where other nodes ask for this node's retained events; moves with the node's slot.
    private let snapshotSubscription = NIOLockedValueBox<NATSSubscription?>(nil)

    public init(realm: Realm, node: ClusterNode) {
        self.realm = realm
        self.node = node
        self.retainedSubject = ClusterSubject.retained(realm: realm.name)
        self.subjects = ClusterSubjects(realm: realm.name)
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
            let subscription = try node.connection.subscribe(subject) { [weak self] message in self?.answerRetainedSnapshot(message) }
            let previous = snapshotSubscription.withLockedValue { current in
                defer { current = subscription }
                return current
            }
            if let previous { node.connection.unsubscribe(previous) }
        } catch {
            node.logger.error("cluster subscription refused", metadata: ["subject": "\(LogText.quoted(subject))", "error": "\(error)"])
        }
    }

    /// NATS subscriptions this realm holds (one per WAMP subscription with cluster interest).
    public var natsSubscriptionCount: Int { interests.withLockedValue { $0.count } }

    // MARK: BrokerRelay

    public func prepare(topic: String, match: MatchPolicy, ready: @escaping @Sendable (Bool) -> Void) {
        let key = Key(topic: topic, match: match)
        enum Step { case ready, wait, subscribe, flush }
        // Every call takes a hold (released by `release`), also when NATS is down: then the NATS
        // subscription is registered anyway (the client sends it on reconnect) and the flush
        // fails at once, so `ready` gets false.
        let step = interests.withLockedValue { interests -> Step in
            guard var interest = interests[key] else { return .subscribe }
            interest.holds += 1
            defer { interests[key] = interest }
            if interest.established { return .ready }
            interest.waiters.append(ready)
            if interest.flushing { return .wait }
            interest.flushing = true
            return .flush
        }
        switch step {
        case .ready: ready(true)
        case .wait: return
        case .flush: flush(key)
        case .subscribe: subscribe(key, holds: 1, ready: ready)
        }
    }

    public func release(topic: String, match: MatchPolicy) { drop(Key(topic: topic, match: match)) }

    public func created(topic: String, match: MatchPolicy) {
        interests.withLockedValue { $0[Key(topic: topic, match: match)]?.holds += 1 }
    }

    public func deleted(topic: String, match: MatchPolicy) { drop(Key(topic: topic, match: match)) }

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
                node.announceInterest { done(nil) }
            } else {
                done(nil)
            }
        }
    }

    // MARK: NATS interest

    private func subscribe(_ key: Key, holds: Int, ready: @escaping @Sendable (Bool) -> Void) {
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
            ready(false)
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
    /// reaches this node. Then the waiters learn.
    private func flush(_ key: Key) {
        node.afterFlush { [self] error in
            guard error == nil else {
                settle(key, ok: false)
                return
            }
            // The server has the interest; the other nodes' servers learn of it before they see
            // the announcement (across a NATS cluster).
            node.announceInterest { [self] in settle(key, ok: true) }
        }
    }

    /// The interest is established (`flushed`) or not; its waiters learn which.
    private func settle(_ key: Key, ok flushed: Bool) {
        let (waiters, ok) = interests.withLockedValue { interests -> ([@Sendable (Bool) -> Void], Bool) in
            guard var interest = interests[key] else { return ([], false) }
            interest.flushing = false
            let ok = flushed && interest.subscription != nil
            if ok { interest.established = true }
            let waiters = interest.waiters
            interest.waiters = []
            interests[key] = interest
            return (waiters, ok)
        }
        for waiter in waiters { waiter(ok) }
    }

    private func drop(_ key: Key) {
        let gone = interests.withLockedValue { interests -> NATSSubscription?? in
            guard var interest = interests[key] else { return nil }
            interest.holds -= 1
            guard interest.holds <= 0 else {
                interests[key] = interest
                return nil
            }
            interests[key] = nil
            return interest.subscription
        }
        if let gone, let subscription = gone { node.connection.unsubscribe(subscription) }
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
