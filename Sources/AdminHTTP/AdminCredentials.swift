import Foundation
import NIOCore

/// Who may read an admin endpoint: loopback peers by default; with a bearer token or basic-auth
/// credentials configured, every peer (loopback too) must present them, and then a peer from
/// anywhere may.
///
/// The secrets are kept only to compare against; `description` never shows them, so a log line
/// or an error message holding this value cannot leak them.
public struct AdminCredentials: Sendable, Hashable, CustomStringConvertible {
    public var token: String?
    public var basicUser: String?
    public var basicPassword: String?
    /// Without credentials: only loopback peers (127.0.0.0/8, ::1, Unix sockets) unless false.
    public var loopbackOnly: Bool

    public init(token: String? = nil, basicUser: String? = nil, basicPassword: String? = nil, loopbackOnly: Bool = true) {
        self.token = token.flatMap { $0.isEmpty ? nil : $0 }
        self.basicUser = basicUser
        self.basicPassword = basicPassword
        self.loopbackOnly = loopbackOnly
    }

    public var requiresCredentials: Bool { self.token != nil || self.basicUser != nil }

    public var description: String {
        "AdminCredentials(token: \(self.token == nil ? "none" : "set"), basic: \(self.basicUser == nil ? "none" : "set"), loopbackOnly: \(self.loopbackOnly))"
    }

    public enum Decision: Sendable, Equatable {
        case allowed
        /// 401: credentials are configured and none or wrong ones came.
        case unauthorized
        /// 403: a non-loopback peer, and no credentials are configured that could let it in.
        case forbidden
    }

    /// The decision for a peer at `remote` that sent these `Authorization` header values.
    public func decide(remote: SocketAddress?, authorization: [String]) -> Decision {
        if self.requiresCredentials {
            return authorization.contains(where: self.accepts) ? .allowed : .unauthorized
        }
        if self.loopbackOnly && !Self.isLoopback(remote) { return .forbidden }
        return .allowed
    }

    /// One `Authorization` value: `Bearer TOKEN` or `Basic base64(user:password)`. The scheme is
    /// case-insensitive (RFC 9110); the secret part is compared in constant time.
    func accepts(_ header: String) -> Bool {
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2 else { return false }
        let scheme = parts[0].lowercased()
        var credential = parts[1]
        while let first = credential.first, first == " " || first == "\t" { credential.removeFirst() }
        while let last = credential.last, last == " " || last == "\t" { credential.removeLast() }
        let presented = String(credential)
        switch scheme {
        case "bearer":
            guard let token = self.token else { return false }
            return ConstantTimeText.equal(presented, token)
        case "basic":
            guard let user = self.basicUser, let password = self.basicPassword else { return false }
            guard let decoded = Self.basicCredential(presented) else { return false }
            return ConstantTimeText.equal(decoded, Array("\(user):\(password)".utf8))
        default:
            return false
        }
    }

    /// The `user:password` bytes of a Basic credential (RFC 7617: standard base64 with padding);
    /// nil when it is not base64. Foundation's decoder: this runs once per admin request, far
    /// from the routing path, and the router has no other base64 decoder to share (the WAMP
    /// binary one reads the `\0`-prefixed text form).
    package static func basicCredential(_ text: String) -> [UInt8]? {
        Data(base64Encoded: text).map { Array($0) }
    }

    /// 127.0.0.0/8, ::1, an IPv4-mapped 127.x address, or a Unix socket (only local processes
    /// reach it). Unknown (nil) is not loopback.
    public static func isLoopback(_ address: SocketAddress?) -> Bool {
        guard let address else { return false }
        switch address {
        case .unixDomainSocket:
            return true
        case .v4:
            return address.ipAddress?.hasPrefix("127.") ?? false
        case .v6:
            // inet_ntop's canonical text: "::1", and "::ffff:127.0.0.1" for an IPv4-mapped address.
            guard let text = address.ipAddress?.lowercased() else { return false }
            return text == "::1" || text.hasPrefix("::ffff:127.")
        }
    }
}
