import Histogram
import NIOCore
import NIOPosix

/// Counters and the latency histogram of one event loop. Only touched on that loop, so the hot
/// path takes no lock; the controller reads a `Snapshot` through `loop.submit` at phase ends.
final class LoopStats: @unchecked Sendable {
    let loop: any EventLoop
    /// Work done counts toward the figures only while this is set.
    var measuring = false
    /// Senders start new work only while this is set.
    var running = false

    var completed = 0          // calls, delivered events, round trips, sessions
    var errors = 0
    var histogram = LoopStats.makeHistogram()

    init(loop: any EventLoop) { self.loop = loop }

    static func makeHistogram() -> Histogram<UInt64> {
        Histogram<UInt64>(lowestDiscernibleValue: 1_000, highestTrackableValue: 120_000_000_000, numberOfSignificantValueDigits: .three)
    }

    @inline(__always)
    func recordLatency(_ nanos: UInt64) {
        histogram.record(Swift.max(1_000, Swift.min(nanos, 120_000_000_000)))
    }

    struct Snapshot: Sendable {
        var completed = 0
        var errors = 0
        var histogram = LoopStats.makeHistogram()

        mutating func add(_ other: Snapshot) {
            completed += other.completed
            errors += other.errors
            histogram.add(other.histogram)
        }
    }

    func snapshot() -> Snapshot {
        Snapshot(completed: completed, errors: errors, histogram: histogram)
    }

    /// Clears the measured figures (errors keep counting across phases).
    func resetMeasured() {
        completed = 0
        histogram.reset()
    }
}

/// All loops of the generator with their stats.
final class LoopSet: Sendable {
    let group: MultiThreadedEventLoopGroup
    let stats: [LoopStats]

    init(threads: Int) {
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        var stats: [LoopStats] = []
        for loop in group.makeIterator() { stats.append(LoopStats(loop: loop)) }
        self.stats = stats
    }

    /// Loop and stats for the n-th connection (round robin).
    func slot(_ n: Int) -> LoopStats { stats[n % stats.count] }

    func onEveryLoop(_ body: @escaping @Sendable (LoopStats) -> Void) async throws {
        for s in stats {
            try await s.loop.submit { body(s) }.get()
        }
    }

    func startMeasuring() async throws {
        try await onEveryLoop { s in s.resetMeasured(); s.measuring = true }
    }

    func stopMeasuring() async throws -> LoopStats.Snapshot {
        var total = LoopStats.Snapshot()
        for s in stats {
            let snap = try await s.loop.submit { () -> LoopStats.Snapshot in
                s.measuring = false
                return s.snapshot()
            }.get()
            total.add(snap)
        }
        return total
    }

    func setRunning(_ running: Bool) async throws {
        try await onEveryLoop { s in s.running = running }
    }

    func totalErrors() async throws -> Int {
        var n = 0
        for s in stats { n += try await s.loop.submit { s.errors }.get() }
        return n
    }

    func shutdown() async {
        try? await group.shutdownGracefully()
    }
}

/// Waits for `future` at most `seconds`; nil on timeout.
func wait<T: Sendable>(_ future: EventLoopFuture<T>, seconds: Double) async -> T? {
    let loop = future.eventLoop
    let promise = loop.makePromise(of: T?.self)
    let timer = loop.scheduleTask(in: .nanoseconds(Int64(seconds * 1e9))) { promise.succeed(nil) }
    future.whenComplete { result in
        timer.cancel()
        switch result {
        case .success(let value): promise.succeed(value)
        case .failure: promise.succeed(nil)
        }
    }
    return try? await promise.futureResult.get()
}

func sleep(seconds: Double) async {
    try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
}
