import NIOCore
import WampAuth
import WebSocketIO

extension AuthTransportInfo {
    /// `details.transport` of a connection, as dynamic authenticators get it: the peer as
    /// Crossbar writes it (`tcp4:ADDRESS:PORT`, `tcp6:...`), TLS or not, the subprotocol.
    init(connection: WebSocketConnection) {
        self.init(peer: Self.peerText(connection.remoteAddress), isSecure: connection.isSecure,
                  websocketProtocol: connection.subprotocol)
    }

    static func peerText(_ address: SocketAddress?) -> String {
        guard let address, let ip = address.ipAddress, let port = address.port else { return "unknown" }
        switch address {
        case .v6: return "tcp6:\(ip):\(port)"
        default: return "tcp4:\(ip):\(port)"
        }
    }
}
