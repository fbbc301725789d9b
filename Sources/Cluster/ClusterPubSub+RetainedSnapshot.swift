import Logging
import NATSClient
import NIOCore
import Realm

/// Retained events for a node that was not there when they were published (docs/cluster.md
/// "Retained events"): when it starts, and after it reconnects to NATS, a node asks one live
/// node for its retained events and keeps those of topics it has none for.
extension ClusterPubSub {
    /// Asks the live nodes, lowest slot first, until one answers in full; each is given
    /// `--cluster-ack-timeout` between two messages. Returns the events taken, nil when no node
    /// answered in full (logged). Live retained publications keep arriving meanwhile; they win
    /// over the snapshot's copy of a topic, being newer.
    @discardableResult
    public func fetchRetained() async -> Int? {
        let me = node.slot
        var failures: [String] = []
        for slot in node.liveSlots() where slot != me {
            switch await fetchRetained(from: slot) {
            case .complete(let filled):
                if filled > 0 {
                    node.logger.info("retained events taken from another node", metadata: [
                        "realm": "\(LogText.quoted(realm.name))", "fromSlot": "\(slot)", "events": "\(filled)",
                    ])
                }
                return filled
            case .failed(let why):
                failures.append("slot \(slot): \(why)")
            }
        }
        if !failures.isEmpty {
            node.logger.warning("no node gave its retained events: get_retained here has only those published from now on", metadata: [
                "realm": "\(LogText.quoted(realm.name))", "why": "\(failures.joined(separator: "; "))",
            ])
        }
        return nil
    }

    func fetchRetained(from slot: Int) async -> RetainedSnapshotFetch.Outcome {
        let connection = node.connection
        let eventLoop = connection.eventLoop
        let fetch = RetainedSnapshotFetch(
            broker: realm.broker, counters: node.counters, idleTimeout: ClusterNode.timeAmount(node.configuration.ackTimeout),
            maxEvents: realm.limits.maxRetainedTopics, eventLoop: eventLoop)
        let inbox = connection.newInbox()
        let subscription: NATSSubscription
        do {
            subscription = try connection.subscribe(inbox) { message in fetch.receive(message, on: eventLoop) }
        } catch {
            return .failed("\(error)")
        }
        let request = subjects.retainedSnapshots(slot)
        eventLoop.execute {
            fetch.start(on: eventLoop)
            do {
                try connection.publish(request, payload: ByteBuffer(), replyTo: inbox)
            } catch {
                fetch.fail(Self.describe(error))
            }
        }
        let outcome = (try? await fetch.result.get()) ?? .failed("the connection closed")
        connection.unsubscribe(subscription)
        return outcome
    }

    /// Another node asks for this node's retained events: each goes to its inbox as one message,
    /// oldest first, then an empty message ends the answer. A retained event too large for NATS
    /// is left out (it could not have crossed as a publication either) and counted.
    func answerRetainedSnapshot(_ message: NATSMessage) {
        guard let inbox = message.replyTo else { return }
        let connection = node.connection
        var tooLarge = 0
        for publication in realm.broker.retainedSnapshot(limit: realm.limits.maxRetainedTopics) {
            do {
                try connection.publish(inbox, payload: ClusterEventCodec.encode(publication))
            } catch NATSError.messageTooLarge {
                tooLarge += 1
            } catch {
                return  // not connected: the asker times out and tries another node
            }
        }
        try? connection.publish(inbox, payload: ByteBuffer())
        if tooLarge > 0 {
            node.logger.warning("retained events left out of a snapshot: larger than NATS max_payload", metadata: [
                "realm": "\(LogText.quoted(realm.name))", "events": "\(tooLarge)",
            ])
        }
    }
}
