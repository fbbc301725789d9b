/// How a router node joins a cluster (`--cluster-nats`, `--node-name` and the config file's
/// `cluster` section). A router without NATS servers is a single process and builds none of the
/// cluster: this feature costs nothing on its hot path.
public struct ClusterConfiguration: Sendable, Equatable {
    /// NATS server URLs (`nats://host:port`, credentials allowed in the URL); the client connects
    /// to one and fails over to the others (repeatable `--cluster-nats`).
    public var natsServers: [String]
    /// This node's name: in logs, `/health`, the meta API's node field and the node table.
    public var nodeName: String
    /// How long a silent node stays alive to the others (its slot's key-value TTL; heartbeats
    /// every `nodeTimeout / 5`). Bounds how long a dead node's registrations and subscriptions
    /// linger (`--cluster-node-timeout`).
    public var nodeTimeout: Duration = .seconds(5)
    /// How long a node waits for every live node to acknowledge an announcement before it treats
    /// the silent ones as dead (`--cluster-ack-timeout`).
    public var ackTimeout: Duration = .seconds(2)
    /// Calls one callee of this node may have pending from one other node
    /// (`--cluster-max-remote-invocations`; `ClusterRPCLimits`).
    public var maxRemoteInvocationsPerCaller = 10_000
    /// Registration directory changes in flight on this node (`--cluster-max-directory-changes`).
    public var maxDirectoryChangesInFlight = 1_000
    /// Replicas of the cluster's JetStream buckets (node slots, registrations, testaments): 1 on
    /// one NATS server; 3 on a NATS cluster of three or more, so the buckets outlive one server's
    /// loss (`--cluster-kv-replicas`, 1...5).
    public var keyValueReplicas = 1
    /// Acknowledged publications (and new subscription interests) that may wait for one NATS
    /// flush; one more is answered at once with an error, so a NATS server that reads slowly
    /// cannot grow the node's memory without bound (`--cluster-max-pending-flushes`).
    public var maxPendingFlushes = 65_536
    /// How long a removed key's delete marker stays in the cluster's buckets, and its tombstone
    /// in each node's copy, before the sweep removes it: longer than any watch takes to deliver
    /// a change (`--cluster-tombstone-grace`). A node cut off from NATS for longer finds, when
    /// it comes back, keys that vanished without a marker, and drops them from its copies.
    public var tombstoneGrace: Duration = .seconds(300)
    /// How often the node with the lowest live slot sweeps the buckets for delete markers older
    /// than `tombstoneGrace` (`--cluster-sweep-interval`). Each sweep reads every key's header
    /// once (no values).
    public var sweepInterval: Duration = .seconds(60)
    /// Session meta queries (`wamp.session.count/list/get`, kills) of one realm that may wait for
    /// the other nodes' answers at once; one more gets `router.error.limit_exceeded` (each holds
    /// a NATS request per live node; `--cluster-max-meta-queries`).
    public var maxMetaQueriesInFlight = 64
    /// Sessions of one realm whose testaments this node replicates to `wamp_testaments`; one more
    /// session's testaments stay on this node only (logged, counted), so they are not fired
    /// should this node die. Also the most sessions of other nodes this node's roster of a realm
    /// holds (for their `on_leave` when their node dies; `ClusterSessionRoster`)
    /// (`--cluster-max-tracked-sessions`).
    public var maxTrackedSessions = 100_000

    public init(natsServers: [String], nodeName: String) {
        self.natsServers = natsServers
        self.nodeName = nodeName
    }

    /// Why `name` cannot name a node, or nil: 1 to 64 of `A-Z a-z 0-9 _ -`, so it is one NATS
    /// subject token, one key-value key token and safe in a log line as it is.
    public static func problem(withNodeName name: String) -> String? {
        guard !name.isEmpty, name.utf8.count <= 64 else { return "a node name has 1 to 64 characters" }
        let allowed = name.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x5F || byte == 0x2D
        }
        return allowed ? nil : "a node name may hold only letters, digits, '_' and '-'"
    }
}
