import NIOCore
import WampAuth

/// What a session needs to know of the listener it arrived on: the authentication methods that
/// transport offers, and how to describe the connection to a dynamic authenticator.
struct TransportContext: Sendable {
    /// The transport's name in logs and authenticator details (`transport0`, ... in config order).
    var name: String
    var auth: TransportAuthConfiguration
    var isSecure: Bool

    init(name: String, auth: TransportAuthConfiguration, isSecure: Bool = false) {
        self.name = name
        self.auth = auth
        self.isSecure = isSecure
    }

    /// The key repeated authentication failures are counted under: the peer's IP address.
    func throttleKey(_ remoteAddress: SocketAddress?) -> String {
        remoteAddress?.ipAddress ?? "unknown"
    }

    static func peerText(_ address: SocketAddress?) -> String {
        guard let address, let ip = address.ipAddress, let port = address.port else { return "unknown" }
        switch address {
        case .v6: return "tcp6:\(ip):\(port)"
        default: return "tcp4:\(ip):\(port)"
        }
    }
}
