import NIOHTTP1

/// The checks an upgrade request passes before any WebSocket negotiation: the configured
/// WebSocket path, then the `Origin` policy. Pure, so the upgrader (which refuses) and the HTTP
/// handler (which answers why) decide alike.
package enum WebSocketUpgradeGate {
    package enum Refusal: Equatable {
        /// HTTP 404: the upgrade asked for another path than the WebSocket path.
        case path(String)
        /// HTTP 403: the `Origin` (as sent) is not allowed.
        case origin(String)
        /// HTTP 404: this listener serves plain HTTP only (`acceptsWebSocket` false).
        case notServed
    }

    package static func refusal(for head: HTTPRequestHead, configuration: WebSocketServerConfiguration) -> Refusal? {
        guard configuration.acceptsWebSocket else { return .notServed }
        if let webSocketPath = configuration.webSocketPath, !self.isPath(head.uri, webSocketPath) {
            return .path(self.path(of: head.uri))
        }
        if let policy = configuration.allowedOrigins,
            case .refused(let origin) = policy.decide(originHeaderValues: head.headers["Origin"])
        {
            return .origin(origin)
        }
        return nil
    }

    /// The request target without its query.
    package static func path(of uri: String) -> String {
        uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? uri
    }

    /// Whether `uri` names `configuredPath` ("ws" and "/ws" are the same path; a trailing slash
    /// is not).
    package static func isPath(_ uri: String, _ configuredPath: String) -> Bool {
        let wanted = configuredPath.hasPrefix("/") ? configuredPath : "/" + configuredPath
        return self.path(of: uri) == wanted
    }

    /// `text` fit for a short plain-text answer or a log line: printable ASCII only (others
    /// become `?`), at most `limit` characters (then `...`).
    package static func printable(_ text: String, limit: Int = 200) -> String {
        var result = ""
        for (index, scalar) in text.unicodeScalars.enumerated() {
            if index == limit {
                result += "..."
                break
            }
            result.unicodeScalars.append((0x20..<0x7F).contains(scalar.value) ? scalar : "?")
        }
        return result
    }
}
