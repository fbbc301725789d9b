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
    /// A request body is never expected; this much is read so that a stray POST still gets 405,
    /// and a longer one gets 413 (`--admin-max-body-bytes`, a web path's `post_body_limit`).
    public var maxBodyBytes: Int

    public static let defaultMaxBodyBytes = 4096

    public init(path: String, endpoint: Endpoint, credentials: AdminCredentials, maxBodyBytes: Int = Self.defaultMaxBodyBytes) {
        self.path = path.hasPrefix("/") ? path : "/" + path
        self.endpoint = endpoint
        self.credentials = credentials
        self.maxBodyBytes = maxBodyBytes
    }

    /// The dedicated admin listener's paths: `/metrics`, `/health`, `/` and `/status.json`.
    public static func standard(credentials: AdminCredentials, maxBodyBytes: Int = Self.defaultMaxBodyBytes) -> [AdminRoute] {
        [("/metrics", Endpoint.metrics), ("/health", .health), ("/", .statusPage), ("/status.json", .statusJSON)].map {
            AdminRoute(path: $0.0, endpoint: $0.1, credentials: credentials, maxBodyBytes: maxBodyBytes)
        }
    }

    /// A status page at `path` and its feed beside it: `/status` -> `/status/status.json`, and
    /// `/` -> `/status.json`.
    public static func statusPage(at path: String, credentials: AdminCredentials,
                                  maxBodyBytes: Int = Self.defaultMaxBodyBytes) -> [AdminRoute] {
        let page = AdminRoute(path: path, endpoint: .statusPage, credentials: credentials, maxBodyBytes: maxBodyBytes)
        return [page, AdminRoute(path: Self.feedPath(forPage: page.path), endpoint: .statusJSON, credentials: credentials,
                                 maxBodyBytes: maxBodyBytes)]
    }

    static func feedPath(forPage path: String) -> String {
        path.hasSuffix("/") ? path + "status.json" : path + "/status.json"
    }
}
