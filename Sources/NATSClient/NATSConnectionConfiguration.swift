import NIOCore

/// How a `NATSConnection` connects and what it bounds. Every bound has a default; the router
/// will expose them as flags.
public struct NATSConnectionConfiguration: Sendable {
    /// Tried in order, starting over after the last.
    public var servers: [NATSServerAddress]
    /// Sent in CONNECT; shows in the server's connection list (`connz`).
    public var name: String
    public var user: String?
    public var password: String?
    public var token: String?
    /// False: the server never delivers this connection's own publications back to it
    /// (CONNECT `echo: false`), so a router node never receives the events it published itself.
    public var echo: Bool = true
    /// A PING this often; `maxPingsOutstanding` unanswered ones in a row mean the connection is dead.
    public var pingInterval: TimeAmount = .seconds(2)
    public var maxPingsOutstanding: Int = 2
    /// Failed connect attempts in a row before giving up for good (nil: never give up).
    public var maxReconnectAttempts: Int?
    /// The wait before a reconnect starts at `reconnectWaitMin` and doubles to `reconnectWaitMax`.
    public var reconnectWaitMin: TimeAmount = .milliseconds(50)
    public var reconnectWaitMax: TimeAmount = .seconds(2)
    /// For the TCP connect, and again for the handshake (INFO, CONNECT, PONG).
    public var connectTimeout: TimeAmount = .seconds(2)
    /// Requests awaiting a reply at once; one more fails with `tooManyPendingRequests`.
    public var maxPendingRequests: Int = 65_536
    /// The longest control line accepted from the server.
    public var maxControlLine: Int = NATSServerOperationParser.defaultMaxControlLine

    /// What CONNECT sends (and how it prints: redacted).
    var connectOptions: NATSConnectOptions {
        NATSConnectOptions(name: name, user: user, password: password, token: token, echo: echo)
    }

    public init(servers: [NATSServerAddress], name: String) {
        precondition(!servers.isEmpty, "a NATS connection needs at least one server")
        self.servers = servers
        self.name = name
    }
}

/// What a connection tells its owner, on the connection's event loop.
public enum NATSConnectionEvent: Sendable, Equatable {
    /// The first successful handshake.
    case connected(NATSServerAddress)
    /// The connection was up and is not; reconnecting follows unless closed.
    case disconnected
    /// Up again after a drop; live subscriptions are subscribed again.
    case reconnected(NATSServerAddress)
    /// Closed for good (`close()` or the reconnect attempts used up).
    case closed
}

/// A subscription's handle; pass it to `NATSConnection.unsubscribe`.
public struct NATSSubscription: Sendable, Hashable {
    public let sid: UInt64
    public let subject: String
    public let queueGroup: String?
}

/// Printing a configuration (logs, test failures) never shows the password or token.
extension NATSConnectionConfiguration: CustomStringConvertible, CustomReflectable {
    public var description: String {
        "NATSConnectionConfiguration(servers: \(servers), \(connectOptions))"
    }

    public var customMirror: Mirror {
        Mirror(self, children: ["description": description], displayStyle: .struct)
    }
}
