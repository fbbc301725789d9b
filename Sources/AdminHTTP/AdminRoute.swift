/// One path the admin service answers, with who may read it.
public struct AdminRoute: Sendable, Hashable {
    public enum Endpoint: Sendable, Hashable {
        /// Prometheus text.
        case metrics
        /// Health JSON: 200 or 503.
        case health
        /// The live status page (HTML).
        case statusPage
        /// The snapshot the page polls.
        case statusJSON
    }

    /// Starts with `/`.
    public var path: String
    public var endpoint: Endpoint
    public var credentials: AdminCredentials

    public init(path: String, endpoint: Endpoint, credentials: AdminCredentials) {
        self.path = path.hasPrefix("/") ? path : "/" + path
        self.endpoint = endpoint
        self.credentials = credentials
    }

    /// The dedicated admin listener's paths: `/metrics`, `/health`, `/` and `/status.json`.
    public static func standard(credentials: AdminCredentials) -> [AdminRoute] {
        [
            AdminRoute(path: "/metrics", endpoint: .metrics, credentials: credentials),
            AdminRoute(path: "/health", endpoint: .health, credentials: credentials),
            AdminRoute(path: "/", endpoint: .statusPage, credentials: credentials),
            AdminRoute(path: "/status.json", endpoint: .statusJSON, credentials: credentials),
        ]
    }

    /// A status page at `path` and its feed beside it: `/status` -> `/status/status.json`, and
    /// `/` -> `/status.json`.
    public static func statusPage(at path: String, credentials: AdminCredentials) -> [AdminRoute] {
        let page = AdminRoute(path: path, endpoint: .statusPage, credentials: credentials)
        return [page, AdminRoute(path: Self.feedPath(forPage: page.path), endpoint: .statusJSON, credentials: credentials)]
    }

    static func feedPath(forPage path: String) -> String {
        path.hasSuffix("/") ? path + "status.json" : path + "/status.json"
    }
}
