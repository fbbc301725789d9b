import NATSClient
import NIOConcurrencyHelpers

/// Acknowledged publications (and new subscription interests) waiting for NATS to confirm what
/// was sent before them. Flushes are coalesced: one PING answers every waiter queued before it
/// was sent, so a burst of acknowledged publications costs one round trip, not one each. At most
/// `limit` waiters; one more is refused at once (`ClusterError.tooManyPendingFlushes`), so a
/// NATS server that reads slowly cannot grow the node's memory without bound.
final class ClusterFlushes: Sendable {
    private struct State {
        var waiters: [@Sendable (Error?) -> Void] = []
        var flushing = false
    }

    private let connection: NATSConnection
    private let limit: Int
    private let state = NIOLockedValueBox(State())

    init(connection: NATSConnection, limit: Int) {
        self.connection = connection
        self.limit = limit
    }

    /// Calls `done` once the server has everything sent before this call (nil) or with the error.
    func afterFlush(_ done: @escaping @Sendable (Error?) -> Void) {
        enum Step { case start, wait, refuse }
        let step = state.withLockedValue { state -> Step in
            guard state.waiters.count < limit else { return .refuse }
            state.waiters.append(done)
            guard !state.flushing else { return .wait }
            state.flushing = true
            return .start
        }
        switch step {
        case .start: flushRound()
        case .wait: break
        case .refuse: done(ClusterError.tooManyPendingFlushes(limit: limit))
        }
    }

    private func flushRound() {
        let waiters = state.withLockedValue { state -> [@Sendable (Error?) -> Void] in
            defer { state.waiters = [] }
            return state.waiters
        }
        Task {
            var failure: Error?
            do { try await connection.flush() } catch { failure = error }
            for waiter in waiters { waiter(failure) }
            let again = state.withLockedValue { state -> Bool in
                if state.waiters.isEmpty {
                    state.flushing = false
                    return false
                }
                return true
            }
            if again { flushRound() }
        }
    }
}
