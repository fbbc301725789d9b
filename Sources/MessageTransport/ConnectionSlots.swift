import Logging
import NIOCore
import Synchronization

/// Counts a listener's open connections and says whether one more fits (`--max-connections`),
/// for every transport: each answers a refusal its own way (HTTP 503, RawSocket error 4).
/// Refusals are logged at most once a second, with how many there were since the last line, so
/// a connection flood cannot flood the log.
package final class ConnectionSlots: Sendable {
    package let limit: Int
    private let open = Atomic<Int>(0)
    private let refusalLog = Mutex(LogThrottle())
    private let logger: Logger
    /// The log line of a refusal, naming how the transport answers it.
    private let refusalMessage: Logger.Message

    package init(limit: Int, logger: Logger, refusalMessage: Logger.Message) {
        self.limit = limit
        self.logger = logger
        self.refusalMessage = refusalMessage
    }

    package var openConnections: Int { self.open.load(ordering: .relaxed) }

    /// True (and the slot is released when the channel closes) when under the limit; false
    /// (logged) when the caller must refuse `channel`.
    package func admit(_ channel: any Channel) -> Bool {
        if self.open.wrappingAdd(1, ordering: .relaxed).newValue > self.limit {
            self.open.wrappingSubtract(1, ordering: .relaxed)
            if let due = self.refusalLog.withLock({ $0.note(now: .now()) }) {
                self.logger.warning(self.refusalMessage, metadata: ["refused": "\(due)", "maxConnections": "\(self.limit)"])
            }
            return false
        }
        channel.closeFuture.whenComplete { _ in self.open.wrappingSubtract(1, ordering: .relaxed) }
        return true
    }
}
