import NIOCore

/// What one connection's handler enforces on its peer beyond the message size: liveness,
/// fragments per message and message rate. The server builds it from its configuration; the
/// client side and the Autobahn testee use the defaults (nothing enforced).
struct WebSocketPeerLimits: Sendable {
    /// Ping a peer silent for `interval`; close one that stays silent `timeout` after the ping.
    var autoPing: (interval: TimeAmount, timeout: TimeAmount)? = nil
    /// Most frames one message may arrive in; nil: no limit.
    var maxFragments: Int? = nil
    /// Messages per second (token bucket, burst of as many); 0: no limit.
    var maxMessageRate: Int = 0

    init() {}

    init(_ configuration: WebSocketServerConfiguration) {
        if let interval = configuration.autoPingInterval {
            self.autoPing = (interval, configuration.autoPingTimeout)
        }
        self.maxFragments = configuration.maxFragments
        self.maxMessageRate = configuration.maxMessageRate
    }
}
