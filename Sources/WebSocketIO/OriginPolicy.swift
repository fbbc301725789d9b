/// Which browser origins may open a WebSocket (Crossbar's websocket option `allowed_origins`).
///
/// A browser names the page that opens a WebSocket in `Origin`; without a check any web page the
/// user visits can talk to a router on their machine or network. Origins and patterns are
/// compared as `scheme://host:port`, the port filled in when the scheme has a default (80 for
/// http and ws, 443 for https and wss), scheme and host lowercased. In a pattern `*` matches any
/// run of characters (dots and colons included), and the whole origin must match: `*` allows any
/// origin, `https://*.example.com` allows the subdomains of example.com on port 443 only,
/// `http://localhost:*` any port of localhost. Autobahn (and so Crossbar) matches the same
/// reconstituted `scheme://host:port` against `^pattern$` with `*` as `.*`; it does not fill the
/// default port into patterns, so its `https://example.com` matches nothing, and it reads other
/// regular-expression characters of a pattern as such; here they are literal.
///
/// A request without `Origin` comes from a non-browser client (a browser always sends it on a
/// WebSocket upgrade) and is allowed, as Autobahn does. `Origin: null` (sandboxed frames, `file:`
/// pages) names no site at all: allowed only with `allowsNullOrigin` (Crossbar's
/// `allow_null_origin`, which defaults to true there; false here).
public struct OriginPolicy: Sendable, Equatable {
    /// The patterns as given (for logs and `check-config`).
    public let patterns: [String]
    /// The patterns normalised (lowercased, default port filled in).
    public let normalizedPatterns: [String]
    public let allowsNullOrigin: Bool

    /// Longest `Origin` value looked at; a longer one is refused without matching.
    public static let maxOriginLength = 1024

    public enum Decision: Equatable, Sendable {
        case allowed
        /// Refused; `origin` is the header value as sent (not escaped, not cut).
        case refused(origin: String)
    }

    /// Throws `OriginPolicyError` for a pattern that cannot match any origin.
    public init(patterns: [String], allowsNullOrigin: Bool = false) throws {
        self.patterns = patterns
        self.allowsNullOrigin = allowsNullOrigin
        self.normalizedPatterns = try patterns.map { try Self.normalizePattern($0).get() }
    }

    /// The decision for a request's `Origin` header values (none: non-browser client).
    public func decide(originHeaderValues values: [String]) -> Decision {
        guard let value = values.first else { return .allowed }
        // Two Origin headers: a confused or hostile client; Autobahn refuses it too.
        guard values.count == 1 else { return .refused(origin: values.joined(separator: ", ")) }
        switch Self.normalizeOrigin(value) {
        case .null:
            return self.allowsNullOrigin ? .allowed : .refused(origin: value)
        case .invalid:
            return .refused(origin: value)
        case .origin(let origin):
            let allowed = self.normalizedPatterns.contains { Self.wildcardMatch(pattern: $0.utf8, text: origin.utf8) }
            return allowed ? .allowed : .refused(origin: value)
        }
    }

    // MARK: - normalisation

    package enum NormalizedOrigin: Equatable {
        case origin(String)
        case null
        case invalid
    }

    package static func defaultPort(scheme: String) -> Int? {
        switch scheme {
        case "http", "ws": 80
        case "https", "wss": 443
        default: nil
        }
    }

    /// `scheme://host:port` of an `Origin` value. A path is ignored (browsers send none); user
    /// info is invalid, because `https://good.example@evil.example` is evil.example.
    package static func normalizeOrigin(_ raw: String) -> NormalizedOrigin {
        let value = Substring(raw).trimmingSpaces()
        guard value.utf8.count <= Self.maxOriginLength else { return .invalid }
        if value.lowercased() == "null" { return .null }
        guard let schemeEnd = value.firstRange(of: "://") else { return .invalid }
        let scheme = value[..<schemeEnd.lowerBound].lowercased()
        guard !scheme.isEmpty, scheme.allSatisfy({ $0.isLetter || $0.isNumber || "+-.".contains($0) }) else {
            return .invalid
        }
        if scheme == "file" { return .null }
        let rest = value[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@"), let parts = Self.splitHostPort(authority) else { return .invalid }
        let (host, port) = parts
        guard !host.isEmpty, !host.contains("*"), port.map({ $0 != "*" }) ?? true else { return .invalid }
        let filledPort: String
        if let port {
            guard let number = Int(port), (0...65535).contains(number) else { return .invalid }
            filledPort = ":\(number)"
        } else {
            filledPort = Self.defaultPort(scheme: scheme).map { ":\($0)" } ?? ""
        }
        return .origin("\(scheme)://\(host.lowercased())\(filledPort)")
    }

    package static func normalizePattern(_ raw: String) -> Result<String, OriginPolicyError> {
        let pattern = Substring(raw).trimmingSpaces()
        guard !pattern.isEmpty else { return .failure(.invalidPattern(raw, reason: "empty")) }
        guard pattern.utf8.count <= Self.maxOriginLength else {
            return .failure(.invalidPattern(raw, reason: "longer than \(Self.maxOriginLength) bytes"))
        }
        // Without a scheme the pattern is matched as written (`*` alone, `*.example.com:*`).
        guard let schemeEnd = pattern.firstRange(of: "://") else { return .success(pattern.lowercased()) }
        let scheme = pattern[..<schemeEnd.lowerBound].lowercased()
        let authority = pattern[schemeEnd.upperBound...]
        if authority.contains(where: { "/?#@".contains($0) }) {
            return .failure(.invalidPattern(raw, reason: "an origin is scheme://host[:port], without path or user"))
        }
        guard let parts = Self.splitHostPort(authority), !parts.host.isEmpty else {
            return .failure(.invalidPattern(raw, reason: "no host"))
        }
        let (host, port) = parts
        if let port, port != "*", !port.contains("*") {
            guard let number = Int(port), (0...65535).contains(number) else {
                return .failure(.invalidPattern(raw, reason: "port \(port) is not a number from 0 to 65535"))
            }
            return .success("\(scheme)://\(host.lowercased()):\(number)")
        }
        if let port { return .success("\(scheme)://\(host.lowercased()):\(port)") }
        // A scheme of `*` (or one without a default port) leaves the port unsaid: `*://host`
        // then matches any scheme but, having no port, only after `*` covers it.
        let filled = Self.defaultPort(scheme: scheme).map { ":\($0)" } ?? ""
        return .success("\(scheme)://\(host.lowercased())\(filled)")
    }

    /// Host and optional port of `host`, `host:port`, `[v6]` or `[v6]:port`.
    private static func splitHostPort(_ authority: Substring) -> (host: Substring, port: Substring?)? {
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { return nil }
            let host = authority[...close]
            let after = authority[authority.index(after: close)...]
            if after.isEmpty { return (host, nil) }
            guard after.hasPrefix(":") else { return nil }
            return (host, after.dropFirst())
        }
        guard let colon = authority.lastIndex(of: ":") else { return (authority, nil) }
        let host = authority[..<colon]
        guard !host.contains(":") else { return nil }
        return (host, authority[authority.index(after: colon)...])
    }

    /// Whole-text match where `*` matches any run of bytes. Greedy with one backtrack point (the
    /// last `*`), so at most pattern × text steps; both are bounded by `maxOriginLength`.
    package static func wildcardMatch(pattern: String.UTF8View, text: String.UTF8View) -> Bool {
        let p = Array(pattern), t = Array(text)
        var pi = 0, ti = 0
        var starPattern = -1, starText = 0
        while ti < t.count {
            if pi < p.count, p[pi] == UInt8(ascii: "*") {
                starPattern = pi
                starText = ti
                pi += 1
            } else if pi < p.count, p[pi] == t[ti] {
                pi += 1
                ti += 1
            } else if starPattern >= 0 {
                pi = starPattern + 1
                starText += 1
                ti = starText
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}

public enum OriginPolicyError: Error, Equatable, CustomStringConvertible, Sendable {
    case invalidPattern(String, reason: String)

    public var description: String {
        switch self {
        case .invalidPattern(let pattern, let reason): "allowed origin '\(pattern)': \(reason)"
        }
    }
}
