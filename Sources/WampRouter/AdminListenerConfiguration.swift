import AdminHTTP
import NIOCore

/// The admin HTTP listener (`--admin-port`): metrics, health, the live status page.
public struct AdminListenerConfiguration: Sendable {
    /// `--admin-host`: loopback by default; a non-loopback peer gets 403 unless a token is set
    /// and given.
    public var host = "127.0.0.1"
    /// `--admin-port`; 0 picks an ephemeral port (`WampRouter.adminPort`).
    public var port: Int
    /// `--admin-token` or `WAMP_ADMIN_TOKEN`: `Authorization: Bearer TOKEN` required (from
    /// everyone) when set.
    public var token: String?
    /// `--admin-loop-bound`: how long each event loop may take to run `/health`'s no-op task.
    public var loopBound = EventLoopProbe.defaultBound
    /// `--admin-max-connections`: open admin connections at most (a browser needs a few; a
    /// flood gets 503).
    public var maxConnections = AdminListenerConfiguration.defaultMaxConnections
    /// `--admin-max-body-bytes`: request body bytes read (a stray POST still gets 405); more: 413.
    public var maxBodyBytes = AdminRoute.defaultMaxBodyBytes

    public static let defaultMaxConnections = 64
    public static let defaultMaxBodyBytes = AdminRoute.defaultMaxBodyBytes

    public init(host: String = "127.0.0.1", port: Int, token: String? = nil) {
        self.host = host
        self.port = port
        self.token = token
    }

    var credentials: AdminCredentials { AdminCredentials(token: token) }
}
