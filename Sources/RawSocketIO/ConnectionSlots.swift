import Logging
import MessageTransport
import NIOCore
import Synchronization

/// Counts a listener's open connections and says whether one more fits. Refusals are counted in
/// `RawSocketMetrics` and logged at most once a second with how many there were since.
final class ConnectionSlots: Sendable {
    let limit: Int
    private let open = Atomic<Int>(0)
    private let refusalLog = Mutex(LogThrottle())
    private let logger: Logger

    init(limit: Int, logger: Logger) {
        self.limit = limit
        self.logger = logger
    }

    var openConnections: Int { self.open.load(ordering: .relaxed) }

    /// True (and the slot is released when the channel closes) when under the limit.
    func admit(_ channel: any Channel) -> Bool {
        if self.open.wrappingAdd(1, ordering: .relaxed).newValue > self.limit {
            self.open.wrappingSubtract(1, ordering: .relaxed)
            if let due = self.refusalLog.withLock({ $0.note(now: .now()) }) {
                self.logger.warning("refused RawSocket connections past the connection limit (error 4; on TLS closed unanswered)",
                                    metadata: ["refused": "\(due)", "maxConnections": "\(self.limit)"])
            }
            return false
        }
        channel.closeFuture.whenComplete { _ in self.open.wrappingSubtract(1, ordering: .relaxed) }
        return true
    }
}
