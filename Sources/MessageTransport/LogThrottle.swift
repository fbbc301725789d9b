import NIOCore

/// "At most one log line per interval, saying how many events it stands for": how a flood a
/// peer can cause (refused connections, refused publications) is reported without flooding the
/// log. A value; the owner keeps it where its events happen (a loop, or behind a lock).
package struct LogThrottle: Sendable {
    package let interval: TimeAmount
    private var lastLine = NIODeadline.distantPast
    private var unreported = 0

    package init(interval: TimeAmount = .seconds(1)) {
        self.interval = interval
    }

    /// Counts one event. Returns the number of events (this one included) the caller should log
    /// now, or nil when the event only joins the count for the next line.
    package mutating func note(now: NIODeadline) -> Int? {
        self.unreported += 1
        guard now - self.lastLine >= self.interval else { return nil }
        defer { (self.lastLine, self.unreported) = (now, 0) }
        return self.unreported
    }
}
