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
        let credential = parts[1].trimmingCharacters(in: " \t")
        switch scheme {
        case "bearer":
            guard let token = self.token else { return false }
            return ConstantTimeText.equal(credential, token)
        case "basic":
            guard let user = self.basicUser, let password = self.basicPassword else { return false }
            guard let decoded = Base64Text.decode(credential) else { return false }
            return ConstantTimeText.equal(decoded, Array("\(user):\(password)".utf8))
        default:
            return false
        }
    }

    /// 127.0.0.0/8, ::1, an IPv4-mapped 127.x address, or a Unix socket (only local processes
    /// reach it). Unknown (nil) is not loopback.
    public static func isLoopback(_ address: SocketAddress?) -> Bool {
        guard let address else { return false }
        switch address {
        case .unixDomainSocket:
            return true
        case .v4(let v4):
            let host = UInt32(bigEndian: v4.address.sin_addr.s_addr)
            return host >> 24 == 127
        case .v6(let v6):
            let bytes = withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
            if bytes[0..<15].allSatisfy({ $0 == 0 }) && bytes[15] == 1 { return true }
            let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF]
            return Array(bytes[0..<12]) == mappedPrefix && bytes[12] == 127
        }
    }
}

extension StringProtocol {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var scalars = Substring(self).unicodeScalars[...]
        while let first = scalars.first, set.unicodeScalars.contains(first) { scalars.removeFirst() }
        while let last = scalars.last, set.unicodeScalars.contains(last) { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}
