import Logging
import NIOCore
import Realm
import WampMessages
import WebSocketIO

/// Logs a session's refused unacknowledged PUBLISHes (the spec gives such a publisher no answer,
/// so the log is the only trace) without letting a flood of them flood the log: one info line
/// per second at most, saying how many were left out since the last one.
struct RefusalLogThrottle {
    private var throttle = LogThrottle(interval: .seconds(1))

    mutating func refused(request: WampID, why: String, logger: Logger, now: NIODeadline = .now()) {
        guard let count = throttle.note(now: now) else { return }
        logger.info("unacknowledged PUBLISH refused", metadata: [
            "request": "\(request)", "why": "\(LogText.quoted(why))", "suppressedSinceLast": "\(count - 1)",
        ])
    }
}
