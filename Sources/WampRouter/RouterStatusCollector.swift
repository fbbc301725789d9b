import AdminHTTP
import Foundation
import NIOCore
import Realm
import Synchronization
import WampMessages

/// Gathers what the admin listener shows: the status snapshot, the last minute's rates (sampled
/// once a second) and `/health`'s inputs. Made before the WAMP listeners start, so `/health` can
/// say "starting".
///
/// Per-connection figures (messages received, unsent bytes) live on each connection's loop:
/// one task per loop reads all of that loop's connections, instead of an atomic per message on
/// the hot path. A loop that does not answer within `gatherBound` is left out of that sample.
final class RouterStatusCollector: Sendable {
    let context: RouterContext
    let loops: [any EventLoop]
    /// WAMP listeners up (for `/health`).
    let listenersUp = Atomic<Int>(0)
    /// A running total of messages sent, when something counts them (the metrics' totals);
    /// without it the page draws no "messages out" chart.
    let messagesSentTotal: (@Sendable () -> Int)?
    private let rates = Mutex(Rates())
    private let sampling = Mutex<RepeatedTask?>(nil)

    /// Entries of each list (sessions, registrations, subscriptions) in one snapshot at most;
    /// the page says "showing N of M" past it.
    static let maxListed = 500
    /// How long a loop may take to report its connections' figures.
    static let gatherBound = TimeAmount.milliseconds(500)

    struct Rates {
        var messagesIn = RateRing()
        var messagesOut = RateRing()
        var sessions = RateRing()
        var errors = RateRing()
    }

    init(context: RouterContext, loops: [any EventLoop], messagesSentTotal: (@Sendable () -> Int)?) {
        self.context = context
        self.loops = loops
        self.messagesSentTotal = messagesSentTotal
    }

    var healthState: AdminHealthState {
        let phase = context.health.phase
        return AdminHealthState(phase: phase.description, isServing: phase == .serving, listeners: listenersUp.load(ordering: .relaxed),
                                cluster: context.cluster.map { $0.isConnected ? "connected" : "disconnected" })
    }

    func sources(metrics: @escaping @Sendable () -> String?, loopBound: TimeAmount, responder: any EventLoop) -> AdminSources {
        AdminSources(metrics: metrics, health: { self.healthState }, statusJSON: { self.statusJSON(on: responder) },
                     eventLoops: loops, loopBound: loopBound)
    }

    // MARK: Sampling

    /// Samples the rates once a second on `loop` until `stopSampling()`; a second call (the
    /// admin listener and a `web` transport's status path both serve the page) changes nothing.
    func startSampling(on loop: any EventLoop) {
        sampling.withLock { sampling in
            guard sampling == nil else { return }
            sampling = loop.scheduleRepeatedAsyncTask(initialDelay: .zero, delay: .seconds(1)) { _ in
                self.sample(on: loop)
            }
        }
    }

    func stopSampling() {
        sampling.withLock { $0?.cancel(); $0 = nil }
    }

    func sample(on loop: any EventLoop) -> EventLoopFuture<Void> {
        gatherLiveFigures(on: loop).map { figures in
            let received = self.context.messagesReceivedByClosed.load(ordering: .relaxed)
                + figures.values.reduce(0) { $0 + $1.messagesReceived }
            let sessions = self.context.realms.realmNames.reduce(0) { $0 + (self.context.realms.realm(named: $1)?.sessionCount ?? 0) }
            let errors = self.context.recentErrors.total
            let sent = self.messagesSentTotal?()
            self.rates.withLock { rates in
                rates.messagesIn.sample(total: received)
                if let sent { rates.messagesOut.sample(total: sent) }
                rates.sessions.record(sessions)
                rates.errors.sample(total: errors)
            }
        }
    }

    /// Each open connection's on-loop figures, by connection; loops that do not answer in time
    /// are missing from the result.
    func gatherLiveFigures(on responder: any EventLoop) -> EventLoopFuture<[ObjectIdentifier: (messagesReceived: Int, unsentBytes: Int)]> {
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, sessions: [WampSession])] = [:]
        for session in context.openConnections {
            let loop = session.eventLoop
            byLoop[ObjectIdentifier(loop), default: (loop, [])].sessions.append(session)
        }
        let gathered = PartialGather(expected: byLoop.count)
        let promise = responder.makePromise(of: [ObjectIdentifier: (messagesReceived: Int, unsentBytes: Int)].self)
        guard !byLoop.isEmpty else {
            promise.succeed([:])
            return promise.futureResult
        }
        let timer = responder.scheduleTask(in: Self.gatherBound) { gathered.finish(promise) }
        for (loop, sessions) in byLoop.values {
            loop.submit { sessions.map { (ObjectIdentifier($0), $0.liveFigures) } }.hop(to: responder).whenSuccess { figures in
                for (id, figure) in figures { gathered.figures[id] = figure }
                gathered.answered += 1
                if gathered.answered == gathered.expected {
                    timer.cancel()
                    gathered.finish(promise)
                }
            }
        }
        return promise.futureResult
    }

    // MARK: Snapshot

    func statusJSON(on responder: any EventLoop) -> EventLoopFuture<ByteBuffer> {
        snapshot(on: responder).flatMapThrowing { status in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            return ByteBuffer(bytes: try encoder.encode(status))
        }
    }

    func snapshot(on responder: any EventLoop) -> EventLoopFuture<RouterStatus> {
        gatherLiveFigures(on: responder).map { figures in self.snapshot(figures: figures) }
    }

    func snapshot(figures: [ObjectIdentifier: (messagesReceived: Int, unsentBytes: Int)]) -> RouterStatus {
        let now = NIODeadline.now()
        var totals = RouterStatus.Totals(sessions: 0, registrations: 0, subscriptions: 0, pending_calls: 0)
        var realms: [RouterStatus.RealmFigures] = []
        var sessions: [RouterStatus.Session] = []
        var registrations: [RouterStatus.RegistrationEntry] = []
        var subscriptions: [RouterStatus.SubscriptionEntry] = []
        for name in context.realms.realmNames {
            guard let realm = context.realms.realm(named: name) else { continue }
            let members = realm.allSessions
            let registered = realm.dealer.registrationOverview(limit: Self.maxListed - registrations.count)
            let subscribed = realm.broker.subscriptionOverview(limit: Self.maxListed - subscriptions.count)
            let pending = realm.dealer.pendingCallCount
            realms.append(RouterStatus.RealmFigures(name: name, sessions: members.count, registrations: registered.total,
                                                    subscriptions: subscribed.total, pending_calls: pending))
            totals.sessions += members.count
            totals.registrations += registered.total
            totals.subscriptions += subscribed.total
            totals.pending_calls += pending
            for member in members.sorted(by: { $0.id < $1.id }) where sessions.count < Self.maxListed {
                let connection = member.peer as? WampSession
                let live = connection.flatMap { figures[ObjectIdentifier($0)] }
                sessions.append(RouterStatus.Session(
                    id: member.id, realm: name, authid: member.authid, authrole: member.authrole, authmethod: member.authmethod,
                    transport: connection?.transportKind ?? "internal", secure: connection?.transportIsSecure ?? false,
                    serializer: member.peer.serialization.configName,
                    age_seconds: connection.map { Int((now - $0.openedAt).nanoseconds / 1_000_000_000) } ?? 0,
                    backlog_bytes: live?.unsentBytes ?? 0, messages_in: live?.messagesReceived ?? 0))
            }
            for entry in registered.entries.sorted(by: { $0.procedure < $1.procedure }) {
                registrations.append(RouterStatus.RegistrationEntry(realm: name, id: entry.id, uri: entry.procedure, match: entry.match.rawValue,
                                                                    invoke: entry.invoke.rawValue, callees: entry.callees))
            }
            for entry in subscribed.entries.sorted(by: { $0.topic < $1.topic }) {
                subscriptions.append(RouterStatus.SubscriptionEntry(realm: name, id: entry.id, uri: entry.topic, match: entry.match.rawValue,
                                                                    subscribers: entry.subscribers))
            }
        }
        let rates = self.rates.withLock { rates in
            RouterStatus.Rates(messages_in: rates.messagesIn.values, messages_out: messagesSentTotal == nil ? nil : rates.messagesOut.values,
                               sessions: rates.sessions.values, errors: rates.errors.values)
        }
        return RouterStatus(
            agent: RouterContext.agent, phase: context.health.phase.description,
            generated: UTCTimestamp.format(millisecondsSince1970: Int64(Date().timeIntervalSince1970 * 1000)),
            uptime_seconds: Int((now - context.startedAt).nanoseconds / 1_000_000_000),
            totals: totals, realms: realms, sessions: sessions, registrations: registrations, subscriptions: subscriptions,
            rates: rates, errors: context.recentErrors.entries, errors_total: context.recentErrors.total)
    }
}

/// Touched only on the responder's loop (every callback hops there first).
private final class PartialGather: @unchecked Sendable {
    let expected: Int
    var answered = 0
    var figures: [ObjectIdentifier: (messagesReceived: Int, unsentBytes: Int)] = [:]
    private var finished = false

    init(expected: Int) { self.expected = expected }

    func finish(_ promise: EventLoopPromise<[ObjectIdentifier: (messagesReceived: Int, unsentBytes: Int)]>) {
        guard !finished else { return }
        finished = true
        promise.succeed(figures)
    }
}
