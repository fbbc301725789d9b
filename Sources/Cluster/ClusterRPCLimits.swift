import NIOCore

/// The bounds of cross-node RPC, each with its default (README "Limits"; the router maps its
/// flags onto these). Nothing the cluster keeps grows past them.
public struct ClusterRPCLimits: Sendable, Equatable {
    /// Calls one callee of this node may have pending from one other node (all of that node's
    /// callers together); past it the caller gets `router.error.limit_exceeded`. Each caller is
    /// also bounded on its own node by `--max-pending-calls`.
    public var maxPendingInvocationsPerRemoteCaller = 10_000
    /// REGISTER/UNREGISTER/cleanup changes of the registration directory in flight on this node;
    /// past it a REGISTER or UNREGISTER gets `router.error.limit_exceeded`.
    public var maxDirectoryChangesInFlight = 1_000
    /// Compare-and-set attempts of one change before it gives up with
    /// `wamp.error.cluster_unavailable` (a key under heavy contention).
    public var maxCompareAndSetAttempts = 16
    /// How long one key-value request may take (JetStream API timeout).
    public var keyValueTimeout: TimeAmount = .seconds(2)
    /// How long a change waits for every live node's acknowledgement of its announcement
    /// (`--cluster-ack-timeout`); a node that does not answer is logged and counted, and the
    /// answer goes out (its liveness is the membership's to decide).
    public var ackTimeout: TimeAmount = .seconds(2)
    /// Bytes kept free under the NATS server's max_payload for the headers of a forwarded call.
    public var headerAllowance = 512
    /// Replicas of the registration bucket (`--cluster-kv-replicas`).
    public var keyValueReplicas = 1
    /// How long a node's copies of the directories remember a deleted key
    /// (`--cluster-tombstone-grace`; `KeyValueTombstones`).
    public var tombstoneGrace: TimeAmount = .minutes(5)

    public init() {}

    /// The node's `--cluster-ack-timeout`, `--cluster-max-remote-invocations`,
    /// `--cluster-max-directory-changes`, `--cluster-kv-replicas` and `--cluster-tombstone-grace`;
    /// the defaults for the rest.
    public init(_ configuration: ClusterConfiguration) {
        let (seconds, attoseconds) = configuration.ackTimeout.components
        ackTimeout = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        maxPendingInvocationsPerRemoteCaller = configuration.maxRemoteInvocationsPerCaller
        maxDirectoryChangesInFlight = configuration.maxDirectoryChangesInFlight
        keyValueReplicas = configuration.keyValueReplicas
        tombstoneGrace = ClusterNode.timeAmount(configuration.tombstoneGrace)
    }
}
