import NIOConcurrencyHelpers

/// Process-wide WebSocket counters (read them for logs or a metrics endpoint).
public enum WebSocketMetrics {
    struct Counters: Sendable {
        var backlogOverflowClosures = 0
        var messagesDiscardedAfterClose = 0
        var backpressurePauses = 0
        var handshakeTimeouts = 0
        var pingTimeouts = 0
        var connectionsRefused = 0
        var ratePauses = 0
        var originsRefused = 0
        var pathsRefused = 0
    }

    private static let counters = NIOLockedValueBox(Counters())

    /// Connections closed because their outbound backlog went past `maxBacklogBytes`.
    public static var backlogOverflowClosures: Int {
        self.counters.withLockedValue { $0.backlogOverflowClosures }
    }

    /// Messages passed to `send` after the closing handshake started (discarded).
    public static var messagesDiscardedAfterClose: Int {
        self.counters.withLockedValue { $0.messagesDiscardedAfterClose }
    }

    /// Times reading from a peer paused because its outbound backlog passed the high-water mark.
    public static var backpressurePauses: Int {
        self.counters.withLockedValue { $0.backpressurePauses }
    }

    static func recordBackpressurePause() {
        self.counters.withLockedValue { $0.backpressurePauses += 1 }
    }

    /// Connections closed because they had not upgraded within the handshake timeout.
    public static var handshakeTimeouts: Int {
        self.counters.withLockedValue { $0.handshakeTimeouts }
    }

    static func recordHandshakeTimeout() {
        self.counters.withLockedValue { $0.handshakeTimeouts += 1 }
    }

    /// Connections dropped because they did not answer an auto-ping in time.
    public static var pingTimeouts: Int {
        self.counters.withLockedValue { $0.pingTimeouts }
    }

    static func recordPingTimeout() {
        self.counters.withLockedValue { $0.pingTimeouts += 1 }
    }

    /// TCP connections answered 503 because the server was at its connection limit.
    public static var connectionsRefused: Int {
        self.counters.withLockedValue { $0.connectionsRefused }
    }

    static func recordConnectionRefused() {
        self.counters.withLockedValue { $0.connectionsRefused += 1 }
    }

    /// Times reading from a peer paused because it was over its message rate.
    public static var ratePauses: Int {
        self.counters.withLockedValue { $0.ratePauses }
    }

    static func recordRatePause() {
        self.counters.withLockedValue { $0.ratePauses += 1 }
    }

    static func recordBacklogOverflow() {
        self.counters.withLockedValue { $0.backlogOverflowClosures += 1 }
    }

    static func recordDiscarded(_ count: Int = 1) {
        self.counters.withLockedValue { $0.messagesDiscardedAfterClose += count }
    }

    /// Upgrade requests answered 403 because their `Origin` is not allowed.
    public static var originsRefused: Int {
        self.counters.withLockedValue { $0.originsRefused }
    }

    static func recordOriginRefused() {
        self.counters.withLockedValue { $0.originsRefused += 1 }
    }

    /// Upgrade requests answered 404 because they asked for another path than `webSocketPath`.
    public static var pathsRefused: Int {
        self.counters.withLockedValue { $0.pathsRefused }
    }

    static func recordPathRefused() {
        self.counters.withLockedValue { $0.pathsRefused += 1 }
    }
}
