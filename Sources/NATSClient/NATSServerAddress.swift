/// One server of the list a connection cycles through: `nats://host:port` or `host:port`
/// (port 4222 when left out).
public struct NATSServerAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int = 4222) {
        self.host = host
        self.port = port
    }

    public init(_ text: String) throws {
        var rest = Substring(text)
        if rest.hasPrefix("nats://") { rest = rest.dropFirst(7) }
        guard !rest.isEmpty, !rest.contains("/"), !rest.contains("@"), !rest.contains(where: \.isWhitespace) else {
            throw NATSError.invalidServerAddress(text)
        }
        var host = rest
        var port = 4222
        if rest.hasPrefix("[") {
            // [IPv6]:port
            guard let close = rest.firstIndex(of: "]") else { throw NATSError.invalidServerAddress(text) }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let value = Int(after.dropFirst()) else { throw NATSError.invalidServerAddress(text) }
                port = value
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            guard let value = Int(rest[rest.index(after: colon)...]) else { throw NATSError.invalidServerAddress(text) }
            port = value
        }
        guard !host.isEmpty, (1...65535).contains(port) else { throw NATSError.invalidServerAddress(text) }
        self.host = String(host)
        self.port = port
    }

    public var description: String {
        host.contains(":") ? "nats://[\(host)]:\(port)" : "nats://\(host):\(port)"
    }
}
