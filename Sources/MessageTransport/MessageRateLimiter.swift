import NIOCore

/// A token bucket for a peer's messages: `rate` tokens a second, holding at most `rate` (the
/// burst). A peer over it is not refused anything: the handler stops reading from it for the
/// time `take` returns, so its messages wait in its own socket buffer. Shared by the transports
/// (`--max-message-rate` applies to WebSocket and RawSocket connections alike).
package struct MessageRateLimiter: Sendable {
    package let rate: Double
    package private(set) var tokens: Double
    private var refilledAt: NIODeadline

    package init(rate: Int, now: NIODeadline) {
        precondition(rate > 0)
        self.rate = Double(rate)
        self.tokens = Double(rate)
        self.refilledAt = now
    }

    /// Takes the token of one message. Returns nil when the next message may be read now, or
    /// how long to stop reading until it may.
    package mutating func take(now: NIODeadline) -> TimeAmount? {
        let elapsed = Double((now - self.refilledAt).nanoseconds) / 1e9
        self.tokens = Swift.min(self.rate, self.tokens + Swift.max(0, elapsed) * self.rate)
        self.refilledAt = now
        self.tokens -= 1
        if self.tokens >= 1 { return nil }
        return .nanoseconds(Int64(((1 - self.tokens) / self.rate * 1e9).rounded(.up)))
    }
}
