import NIOConcurrencyHelpers

/// Process-wide RawSocket counters (for logs or a metrics endpoint).
public enum RawSocketMetrics {
    struct Counters: Sendable {
        var messagesDiscardedAfterClose = 0
        var oversizedMessagesDropped = 0
        var backlogOverflowClosures = 0
        var handshakeTimeouts = 0
        var handshakeFailures = 0
        var connectionsRefused = 0
        var protocolFailures = 0
        var ratePauses = 0
    }

    private static let counters = NIOLockedValueBox(Counters())

    /// Messages passed to `send` after the connection started closing (discarded).
    public static var messagesDiscardedAfterClose: Int { self.counters.withLockedValue { $0.messagesDiscardedAfterClose } }
    /// Messages longer than the peer's announced maximum that reached the transport (dropped).
    public static var oversizedMessagesDropped: Int { self.counters.withLockedValue { $0.oversizedMessagesDropped } }
    /// Connections closed because their outbound backlog went past the bound.
    public static var backlogOverflowClosures: Int { self.counters.withLockedValue { $0.backlogOverflowClosures } }
    /// Connections closed for not completing the 4-octet handshake in time.
    public static var handshakeTimeouts: Int { self.counters.withLockedValue { $0.handshakeTimeouts } }
    /// Handshakes failed or answered with an error code (the connection limit's are below).
    public static var handshakeFailures: Int { self.counters.withLockedValue { $0.handshakeFailures } }
    /// Connections answered error 4: the listener was at its connection limit.
    public static var connectionsRefused: Int { self.counters.withLockedValue { $0.connectionsRefused } }
    /// Connections failed for a bad frame (too long, reserved bits or type).
    public static var protocolFailures: Int { self.counters.withLockedValue { $0.protocolFailures } }
    /// Times reading from a peer paused because it was over `maxMessageRate`.
    public static var ratePauses: Int { self.counters.withLockedValue { $0.ratePauses } }

    static func recordDiscarded(_ count: Int) { self.counters.withLockedValue { $0.messagesDiscardedAfterClose += count } }
    static func recordOversizedDropped() { self.counters.withLockedValue { $0.oversizedMessagesDropped += 1 } }
    static func recordBacklogOverflow() { self.counters.withLockedValue { $0.backlogOverflowClosures += 1 } }
    static func recordHandshakeTimeout() { self.counters.withLockedValue { $0.handshakeTimeouts += 1 } }
    static func recordHandshakeFailure() { self.counters.withLockedValue { $0.handshakeFailures += 1 } }
    static func recordConnectionRefused() { self.counters.withLockedValue { $0.connectionsRefused += 1 } }
    static func recordProtocolFailure() { self.counters.withLockedValue { $0.protocolFailures += 1 } }
    static func recordRatePause() { self.counters.withLockedValue { $0.ratePauses += 1 } }
}
