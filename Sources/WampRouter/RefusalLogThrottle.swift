import Logging
import NIOCore
import Realm
import WampMessages

/// Logs a session's refused unacknowledged PUBLISHes (the spec gives such a publisher no answer,
/// so the log is the only trace) without letting a flood of them flood the log: the first one in
/// each interval is logged at info with how many were left out since the last line; the rest are
/// only counted.
struct RefusalLogThrottle {
    static let interval = TimeAmount.seconds(1)

    private var windowStart: NIODeadline?
    private var suppressed = 0

    mutating func refused(request: WampID, why: String, logger: Logger, now: NIODeadline = .now()) {
        if let windowStart, now - windowStart < Self.interval {
            suppressed += 1
            return
        }
        logger.info("unacknowledged PUBLISH refused", metadata: [
            "request": "\(request)", "why": "\(LogText.quoted(why))", "suppressedSinceLast": "\(suppressed)",
        ])
        windowStart = now
        suppressed = 0
    }
}
