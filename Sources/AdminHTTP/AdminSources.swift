import NIOCore

/// What the admin endpoints read, as closures, so this module knows nothing of the router: the
/// router (or a test) supplies them.
public struct AdminSources: Sendable {
    /// Prometheus text exposition (format 0.0.4); nil when metrics are off (`--no-metrics`),
    /// and `/metrics` answers 404 saying so.
    public var metrics: @Sendable () -> String?
    /// The router's phase and how many listeners are up.
    public var health: @Sendable () -> AdminHealthState
    /// The status snapshot as JSON (`/status.json`), completed on any loop.
    public var statusJSON: @Sendable () -> EventLoopFuture<ByteBuffer>
    /// The loops `/health` probes (the router's, not the admin listener's own).
    public var eventLoops: [any EventLoop]
    /// How long each loop may take to answer the probe.
    public var loopBound: TimeAmount

    public init(metrics: @escaping @Sendable () -> String?, health: @escaping @Sendable () -> AdminHealthState,
                statusJSON: @escaping @Sendable () -> EventLoopFuture<ByteBuffer>, eventLoops: [any EventLoop],
                loopBound: TimeAmount = EventLoopProbe.defaultBound) {
        self.metrics = metrics
        self.health = health
        self.statusJSON = statusJSON
        self.eventLoops = eventLoops
        self.loopBound = loopBound
    }
}

/// The router's life as `/health` reports it.
public struct AdminHealthState: Sendable, Equatable {
    /// "starting", "serving" or "draining".
    public var phase: String
    /// Only while serving can `/health` be 200.
    public var isServing: Bool
    /// WAMP listeners up.
    public var listeners: Int
    /// A cluster node's NATS link, "connected" or "disconnected" (then `/health` is 503); nil
    /// for a router that is not in a cluster (the field is left out).
    public var cluster: String?

    public init(phase: String, isServing: Bool, listeners: Int, cluster: String? = nil) {
        self.phase = phase
        self.isServing = isServing
        self.listeners = listeners
        self.cluster = cluster
    }
}
