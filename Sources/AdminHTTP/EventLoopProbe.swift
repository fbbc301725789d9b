import NIOCore

/// Asks every event loop to run a no-op task and reports which answered within a bound: a loop
/// that does not (a callback blocking it, a busy spin) makes `/health` answer 503 although the
/// listeners are up.
///
/// The bound runs on `responder`'s loop, which should not be one of the probed loops (the
/// admin listener has its own), or a stuck loop could hold the answer too.
public enum EventLoopProbe {
    /// How long each loop may take to run the no-op task (`--admin-loop-bound`'s default).
    public static let defaultBound = TimeAmount.seconds(1)

    public struct Result: Sendable, Equatable {
        public var loops: Int
        public var answered: Int
        public var allAnswered: Bool { self.answered == self.loops }
    }

    public static func probe(_ loops: [any EventLoop], bound: TimeAmount, on responder: any EventLoop) -> EventLoopFuture<Result> {
        guard !loops.isEmpty else { return responder.makeSucceededFuture(Result(loops: 0, answered: 0)) }
        let state = ProbeState(count: loops.count)
        let promise = responder.makePromise(of: Result.self)
        let timer = responder.scheduleTask(in: bound) {
            state.finish(promise)
        }
        for loop in loops {
            loop.submit {}.hop(to: responder).whenSuccess {
                state.answered += 1
                if state.answered == state.count {
                    timer.cancel()
                    state.finish(promise)
                }
            }
        }
        return promise.futureResult
    }
}

/// Touched only on the responder's loop (every callback hops there first).
private final class ProbeState: @unchecked Sendable {
    let count: Int
    var answered = 0
    var finished = false

    init(count: Int) { self.count = count }

    func finish(_ promise: EventLoopPromise<EventLoopProbe.Result>) {
        guard !self.finished else { return }
        self.finished = true
        promise.succeed(EventLoopProbe.Result(loops: self.count, answered: self.answered))
    }
}
