import Logging
import NIOCore
import Synchronization

/// One server's log of refused upgrade requests of one kind (a disallowed `Origin`, a wrong
/// path): counted in `WebSocketMetrics` and logged at most once a second with how many there
/// were since the last line, so a page that retries in a loop cannot flood the log.
final class UpgradeRefusalLog: Sendable {
    enum Kind: Sendable {
        case origin
        case path
    }

    private let throttles = Mutex((origin: LogThrottle(), path: LogThrottle()))
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
    }

    func refused(_ kind: Kind, detail: String, remote: String) {
        let now = NIODeadline.now()
        switch kind {
        case .origin:
            WebSocketMetrics.recordOriginRefused()
            if let due = self.throttles.withLock({ $0.origin.note(now: now) }) {
                self.logger.warning("refused WebSocket upgrades from a disallowed Origin (HTTP 403)", metadata: [
                    "refused": "\(due)", "origin": "\(detail)", "ws.remote": "\(remote)",
                ])
            }
        case .path:
            WebSocketMetrics.recordPathRefused()
            if let due = self.throttles.withLock({ $0.path.note(now: now) }) {
                self.logger.info("refused WebSocket upgrades on a path other than the WebSocket path (HTTP 404)", metadata: [
                    "refused": "\(due)", "path": "\(detail)", "ws.remote": "\(remote)",
                ])
            }
        }
    }
}
