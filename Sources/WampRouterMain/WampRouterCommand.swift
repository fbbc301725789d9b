import ArgumentParser
import Cluster
import Foundation
import Logging
import NIOCore
import Realm
import RouterConfig
import WampAuth
import WampMessages
import WampRouter

#if canImport(Glibc)
import Glibc
#endif

/// `wamp-router`: starts the router with the embedded defaults or the given flags, and stops it
/// cleanly on SIGINT or SIGTERM (every session gets GOODBYE `wamp.close.system_shutdown`; see
/// WampRouterCommand+Lifecycle.swift).
@main
struct WampRouterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wamp-router",
        abstract: "A WAMP v2 router (WebSocket, wamp.2.json).",
        discussion: """
            Without --config the router runs its embedded development default: realm1, anonymous \
            peers allowed everything. With --config FILE (Crossbar.io's config.json format, JSON or \
            YAML) it serves the file's realms, roles and transports; flags given as well override the \
            file's matching settings on every transport (--host and --port: the first transport). \
            SIGHUP re-reads the file's roles, permissions and principals. SIGTERM or SIGINT: \
            stop accepting, GOODBYE wamp.close.system_shutdown to every session, up to \
            --shutdown-grace seconds for them to close, exit 0.
            """,
        subcommands: [CheckConfigCommand.self, VersionCommand.self]
    )

    @Option(help: "A Crossbar.io config file (JSON or YAML) with realms, roles, authentication and transports.")
    var config: String?

    @Option(help: "Address to listen on (default 127.0.0.1; with --config: overrides the first transport's interface).")
    var host: String?

    @Option(help: "Port of the WAMP WebSocket endpoint (default 8080; with --config: overrides the first transport's port).")
    var port: Int?

    @Option(name: .customLong("rawsocket-port"),
            help: "Also serve WAMP over RawSocket on this TCP port, on --host (default: off).")
    var rawSocketPort: Int?

    @Option(name: .customLong("rawsocket-unix"),
            help: "Also serve WAMP over RawSocket on a Unix socket at this path: a stale socket there is replaced, the new one is owner-only (0600) and removed at exit (default: off).")
    var rawSocketUnix: String?

    @Option(name: .customLong("realm"), help: "A realm to serve (repeatable; default realm1).")
    var realms: [String] = []

    @Option(help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(help: "text (for people) or json (one object per line: time, level, label, message, source, metadata).")
    var logFormat: LogFormat = .text

    @Option(help: "Seconds, after SIGTERM or SIGINT, that sessions have to answer GOODBYE and their queued messages to go out before the rest are closed (fractional allowed; 0 = close at once; default 2).")
    var shutdownGrace: Double?

    @Option(help: "Serve a WebSocket echo endpoint for the Autobahn TestSuite on this port.")
    var testeePort: Int?

    @Option(name: .customLong("event-history"),
            help: "PREFIX=N: topics starting with PREFIX keep their last N events (repeatable).")
    var eventHistory: [String] = []

    @Flag(help: "Apply the spec's strict URI rules instead of the loose ones.")
    var strictUris = false

    @Option(help: "Largest WebSocket message accepted, in bytes (default 16777216); RawSocket announces and accepts the largest power of two (512 B ... 16 MiB) not above it.")
    var maxMessageSize: Int?

    @Option(help: "Unsent bytes a session may have queued before it is closed.")
    var maxBacklogBytes = 16 << 20

    @Option(help: "Most bytes of Details/Options (dicts and lists outside the payload) in one message.")
    var maxOptionsBytes = 1 << 20

    @Flag(inversion: .prefixedNo, help: "Offer permessage-deflate compression on the WAMP endpoint (default on).")
    var compression: Bool?

    @Flag(help: "With permessage-deflate, keep the compression context from message to message on each connection (better ratio on small repeated messages, about 256 KiB of zlib state per connection, every subscriber compresses its own copy of an event). Default off: the router answers server_no_context_takeover and compresses a fan-out event once for all subscribers.")
    var deflateContextTakeover = false

    @Option(help: "CALLs one caller may have waiting for an answer.")
    var maxPendingCalls = RealmLimits().maxPendingCallsPerCaller

    @Option(help: "Registrations one session may hold.")
    var maxRegistrations = RealmLimits().maxRegistrationsPerSession

    @Option(help: "Subscriptions one session may hold.")
    var maxSubscriptions = RealmLimits().maxSubscriptionsPerSession

    @Option(help: "Testaments one session may add.")
    var maxTestaments = RealmLimits().maxTestamentsPerSession

    @Option(help: "Topics with a retained event per realm (the oldest is evicted past it).")
    var maxRetainedTopics = RealmLimits().maxRetainedTopics

    @Option(help: "Payload bytes of retained events per realm (the oldest are evicted past it).")
    var maxRetainedBytes = RealmLimits().maxRetainedBytes

    @Option(help: "Topics with stored event history per realm (the oldest events are evicted past it).")
    var maxHistoryTopics = RealmLimits().maxHistoryTopics

    @Option(help: "Payload bytes of stored event history per realm (the oldest are evicted past it).")
    var maxHistoryBytes = RealmLimits().maxHistoryBytes

    @Option(help: "Bytes one get_events answer, or the retained events one SUBSCRIBE gets, may carry.")
    var maxAnswerBytes = RealmLimits().maxAnswerBytes

    @Option(help: "Seconds from TCP accept until WELCOME or ABORT is sent; slower peers are closed (fractional allowed; default 10).")
    var handshakeTimeout: Double?

    @Option(help: "Ping a WAMP peer after this many seconds without inbound traffic; 0 = off (default 30).")
    var autoPingInterval: Double?

    @Option(help: "Seconds a pinged peer has to answer before its connection is dropped (default 10).")
    var autoPingTimeout: Double?

    @Option(help: "Seconds a dynamic authenticator has to answer before the session is aborted.")
    var authenticatorTimeout: Double = 5

    @Option(help: "Seconds a dynamic authorizer has to answer before the request is denied.")
    var authorizerTimeout: Double = 5

    @Option(help: "Cached authorization decisions per role (and per session for a dynamic authorizer); the cache is emptied when full.")
    var maxAuthorizationCache = RealmLimits().maxAuthorizationCacheEntries

    @Option(help: "Bytes of URIs one authorization cache may hold; the cache is emptied when full.")
    var maxAuthorizationCacheBytes = RealmLimits().maxAuthorizationCacheBytes

    @Option(help: "Authentication failures in a row from one address answered without delay.")
    var authFreeFailures = 3

    @Option(help: "Seconds the first delayed ABORT after a failed authentication waits; doubles per failure; 0 = no delay.")
    var authFailureDelay: Double = 0.5

    @Option(help: "Longest delay, in seconds, before the ABORT of a failed authentication.")
    var authFailureMaxDelay: Double = 5

    @Option(help: "Addresses whose authentication failures are remembered (60 s each); the oldest is forgotten past it.")
    var maxAuthFailureAddresses = 10_000

    @Option(help: "Open connections on each WAMP listener at most; more are answered HTTP 503 (WebSocket) or handshake error 4 (RawSocket).")
    var maxConnections = 50_000

    @Option(help: "Frames one WebSocket message may arrive in on the WAMP endpoint; more: close 1008.")
    var maxFragments = 1024

    @Option(help: "Messages per second per connection (token bucket, burst of as many); a faster peer is read from less. 0 = off.")
    var maxMessageRate = 0

    // MARK: Admin listener (metrics, health, status page)

    @Flag(inversion: .prefixedNo,
          help: "Count messages, bytes, errors, call durations and fan-out for /metrics (default on). --no-metrics: nothing is counted per message and /metrics answers 404.")
    var metrics = true

    @Option(name: .customLong("admin-port"),
            help: "Serve the admin HTTP listener (/ status page, /status.json, /metrics, /health) on this port; default off.")
    var adminPort: Int?

    @Option(name: .customLong("admin-host"), help: "Address of the admin listener (default 127.0.0.1; other peers need the token).")
    var adminHost = "127.0.0.1"

    @Option(name: .customLong("admin-token"),
            help: "Bearer token the admin listener requires from every peer (also from env WAMP_ADMIN_TOKEN, which keeps it off the command line).")
    var adminToken: String?

    @Option(name: .customLong("admin-loop-bound"),
            help: "Seconds each event loop may take to run /health's no-op task before /health answers 503 (default 1).")
    var adminLoopBound = 1.0

    @Option(name: .customLong("admin-max-connections"),
            help: "Open connections to the admin listener at most; more are answered HTTP 503 (default 64).")
    var adminMaxConnections = AdminListenerConfiguration.defaultMaxConnections

    @Option(name: .customLong("admin-max-body-bytes"),
            help: "Request body bytes the admin listener reads (a stray POST still gets 405); a longer body gets 413 (default 4096).")
    var adminMaxBodyBytes = AdminListenerConfiguration.defaultMaxBodyBytes

    // MARK: Cluster (issue 12, docs/cluster.md)

    @Option(name: .customLong("cluster-nats"),
            help: "A NATS server (nats://[user:password@]host:port, nats-server 2.9+ with -js) through which this router shares its realms with other router nodes (repeatable: the servers of one NATS cluster, tried in turn). Default: no cluster.")
    var clusterNats: [String] = []

    @Option(name: .customLong("node-name"),
            help: "This node's name in a cluster: 1 to 64 of A-Z a-z 0-9 _ - (default: the host name, other characters as '-').")
    var nodeName: String?

    @Option(name: .customLong("cluster-node-timeout"),
            help: "Seconds a node may be silent before the others treat it as dead (heartbeats every fifth of it; default 5).")
    var clusterNodeTimeout: Double?

    @Option(name: .customLong("cluster-ack-timeout"),
            help: "Seconds a node waits for NATS or JetStream to confirm (a key-value write, an acknowledged publication's flush); five times it bounds the wait for NATS at start (default 2).")
    var clusterAckTimeout: Double?

    @Option(name: .customLong("cluster-max-remote-invocations"),
            help: "Calls one callee of this node may have pending from one other node (its callers together); one more gets router.error.limit_exceeded (default 10000).")
    var clusterMaxRemoteInvocations: Int?

    @Option(name: .customLong("cluster-max-directory-changes"),
            help: "REGISTER/UNREGISTER changes of the cluster's registration directory in flight on this node; one more gets router.error.limit_exceeded (default 1000).")
    var clusterMaxDirectoryChanges: Int?

    @Option(name: .customLong("cluster-max-pending-flushes"),
            help: "Acknowledged publications (and new subscription interests) that may wait for NATS to confirm them; one more gets wamp.error.cluster_unavailable at once (default 65536).")
    var clusterMaxPendingFlushes: Int?

    @Option(name: .customLong("cluster-max-meta-queries"),
            help: "Session meta queries (wamp.session.count/list/get, kills) of one realm that may wait for the other nodes' answers at once; one more gets router.error.limit_exceeded (default 64).")
    var clusterMaxMetaQueries: Int?

    @Option(name: .customLong("cluster-max-tracked-sessions"),
            help: "Sessions of one realm whose testaments this node replicates to the cluster; one more session's testaments are not replicated (logged), so they do not fire should this node die; also the most sessions of other nodes tracked per realm for their on_leave when their node dies (default 100000).")
    var clusterMaxTrackedSessions: Int?

    @Option(name: .customLong("cluster-kv-replicas"),
            help: "Replicas of the cluster's JetStream key-value buckets (node slots, registrations, testaments): 1 on one NATS server, 3 on a NATS cluster of three or more so they outlive a server's loss (1...5, default 1).")
    var clusterKVReplicas: Int?

    @Option(name: .customLong("cluster-tombstone-grace"),
            help: "Seconds a removed registration's, subscription's or testament's delete marker stays in the cluster's buckets (and its tombstone in each node's copy) before the lowest live node sweeps it away; at least 1 (default 300).")
    var clusterTombstoneGrace: Double?

    @Option(name: .customLong("cluster-sweep-interval"),
            help: "Seconds between the lowest live node's sweeps of delete markers older than the tombstone grace; at least 1 (default 60).")
    var clusterSweepInterval: Double?

    func validate() throws {
        if let nodeName, let problem = ClusterConfiguration.problem(withNodeName: nodeName) {
            throw ValidationError("--node-name: \(problem)")
        }
        if let clusterNodeTimeout { try Self.checkSeconds(clusterNodeTimeout, flag: "--cluster-node-timeout") }
        if let clusterAckTimeout { try Self.checkSeconds(clusterAckTimeout, flag: "--cluster-ack-timeout") }
        for (value, flag) in [(clusterTombstoneGrace, "--cluster-tombstone-grace"), (clusterSweepInterval, "--cluster-sweep-interval")] {
            guard let value else { continue }
            try Self.checkSeconds(value, flag: flag)
            if value < 1 { throw ValidationError("\(flag) must be at least 1 second, got \(value)") }
        }
        for (value, flag) in [(clusterMaxRemoteInvocations, "--cluster-max-remote-invocations"),
                              (clusterMaxDirectoryChanges, "--cluster-max-directory-changes"),
                              (clusterMaxPendingFlushes, "--cluster-max-pending-flushes"),
                              (clusterMaxMetaQueries, "--cluster-max-meta-queries"),
                              (clusterMaxTrackedSessions, "--cluster-max-tracked-sessions")] {
            if let value, value < 1 { throw ValidationError("\(flag) must be at least 1, got \(value)") }
        }
        if let clusterKVReplicas, !(1...5).contains(clusterKVReplicas) {
            throw ValidationError("--cluster-kv-replicas must be 1...5 (JetStream's most), got \(clusterKVReplicas)")
        }
        for url in clusterNats where (try? ClusterNode.parseServers([url])) == nil {
            throw ValidationError("--cluster-nats expects nats://[user:password@]host:port, got a value that does not parse")
        }
        guard adminMaxConnections > 0 else { throw ValidationError("--admin-max-connections must be more than 0, got \(adminMaxConnections)") }
        guard (1...(1 << 20)).contains(adminMaxBodyBytes) else {
            throw ValidationError("--admin-max-body-bytes must be 1...1048576, got \(adminMaxBodyBytes)")
        }
        if let adminPort, !(0...65535).contains(adminPort) { throw ValidationError("--admin-port must be 0...65535") }
        try Self.checkSeconds(adminLoopBound, flag: "--admin-loop-bound")
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("unknown log level '\(logLevel)'")
        }
        if let port, !(0...65535).contains(port) { throw ValidationError("--port must be 0...65535") }
        if let rawSocketPort, !(0...65535).contains(rawSocketPort) { throw ValidationError("--rawsocket-port must be 0...65535") }
        if let rawSocketUnix, rawSocketUnix.isEmpty || rawSocketUnix.utf8.count > 107 {
            throw ValidationError("--rawsocket-unix must be a path of 1...107 bytes")
        }
        if config != nil, !realms.isEmpty {
            throw ValidationError("--realm cannot be combined with --config: the realms come from the file")
        }
        if let testeePort, !(0...65535).contains(testeePort) { throw ValidationError("--testee-port must be 0...65535") }
        guard maxOptionsBytes > 0 else { throw ValidationError("--max-options-bytes must be greater than 0") }
        _ = try parsedEventHistory()
        if let handshakeTimeout { try Self.checkSeconds(handshakeTimeout, flag: "--handshake-timeout") }
        if let autoPingInterval { try Self.checkSeconds(autoPingInterval, flag: "--auto-ping-interval", zeroMeansOff: true) }
        if let autoPingTimeout { try Self.checkSeconds(autoPingTimeout, flag: "--auto-ping-timeout") }
        if let shutdownGrace { try Self.checkSeconds(shutdownGrace, flag: "--shutdown-grace", zeroMeansOff: true) }
        try Self.checkSeconds(authenticatorTimeout, flag: "--authenticator-timeout")
        try Self.checkSeconds(authorizerTimeout, flag: "--authorizer-timeout")
        try Self.checkSeconds(authFailureDelay, flag: "--auth-failure-delay", zeroMeansOff: true)
        try Self.checkSeconds(authFailureMaxDelay, flag: "--auth-failure-max-delay", zeroMeansOff: true)
        guard authFreeFailures >= 0 else { throw ValidationError("--auth-free-failures must be 0 or more, got \(authFreeFailures)") }
        if let maxMessageSize, maxMessageSize <= 0 {
            throw ValidationError("--max-message-size must be more than 0 bytes, got \(maxMessageSize)")
        }
        guard maxBacklogBytes > 0 else { throw ValidationError("--max-backlog-bytes must be more than 0 bytes, got \(maxBacklogBytes)") }
        guard maxMessageRate >= 0 else { throw ValidationError("--max-message-rate must be 0 (off) or more, got \(maxMessageRate)") }
        guard maxFragments > 0 else { throw ValidationError("--max-fragments must be more than 0, got \(maxFragments)") }
        guard maxConnections > 0 else { throw ValidationError("--max-connections must be more than 0, got \(maxConnections)") }
        for (flag, value) in [
            ("--max-pending-calls", maxPendingCalls), ("--max-registrations", maxRegistrations),
            ("--max-subscriptions", maxSubscriptions), ("--max-testaments", maxTestaments),
            ("--max-retained-topics", maxRetainedTopics), ("--max-retained-bytes", maxRetainedBytes),
            ("--max-history-topics", maxHistoryTopics), ("--max-history-bytes", maxHistoryBytes),
            ("--max-answer-bytes", maxAnswerBytes), ("--max-authorization-cache", maxAuthorizationCache),
            ("--max-authorization-cache-bytes", maxAuthorizationCacheBytes), ("--max-auth-failure-addresses", maxAuthFailureAddresses),
        ] where value <= 0 {
            throw ValidationError("\(flag) must be a positive number, got \(value)")
        }
    }

    var limits: RealmLimits {
        var limits = RealmLimits()
        limits.maxPendingCallsPerCaller = maxPendingCalls
        limits.maxRegistrationsPerSession = maxRegistrations
        limits.maxSubscriptionsPerSession = maxSubscriptions
        limits.maxTestamentsPerSession = maxTestaments
        limits.maxRetainedTopics = maxRetainedTopics
        limits.maxRetainedBytes = maxRetainedBytes
        limits.maxHistoryTopics = maxHistoryTopics
        limits.maxHistoryBytes = maxHistoryBytes
        limits.maxAnswerBytes = maxAnswerBytes
        limits.maxAuthorizationCacheEntries = maxAuthorizationCache
        limits.maxAuthorizationCacheBytes = maxAuthorizationCacheBytes
        limits.authorizerTimeoutSeconds = authorizerTimeout
        return limits
    }

    /// Flags override the embedded defaults, and a config file's matching settings when given.
    func applyFlags(to configuration: inout RouterConfiguration) {
        if let adminPort {
            var admin = AdminListenerConfiguration(host: adminHost, port: adminPort,
                                                   token: adminToken ?? getenv("WAMP_ADMIN_TOKEN").map { String(cString: $0) })
            admin.loopBound = .nanoseconds(Int64(adminLoopBound * 1e9))
            admin.maxConnections = adminMaxConnections
            admin.maxBodyBytes = adminMaxBodyBytes
            configuration.admin = admin
        }
        configuration.metrics = metrics
        applyClusterFlags(to: &configuration)
        if let host { configuration.host = host }
        if let port { configuration.port = port }
        if !configuration.listeners.isEmpty {
            if let host { configuration.listeners[0].host = host }
            if let port { configuration.listeners[0].port = port }
        }
        configuration.testeePort = testeePort
        configuration.rawSocketPort = rawSocketPort
        configuration.rawSocketUnixPath = rawSocketUnix
        if strictUris { configuration.uriRules = .strict }
        configuration.eventHistory = (try? parsedEventHistory()) ?? []
        configuration.maxBacklogBytes = maxBacklogBytes
        configuration.maxOptionsBytes = maxOptionsBytes
        configuration.limits = limits
        configuration.maxConnections = maxConnections
        configuration.maxFragments = maxFragments
        configuration.maxMessageRate = maxMessageRate
        configuration.authenticatorTimeout = Self.timeAmount(seconds: authenticatorTimeout)
        configuration.authFailurePolicy = AuthFailureThrottle.Policy(
            freeFailures: authFreeFailures, initialDelay: .nanoseconds(Int64(authFailureDelay * 1e9)),
            maximumDelay: .nanoseconds(Int64(authFailureMaxDelay * 1e9)), maximumAddresses: maxAuthFailureAddresses)
        if let maxMessageSize { configuration.maxMessageSize = maxMessageSize }
        if let compression { configuration.permessageDeflate = compression }
        configuration.deflateContextTakeover = deflateContextTakeover
        if let handshakeTimeout { configuration.handshakeTimeout = Self.timeAmount(seconds: handshakeTimeout) }
        if let autoPingInterval {
            configuration.autoPingInterval = autoPingInterval > 0 ? Self.timeAmount(seconds: autoPingInterval) : nil
        }
        if let autoPingTimeout { configuration.autoPingTimeout = Self.timeAmount(seconds: autoPingTimeout) }
        if let shutdownGrace { configuration.shutdownGracePeriod = Self.timeAmount(seconds: shutdownGrace) }
        for index in configuration.listeners.indices {
            if maxMessageSize != nil { configuration.listeners[index].maxMessageSize = nil }
            if compression != nil { configuration.listeners[index].permessageDeflate = nil }
            if handshakeTimeout != nil { configuration.listeners[index].handshakeTimeout = nil }
            if autoPingInterval != nil { configuration.listeners[index].autoPingInterval = nil }
            if autoPingTimeout != nil { configuration.listeners[index].autoPingTimeout = nil }
        }
    }

    /// `--cluster-nats` and its companions; they also override the config file's `cluster` section.
    func applyClusterFlags(to configuration: inout RouterConfiguration) {
        if !clusterNats.isEmpty {
            // The servers replace the file's; its other cluster settings stay unless flags say otherwise.
            if configuration.cluster != nil {
                configuration.cluster?.natsServers = clusterNats
            } else {
                configuration.cluster = ClusterConfiguration(natsServers: clusterNats, nodeName: Self.defaultNodeName())
            }
        }
        guard var cluster = configuration.cluster else { return }
        if let nodeName {
            cluster.nodeName = nodeName
        } else if configuration.file?.cluster?.nodeName == nil {
            cluster.nodeName = Self.defaultNodeName()
        }
        if let clusterNodeTimeout { cluster.nodeTimeout = .nanoseconds(Int64(clusterNodeTimeout * 1e9)) }
        if let clusterAckTimeout { cluster.ackTimeout = .nanoseconds(Int64(clusterAckTimeout * 1e9)) }
        if let clusterMaxRemoteInvocations { cluster.maxRemoteInvocationsPerCaller = clusterMaxRemoteInvocations }
        if let clusterMaxDirectoryChanges { cluster.maxDirectoryChangesInFlight = clusterMaxDirectoryChanges }
        if let clusterKVReplicas { cluster.keyValueReplicas = clusterKVReplicas }
        if let clusterMaxPendingFlushes { cluster.maxPendingFlushes = clusterMaxPendingFlushes }
        if let clusterTombstoneGrace { cluster.tombstoneGrace = .nanoseconds(Int64(clusterTombstoneGrace * 1e9)) }
        if let clusterSweepInterval { cluster.sweepInterval = .nanoseconds(Int64(clusterSweepInterval * 1e9)) }
        if let clusterMaxMetaQueries { cluster.maxMetaQueriesInFlight = clusterMaxMetaQueries }
        if let clusterMaxTrackedSessions { cluster.maxTrackedSessions = clusterMaxTrackedSessions }
        configuration.cluster = cluster
    }

    /// The host name as a node name: characters a node name cannot hold become '-'.
    static func defaultNodeName() -> String {
        let host = ProcessInfo.processInfo.hostName
        let name = String(String.UnicodeScalarView(host.unicodeScalars.prefix(64).map { scalar in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || scalar == "_" || scalar == "-") ? scalar : "-"
        }))
        return name.isEmpty ? "node" : name
    }

    /// A duration flag: positive (or also zero when `zeroMeansOff`), finite, at most a million seconds.
    static func checkSeconds(_ value: Double, flag: String, zeroMeansOff: Bool = false) throws {
        guard value.isFinite, value <= 1_000_000, zeroMeansOff ? value >= 0 : value > 0 else {
            throw ValidationError("\(flag) must be \(zeroMeansOff ? "0 (off) or more" : "more than 0") seconds (at most 1000000), got \(value)")
        }
    }

    static func timeAmount(seconds: Double) -> TimeAmount {
        .nanoseconds(Int64((seconds * 1e9).rounded()))
    }

    /// `--event-history PREFIX=N` values; the prefix may be empty (every topic).
    func parsedEventHistory() throws -> [(prefix: String, limit: Int)] {
        try eventHistory.map { entry in
            guard let separator = entry.lastIndex(of: "="), let limit = Int(entry[entry.index(after: separator)...]), limit > 0 else {
                throw ValidationError("--event-history expects PREFIX=N with N > 0, got '\(entry)'")
            }
            return (String(entry[..<separator]), limit)
        }
    }

    func run() async throws {
        LoggingSystem.bootstrap(logFormat.makeHandler(level: Logger.Level(rawValue: logLevel)!))
        let logger = Logger(label: "wamp-router")

        var configuration = RouterConfiguration()
        if let config {
            let file: RouterFile
            do {
                file = try RouterFile.load(path: config)
            } catch {
                for problem in error.problems { logger.critical("\(config): \(problem.description)") }
                logger.critical("not starting: the config file has \(error.problems.count) problem(s); `wamp-router check-config \(config)` lists them")
                throw ExitCode(1)
            }
            for notice in file.notices { logger.notice("\(config): \(notice.description)") }
            configuration.apply(file, path: config)
        } else {
            configuration.realms = realms.isEmpty ? ["realm1"] : realms
        }
        applyFlags(to: &configuration)
        try await serve(configuration, logger: logger)
    }
}
