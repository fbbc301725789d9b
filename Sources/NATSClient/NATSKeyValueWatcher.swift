import Foundation
import NIOCore

/// A watch on a bucket: an ephemeral ordered push consumer (deliver_policy last_per_subject,
/// ack none, flow control and idle heartbeats on) delivering to an inbox of its own.
///
/// "Ordered": the consumer sequence in each delivery's reply subject must grow by one. On a
/// gap (a message lost, e.g. over a reconnect) the watcher deletes that consumer and makes a
/// new one, on a fresh inbox, starting after the last stream sequence it delivered, so its
/// caller sees every change once and in order. A consumer that is gone altogether (the server
/// restarted, or removed an ephemeral consumer while the client was away) sends nothing at all,
/// not even heartbeats: a watchdog replaces it the same way after two heartbeat intervals of
/// silence. State lives on the connection's event loop.
public final class NATSKeyValueWatcher: @unchecked Sendable {
    public enum Event: Sendable, Equatable {
        case entry(NATSKeyValueEntry)
        /// Every key's entry as of the watch's start has been delivered; changes follow.
        case initialValuesDone
    }

    private let kv: NATSKeyValue
    private let filter: String
    private let headersOnly: Bool
    private let onEvent: @Sendable (Event) -> Void
    private let idleHeartbeat: TimeAmount
    private var connection: NATSConnection { kv.api.connection }

    // Event-loop confined.
    private(set) var subscription: NATSSubscription?
    private(set) var consumerName: String?
    private var lastConsumerSequence: UInt64 = 0
    private var lastStreamSequence: UInt64 = 0
    private var initialDone = false
    private var resyncing = false
    private var stopped = false
    private var lastActivity = NIODeadline.now()
    private var watchdog: RepeatedTask?

    /// The idle heartbeat asked of the server (also how often flow control may be requested),
    /// and so how soon a lost consumer is noticed: after twice this.
    static let idleHeartbeat = TimeAmount.seconds(5)

    init(kv: NATSKeyValue, filter: String, headersOnly: Bool = false, idleHeartbeat: TimeAmount = NATSKeyValueWatcher.idleHeartbeat,
         onEvent: @escaping @Sendable (Event) -> Void) {
        self.kv = kv
        self.filter = filter
        self.headersOnly = headersOnly
        self.idleHeartbeat = idleHeartbeat
        self.onEvent = onEvent
    }

    /// Creates the first consumer and starts the watchdog.
    func start() async throws {
        try await createConsumer(startAfter: nil)
        try await connection.eventLoop.submit {
            guard !self.stopped else { return }
            self.watchdog = self.connection.eventLoop.scheduleRepeatedTask(initialDelay: self.idleHeartbeat, delay: self.idleHeartbeat) { _ in
                self.checkActivity()
            }
        }.get()
    }

    private func checkActivity() {
        guard !stopped, !resyncing, NIODeadline.now() - lastActivity > idleHeartbeat * 2 else { return }
        resync()
    }

    /// Deletes the consumer and ends the subscription; no events after it returns.
    public func stop() async {
        let name: String? = try? await connection.eventLoop.submit { () -> String? in
            self.stopped = true
            self.watchdog?.cancel()
            self.watchdog = nil
            if let subscription = self.subscription { self.connection.unsubscribe(subscription) }
            self.subscription = nil
            return self.consumerName
        }.get()
        if let name { _ = try? await kv.api.call("CONSUMER.DELETE.\(kv.streamName).\(name)") }
    }

    private func createConsumer(startAfter sequence: UInt64?) async throws {
        let deliverSubject = connection.newInbox()
        let subscription = try connection.subscribe(deliverSubject) { [self] message in
            self.receive(message, on: deliverSubject)
        }
        let started = try await connection.eventLoop.submit { () -> Bool in
            guard !self.stopped else { return false }
            self.subscription = subscription
            self.lastConsumerSequence = 0
            return true
        }.get()
        guard started else {
            connection.unsubscribe(subscription)
            return
        }
        var config: [String: Any] = [
            "deliver_subject": deliverSubject,
            "ack_policy": "none",
            "filter_subject": filter,
            "flow_control": true,
            "idle_heartbeat": idleHeartbeat.nanoseconds,
            "headers_only": headersOnly,
            "replay_policy": "instant",
            "mem_storage": true,
            "num_replicas": 1,
        ]
        if let sequence {
            config["deliver_policy"] = "by_start_sequence"
            config["opt_start_seq"] = sequence + 1
        } else {
            config["deliver_policy"] = "last_per_subject"
        }
        let answer: [String: Any]
        do {
            answer = try await kv.api.call(
                "CONSUMER.CREATE.\(kv.streamName)", ["stream_name": kv.streamName, "config": config])
        } catch {
            // A resync retries on a new inbox; this one must not stay subscribed.
            connection.unsubscribe(subscription)
            throw error
        }
        let name = answer["name"] as? String
        let pending = (answer["num_pending"] as? NSNumber)?.uint64Value ?? 1
        // A consumer made for a watch that was stopped, or resynced again, while it was being made
        // is nobody's: its subscription would hold the server's interest, and so the consumer,
        // for as long as the connection lives.
        let orphaned = try await connection.eventLoop.submit { () -> Bool in
            guard self.subscription == subscription else { return true }
            self.consumerName = name
            self.resyncing = false
            self.lastActivity = .now()
            // Nothing to deliver: the initial values are "all" of none.
            if pending == 0, self.lastConsumerSequence == 0 { self.finishInitial() }
            return false
        }.get()
        if orphaned {
            connection.unsubscribe(subscription)
            if let name { _ = try? await kv.api.call("CONSUMER.DELETE.\(kv.streamName).\(name)") }
        }
    }

    func receive(_ message: NATSMessage, on deliverSubject: String) {
        guard !stopped, subscription?.subject == deliverSubject else { return }
        lastActivity = .now()
        if message.status == 100 {
            // Flow control asks for an empty reply; a heartbeat may name a stalled consumer's subject.
            if let replyTo = message.replyTo { try? connection.publish(replyTo, payload: ByteBuffer()) }
            if let stalled = message.headers?["Nats-Consumer-Stalled"] { try? connection.publish(stalled, payload: ByteBuffer()) }
            if let last = message.headers?["Nats-Last-Consumer"].flatMap(UInt64.init), last != lastConsumerSequence {
                resync()
                return
            }
            // An idle heartbeat (not a flow-control request) means the consumer has nothing left to
            // deliver. The initial values may still be waiting for a message whose pending count is
            // 0: that message never comes when the stream was purged after the consumer counted
            // what it would deliver (the delete-marker sweep does that).
            // A stalled consumer (flow control unanswered) still has messages to deliver.
            if message.replyTo == nil, message.headers?["Nats-Consumer-Stalled"] == nil { finishInitial() }
            return
        }
        guard let replyTo = message.replyTo, let metadata = Self.ackMetadata(replyTo) else { return }
        guard metadata.consumerSequence == lastConsumerSequence + 1 else {
            resync()
            return
        }
        lastConsumerSequence = metadata.consumerSequence
        lastStreamSequence = metadata.streamSequence
        guard message.subject.hasPrefix(kv.subjectPrefix) else { return }
        let key = String(message.subject.dropFirst(kv.subjectPrefix.count))
        onEvent(.entry(NATSKeyValueEntry(
            key: key, value: message.payload, revision: metadata.streamSequence,
            operation: NATSKeyValueEntry.operation(of: message.headers), created: metadata.timestamp)))
        if metadata.pending == 0 { finishInitial() }
    }

    private func finishInitial() {
        guard !initialDone else { return }
        initialDone = true
        onEvent(.initialValuesDone)
    }

    private func resync() {
        guard !resyncing, !stopped else { return }
        resyncing = true
        if let subscription { connection.unsubscribe(subscription) }
        subscription = nil
        let old = consumerName
        consumerName = nil
        let after = lastStreamSequence
        Task {
            if let old { _ = try? await self.kv.api.call("CONSUMER.DELETE.\(self.kv.streamName).\(old)") }
            // Retried until it works or the watch is stopped: a watch that silently ends would
            // leave its caller with a stale view.
            while !(try await self.connection.eventLoop.submit { self.stopped }.get()) {
                do {
                    try await self.createConsumer(startAfter: after)
                    return
                } catch {
                    try await Task.sleep(nanoseconds: 250_000_000)
                }
            }
        }
    }

    /// The numbers in a JetStream delivery's reply subject:
    /// `$JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>`,
    /// or the newer form with domain and account hash before the stream (and a token after).
    /// `<time>` is the stored message's timestamp, nanoseconds since 1970.
    static func ackMetadata(_ subject: String)
        -> (streamSequence: UInt64, consumerSequence: UInt64, pending: UInt64, timestamp: UInt64)?
    {
        let tokens = subject.split(separator: ".", omittingEmptySubsequences: false)
        guard tokens.count >= 9, tokens[0] == "$JS", tokens[1] == "ACK" else { return nil }
        let base = tokens.count == 9 ? 2 : 4
        guard tokens.count >= base + 7,
            let stream = UInt64(tokens[base + 3]), let consumer = UInt64(tokens[base + 4]),
            let timestamp = UInt64(tokens[base + 5]), let pending = UInt64(tokens[base + 6])
        else { return nil }
        return (stream, consumer, pending, timestamp)
    }
}
