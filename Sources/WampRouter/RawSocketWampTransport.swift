import NIOCore
import NIOWebSocket
import RawSocketIO
import WampAuth
import WampMessages

/// A WAMP session's RawSocket: the handshake's serializer id names the serializer, every
/// message is one frame, and the client's announced maximum bounds what the router sends.
final class RawSocketWampTransport: WampTransport, RawSocketMessageHandler, @unchecked Sendable {
    let connection: RawSocketConnection
    let serialization: WampSerialization
    /// Set once, right after init, on the connection's loop; cleared at close to break the
    /// session <-> transport cycle.
    var delegate: (any WampTransportDelegate)?

    /// The listener accepts only the serializer ids of `WampSerialization` (others are refused
    /// in the handshake with error 1), so the id always names one.
    init(connection: RawSocketConnection) {
        self.connection = connection
        self.serialization = WampSerialization(rawValue: connection.serializer) ?? .json
    }

    var eventLoop: any EventLoop { connection.eventLoop }
    var maxOutboundMessageSize: Int { connection.maxOutboundMessageSize }
    var handshakeDeadline: NIODeadline? { connection.handshakeDeadline }
    var handshakeTimeout: TimeAmount? { connection.handshakeTimeout }
    var remoteAddress: SocketAddress? { connection.remoteAddress }
    var kindName: String {
        if case .unixDomainSocket = connection.remoteAddress { return "rawsocket (unix)" }
        return "rawsocket"
    }
    var isSecure: Bool { connection.isSecure }
    var unsentBytes: Int { connection.unsentBytes }

    var authTransportInfo: AuthTransportInfo {
        if case .unixDomainSocket = connection.remoteAddress {
            return AuthTransportInfo(peer: "unix", isSecure: false, channelFraming: "rawsocket", channelType: "unix")
        }
        return AuthTransportInfo(peer: AuthTransportInfo.peerText(connection.remoteAddress), isSecure: connection.isSecure,
                                 channelFraming: "rawsocket")
    }

    func send(_ message: EncodedMessage) {
        if let cache = message.transportCache {
            // One frame for every RawSocket receiver of a fan-out message. The cache is per
            // transport kind: a WebSocket receiver of the same message has its own.
            let frame = cache.rawSocketEncoding { RawSocketFrameWriter.frame(payload: message.bytes) }
            connection.send(message.bytes, preparedFrame: frame)
        } else {
            connection.send(message.bytes)
        }
    }

    /// RawSocket has no close codes: the code is logged by the session, the connection closed.
    func close(code: WebSocketErrorCode, reason: String) { connection.close(reason: reason) }
    func pauseReading() { connection.pauseReading() }
    func resumeReading() { connection.resumeReading() }

    // MARK: RawSocketMessageHandler

    func rawSocketDidOpen(_ connection: RawSocketConnection) { delegate?.transportDidOpen() }

    func rawSocket(_ connection: RawSocketConnection, didReceive message: ByteBuffer) {
        delegate?.transportDidReceive(message, binary: serialization.isBinary)
    }

    func rawSocketDidClose(_ connection: RawSocketConnection, reason: String) {
        delegate?.transportDidClose(reason: reason)
        delegate = nil
    }
}
