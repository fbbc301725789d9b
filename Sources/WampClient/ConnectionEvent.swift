import WampMessages

extension WampClient {
    /// What happened to the client's connection, for apps that show it or react to it (see
    /// `connectionEvents()`). Without a reconnect policy the only event is `.closed`.
    public enum ConnectionEvent: Sendable, Equatable {
        /// The transport went away; the client is dialing again (reconnect policy set). Calls
        /// in flight have failed with `WampClientError.connectionClosed`; new ones fail the
        /// same way until `.rejoined`.
        case disconnected(attemptsAllowed: Int)
        /// Joined the realm again as a new session, with every procedure re-registered and
        /// every topic re-subscribed that the router accepted again.
        case rejoined(session: WampID)
        /// A procedure or topic the router refused to take back after a reconnect (say,
        /// another session registered the procedure meanwhile). Its handler is dropped.
        case restoreFailed(uri: String, error: String)
        /// Closed for good: `leave()`, `disconnect()`, the router ended the session without a
        /// reconnect policy, or the policy's attempts ran out.
        case closed
    }
}
