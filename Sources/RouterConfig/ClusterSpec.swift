import Cluster

/// The router worker's `cluster` section (this router's own, not Crossbar's): the NATS servers
/// and node settings the `--cluster-*` flags and `--node-name` also set (flags win, key by key).
///
/// ```yaml
/// cluster:
///   nats: ["nats://10.0.0.1:4222", "nats://10.0.0.2:4222"]
///   node_name: n1
///   node_timeout: 5000              # milliseconds, --cluster-node-timeout
///   ack_timeout: 2000               # milliseconds, --cluster-ack-timeout
///   kv_replicas: 3                  # --cluster-kv-replicas
///   max_remote_invocations: 10000   # --cluster-max-remote-invocations
///   max_directory_changes: 1000     # --cluster-max-directory-changes
///   max_pending_flushes: 65536      # --cluster-max-pending-flushes
///   tombstone_grace: 300000         # milliseconds, --cluster-tombstone-grace
///   sweep_interval: 60000           # milliseconds, --cluster-sweep-interval
///   max_meta_queries: 64            # --cluster-max-meta-queries
///   max_tracked_sessions: 100000    # --cluster-max-tracked-sessions
/// ```
public struct ClusterSpec: Sendable, Hashable {
    public var nats: [String]
    public var nodeName: String?
    public var nodeTimeoutMilliseconds: Int?
    public var ackTimeoutMilliseconds: Int?
    public var keyValueReplicas: Int?
    public var maxRemoteInvocations: Int?
    public var maxDirectoryChanges: Int?
    public var maxPendingFlushes: Int?
    public var tombstoneGraceMilliseconds: Int?
    public var sweepIntervalMilliseconds: Int?
    public var maxMetaQueries: Int?
    public var maxTrackedSessions: Int?

    public init(nats: [String], nodeName: String? = nil, nodeTimeoutMilliseconds: Int? = nil, ackTimeoutMilliseconds: Int? = nil,
                keyValueReplicas: Int? = nil, maxRemoteInvocations: Int? = nil, maxDirectoryChanges: Int? = nil,
                maxPendingFlushes: Int? = nil, tombstoneGraceMilliseconds: Int? = nil, sweepIntervalMilliseconds: Int? = nil,
                maxMetaQueries: Int? = nil, maxTrackedSessions: Int? = nil) {
        self.nats = nats
        self.nodeName = nodeName
        self.nodeTimeoutMilliseconds = nodeTimeoutMilliseconds
        self.ackTimeoutMilliseconds = ackTimeoutMilliseconds
        self.keyValueReplicas = keyValueReplicas
        self.maxRemoteInvocations = maxRemoteInvocations
        self.maxDirectoryChanges = maxDirectoryChanges
        self.maxPendingFlushes = maxPendingFlushes
        self.tombstoneGraceMilliseconds = tombstoneGraceMilliseconds
        self.sweepIntervalMilliseconds = sweepIntervalMilliseconds
        self.maxMetaQueries = maxMetaQueries
        self.maxTrackedSessions = maxTrackedSessions
    }

    /// The node's configuration; `defaultName` when the section names no node.
    public func configuration(defaultName: String) -> ClusterConfiguration {
        var configuration = ClusterConfiguration(natsServers: nats, nodeName: nodeName ?? defaultName)
        if let nodeTimeoutMilliseconds { configuration.nodeTimeout = .milliseconds(nodeTimeoutMilliseconds) }
        if let ackTimeoutMilliseconds { configuration.ackTimeout = .milliseconds(ackTimeoutMilliseconds) }
        if let keyValueReplicas { configuration.keyValueReplicas = keyValueReplicas }
        if let maxRemoteInvocations { configuration.maxRemoteInvocationsPerCaller = maxRemoteInvocations }
        if let maxDirectoryChanges { configuration.maxDirectoryChangesInFlight = maxDirectoryChanges }
        if let maxPendingFlushes { configuration.maxPendingFlushes = maxPendingFlushes }
        if let tombstoneGraceMilliseconds { configuration.tombstoneGrace = .milliseconds(tombstoneGraceMilliseconds) }
        if let sweepIntervalMilliseconds { configuration.sweepInterval = .milliseconds(sweepIntervalMilliseconds) }
        if let maxMetaQueries { configuration.maxMetaQueriesInFlight = maxMetaQueries }
        if let maxTrackedSessions { configuration.maxTrackedSessions = maxTrackedSessions }
        return configuration
    }

    static func read(_ map: inout MapReader, at path: ConfigPath, log: ProblemLog) -> ClusterSpec? {
        guard let nats = map.stringList("nats") else {
            log.problem(path.key("nats"), "missing: the NATS server URLs (nats://host:port) of the cluster", line: map.lineOf("nats"))
            return nil
        }
        if nats.isEmpty { log.problem(path.key("nats"), "needs at least one NATS server URL", line: map.lineOf("nats")) }
        for url in nats where (try? ClusterNode.parseServers([url])) == nil {
            log.problem(path.key("nats"), "not a NATS server URL (nats://[user:password@]host:port)", line: map.lineOf("nats"))
        }
        let name = map.string("node_name")
        if let name, let problem = ClusterConfiguration.problem(withNodeName: name) {
            log.problem(path.key("node_name"), problem, line: map.lineOf("node_name"))
        }
        let nodeTimeout = map.int("node_timeout", in: 100...3_600_000, unit: " ms")
        let ackTimeout = map.int("ack_timeout", in: 10...600_000, unit: " ms")
        // The same ranges as the flags'.
        let replicas = map.int("kv_replicas", in: 1...5)
        let remoteInvocations = map.int("max_remote_invocations", in: 1...Int(Int32.max))
        let directoryChanges = map.int("max_directory_changes", in: 1...Int(Int32.max))
        let pendingFlushes = map.int("max_pending_flushes", in: 1...Int(Int32.max))
        let tombstoneGrace = map.int("tombstone_grace", in: 1_000...1_000_000_000, unit: " ms")
        let sweepInterval = map.int("sweep_interval", in: 1_000...1_000_000_000, unit: " ms")
        let metaQueries = map.int("max_meta_queries", in: 1...Int(Int32.max))
        let trackedSessions = map.int("max_tracked_sessions", in: 1...Int(Int32.max))
        return ClusterSpec(nats: nats, nodeName: name, nodeTimeoutMilliseconds: nodeTimeout, ackTimeoutMilliseconds: ackTimeout,
                           keyValueReplicas: replicas, maxRemoteInvocations: remoteInvocations, maxDirectoryChanges: directoryChanges,
                           maxPendingFlushes: pendingFlushes, tombstoneGraceMilliseconds: tombstoneGrace,
                           sweepIntervalMilliseconds: sweepInterval, maxMetaQueries: metaQueries, maxTrackedSessions: trackedSessions)
    }
}
