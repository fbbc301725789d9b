import Logging
import MessageTransport
import NATSClient
import NIOConcurrencyHelpers
import NIOCore
import Realm

/// One realm's session meta API across the cluster (docs/cluster.md "Sessions and the meta
/// API"): the `SessionQueryCluster` its `wamp.session.count/list/get` use. A query is a request
/// to `wamp.node.<slot>.meta.<realm hex>` of every live node, in parallel; each node answers for
/// its own sessions. The wait is bounded by `--cluster-ack-timeout`; a node that does not answer
/// in time (or has no subscriber there) is named to the caller and logged, never left out silently.
public final class ClusterSessionQueries: SessionQueryCluster, @unchecked Sendable {
    /// What one node's answer may take below NATS's `max_payload` (the reply's own framing).
    static let replyAllowance = 512

    let realm: Realm
    let node: ClusterNode
    private let subjects: ClusterSubjects
    private let listening: SlotSubscriptions
    private let inFlight = NIOLockedValueBox(0)
    /// One warning per interval about partial answers: a dead node and a client polling
    /// `wamp.session.list` would otherwise make one line per query (the counter counts each).
    private let partialLog = NIOLockedValueBox(LogThrottle(interval: .seconds(10)))

    /// Starts answering other nodes' queries on this node's slot (and on the next one after a
    /// slot change).
    public init(realm: Realm, node: ClusterNode) {
        self.realm = realm
        self.node = node
        self.subjects = ClusterSubjects(realm: realm.name)
        self.listening = SlotSubscriptions(connection: node.connection)
        listen(slot: node.slot)
        node.whenSlotChanged { [weak self] slot in self?.listen(slot: slot) }
    }

    /// Stops answering: other nodes then name this one in their answers' `partial` (tests use it
    /// to stand for a node that does not answer in time).
    public func stopAnswering() {
        listening.stop()
    }

    private func listen(slot: Int) {
        let subject = subjects.metaQueries(slot)
        do {
            try listening.listen(slot: slot, [(subject, { @Sendable [weak self] message in self?.answer(message) })])
        } catch {
            node.logger.error("cluster subscription refused", metadata: ["subject": "\(LogText.quoted(subject))", "error": "\(error)"])
        }
    }

    private func answer(_ message: NATSMessage) {
        guard let reply = message.replyTo else { return }
        let maxBytes = min(realm.limits.maxAnswerBytes, node.connection.maxPayload - Self.replyAllowance)
        guard let text = realm.answerSessionQuery(String(buffer: message.payload), maxBytes: maxBytes) else {
            // The asking node names this one as not answering; the log says why.
            node.logger.warning("a session meta query that does not parse was not answered", metadata: [
                "subject": "\(LogText.quoted(message.subject))", "bytes": "\(message.payload.readableBytes)",
            ])
            return
        }
        do {
            try node.connection.publish(reply, payload: ByteBuffer(string: text))
        } catch {
            node.logger.warning("a session meta query's answer could not be sent", metadata: ["error": "\(ClusterPubSub.describe(error))"])
        }
    }

    // MARK: SessionQueryCluster

    public func gather(_ query: SessionQuery,
                       done: @escaping @Sendable (_ answers: [(node: String, answer: String)], _ silent: [String]) -> Void) -> Bool {
        let admitted = inFlight.withLockedValue { count -> Bool in
            // Each holds a NATS request per live node (NATS bounds those per connection too).
            guard count < node.configuration.maxMetaQueriesInFlight else { return false }
            count += 1
            return true
        }
        guard admitted else { return false }
        let nodes = node.liveNodes()
        guard !nodes.isEmpty else {
            inFlight.withLockedValue { $0 -= 1 }
            done([], [])
            return true
        }
        let payload = ByteBuffer(string: query.text)
        let timeout = ClusterNode.timeAmount(node.configuration.ackTimeout)
        let connection = node.connection
        let futures = nodes.map { member in
            connection.requestFuture(subjects.metaQueries(member.slot), payload: payload, timeout: timeout)
                .map { reply -> (String, String?) in (member.name, String(buffer: reply.payload)) }
                .recover { _ in (member.name, nil) }
        }
        EventLoopFuture.whenAllSucceed(futures, on: connection.eventLoop).whenComplete { [self] outcome in
            let results = (try? outcome.get()) ?? nodes.map { ($0.name, nil) }
            let answers = results.compactMap { name, text in text.map { (node: name, answer: $0) } }
            let silent = results.filter { $0.1 == nil }.map(\.0)
            inFlight.withLockedValue { $0 -= 1 }
            if !silent.isEmpty {
                node.counters.metaQueriesPartial.wrappingAdd(1, ordering: .relaxed)
                if let partials = partialLog.withLockedValue({ $0.note(now: .now()) }) {
                    let held = partials > 1 ? " (and \(partials - 1) more since the last such line, not logged)" : ""
                    node.logger.warning("cluster nodes did not answer a session meta query in time; the answer names them as partial\(held)",
                                        metadata: ["nodes": "\(silent)", "realm": "\(realm.name)", "suppressed": "\(partials - 1)"])
                }
            }
            done(answers, silent)
        }
        return true
    }
}
