import NIOCore
import NIOWebSocket
import WampAuth
import WampMessages

/// What a WAMP session needs of its connection, whatever carries it (WebSocket, RawSocket over
/// TCP or a Unix socket, with or without TLS). `WampSession` knows only this.
///
/// `send` may be called from any thread; everything else runs on `eventLoop`.
protocol WampTransport: AnyObject, Sendable {
    var eventLoop: any EventLoop { get }
    /// The serializer negotiated for this connection (WebSocket subprotocol, RawSocket handshake).
    var serialization: WampSerialization { get }
    /// The largest message the peer accepts: a RawSocket client's announced maximum length,
    /// `Int.max` on WebSocket (which announces none).
    var maxOutboundMessageSize: Int { get }
    /// When the WAMP opening handshake must be over (counted from accept), if bounded.
    var handshakeDeadline: NIODeadline? { get }
    var handshakeTimeout: TimeAmount? { get }
    var remoteAddress: SocketAddress? { get }
    /// `details.transport` as dynamic authenticators get it.
    var authTransportInfo: AuthTransportInfo { get }
    /// "websocket" or "rawsocket", for the status page.
    var kindName: String { get }
    var isSecure: Bool { get }
    /// Unsent outbound bytes as last known; on `eventLoop` only.
    var unsentBytes: Int { get }

    /// Queues one encoded message (shared buffers are not copied; a fan-out message's
    /// `transportCache` lets the transport frame it once for all its receivers).
    func send(_ message: EncodedMessage)
    /// Ends the connection; `code` is a WebSocket close code, which transports without close
    /// codes (RawSocket) only log.
    func close(code: WebSocketErrorCode, reason: String)
    /// Stops delivering received messages until `resumeReading()`.
    func pauseReading()
    func resumeReading()
}

/// What a transport reports to its session, on the transport's event loop. `transportDidClose`
/// comes exactly once, never from inside `send`.
protocol WampTransportDelegate: AnyObject {
    func transportDidOpen()
    /// One whole message; `binary` is the WebSocket frame type (RawSocket messages are binary
    /// for MessagePack and CBOR and text for JSON, by their serializer).
    func transportDidReceive(_ bytes: ByteBuffer, binary: Bool)
    func transportDidClose(reason: String)
}
