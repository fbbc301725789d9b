import NIOCore
import NIOWebSocket
import WampAuth
import WampMessages
import WebSocketIO

/// A WAMP session's WebSocket: the subprotocol names the serializer, JSON goes in text frames
/// and MessagePack and CBOR in binary frames.
final class WebSocketWampTransport: WampTransport, WebSocketMessageHandler, @unchecked Sendable {
    let connection: WebSocketConnection
    let serialization: WampSerialization
    /// Set once, right after init, on the connection's loop; cleared at close to break the
    /// session <-> transport cycle.
    var delegate: (any WampTransportDelegate)?

    init(connection: WebSocketConnection) {
        self.connection = connection
        self.serialization = connection.subprotocol.flatMap(WampSerialization.init(subprotocol:)) ?? .json
    }

    var eventLoop: any EventLoop { connection.eventLoop }
    var maxOutboundMessageSize: Int { .max }
    var handshakeDeadline: NIODeadline? { connection.handshakeDeadline }
    var handshakeTimeout: TimeAmount? { connection.handshakeTimeout }
    var remoteAddress: SocketAddress? { connection.remoteAddress }
    var authTransportInfo: AuthTransportInfo { AuthTransportInfo(connection: connection) }
    var kindName: String { "websocket" }
    var isSecure: Bool { connection.isSecure }
    var unsentBytes: Int { connection.unsentBytes }

    func send(_ message: EncodedMessage) {
        let kind: WebSocketMessageKind = message.serialization.isBinary ? .binary : .text
        if let cache = message.transportCache {
            connection.send(message.bytes, kind: kind, frameCache: cache)
        } else {
            connection.send(message.bytes, kind: kind)
        }
    }

    func close(code: WebSocketErrorCode, reason: String) { connection.close(code: code, reason: reason) }
    func pauseReading() { connection.pauseReading() }
    func resumeReading() { connection.resumeReading() }

    // MARK: WebSocketMessageHandler

    func webSocketDidOpen(_ connection: WebSocketConnection) { delegate?.transportDidOpen() }

    func webSocket(_ connection: WebSocketConnection, didReceive message: ByteBuffer, kind: WebSocketMessageKind) {
        delegate?.transportDidReceive(message, binary: kind == .binary)
    }

    func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason) {
        delegate?.transportDidClose(reason: reason.reason)
        delegate = nil
    }
}
