import NATSClient
import NIOCore
import Realm

/// One request for another node's retained events, as its answer streams in on an inbox: one
/// message per event (`ClusterEventCodec`), then an empty message. Event-loop confined (the
/// connection's loop, where the inbox's messages arrive).
///
/// A stream rather than one reply, because a node's store (bounded by `--max-retained-bytes`,
/// 64 MiB by default) can be far larger than NATS's `max_payload`.
final class RetainedSnapshotFetch: @unchecked Sendable {
    enum Outcome: Equatable {
        /// The whole snapshot came; this many events were taken (topics this node had none for).
        case complete(filled: Int)
        /// Nothing came for the idle timeout, nobody listens on the node's subject, the answer
        /// was longer than the bound, or the connection failed.
        case failed(String)
    }

    private let broker: Broker
    private let counters: ClusterCounters
    private let idleTimeout: TimeAmount
    private let maxEvents: Int
    private let promise: EventLoopPromise<Outcome>
    private var received = 0
    private var filled = 0
    private var timer: Scheduled<Void>?
    private var finished = false

    var result: EventLoopFuture<Outcome> { promise.futureResult }

    init(broker: Broker, counters: ClusterCounters, idleTimeout: TimeAmount, maxEvents: Int, eventLoop: any EventLoop) {
        self.broker = broker
        self.counters = counters
        self.idleTimeout = idleTimeout
        self.maxEvents = maxEvents
        self.promise = eventLoop.makePromise()
    }

    /// Starts the idle timer; call on the event loop, before the request goes out.
    func start(on eventLoop: any EventLoop) { armTimer(on: eventLoop) }

    func receive(_ message: NATSMessage, on eventLoop: any EventLoop) {
        guard !finished else { return }
        if message.status == 503 { return finish(.failed("no node listens for snapshots there")) }
        guard message.status == nil else { return }
        if message.payload.readableBytes == 0 { return finish(.complete(filled: filled)) }
        received += 1
        guard received <= maxEvents else {
            return finish(.failed("the answer passed \(maxEvents) events, this node's --max-retained-topics"))
        }
        if let publication = try? ClusterEventCodec.decode(message.payload), publication.retain {
            if broker.fillRetained(publication) {
                filled += 1
                counters.retainedFilled.wrappingAdd(1, ordering: .relaxed)
            }
        } else {
            counters.malformedEvents.wrappingAdd(1, ordering: .relaxed)
        }
        armTimer(on: eventLoop)
    }

    /// Call on the event loop.
    func fail(_ why: String) { finish(.failed(why)) }

    private func armTimer(on eventLoop: any EventLoop) {
        timer?.cancel()
        let milliseconds = idleTimeout.nanoseconds / 1_000_000
        timer = eventLoop.scheduleTask(in: idleTimeout) { [weak self] in
            self?.finish(.failed("nothing came for \(milliseconds) ms"))
        }
    }

    private func finish(_ outcome: Outcome) {
        guard !finished else { return }
        finished = true
        timer?.cancel()
        timer = nil
        promise.succeed(outcome)
    }
}
