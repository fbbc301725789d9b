extension WampClient {
    /// Automatic reconnect, off unless passed to `connect`. On a lost transport (the network,
    /// a router restart, the session killed by the router) the client dials again with
    /// exponential backoff, joins the same realm with the same credentials, and re-registers
    /// and re-subscribes everything it had, with the same handlers. The IDs `register` and
    /// `subscribe` returned keep working for `unregister` and `unsubscribe`.
    ///
    /// Calls in flight when the transport goes fail with `WampClientError.connectionClosed`
    /// (WAMP cannot resume them: the new session is a different session), so nothing waits
    /// forever. Both the number of attempts and each wait are bounded.
    public struct ReconnectPolicy: Sendable {
        /// Dial attempts after one loss before giving up (then `ConnectionEvent.closed`).
        public var maxAttempts: Int
        /// Wait before the first attempt; doubled after each failure, up to `maxDelay`.
        public var initialDelay: Duration
        public var maxDelay: Duration

        public init(maxAttempts: Int = 10, initialDelay: Duration = .milliseconds(250), maxDelay: Duration = .seconds(10)) {
            self.maxAttempts = max(1, maxAttempts)
            self.initialDelay = max(.zero, initialDelay)
            self.maxDelay = max(self.initialDelay, maxDelay)
        }

        /// The wait before attempt `attempt` (1-based).
        func delay(beforeAttempt attempt: Int) -> Duration {
            var delay = initialDelay
            for _ in 1..<max(1, attempt) {
                delay = delay * 2
                if delay >= maxDelay { return maxDelay }
            }
            return min(delay, maxDelay)
        }
    }
}
