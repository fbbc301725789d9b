import NIOWebSocket

/// Why a WebSocket connection ended, as reported to `WebSocketMessageHandler.webSocketDidClose`.
public struct WebSocketCloseReason: Sendable, Equatable {
    /// Close code of the closing handshake (the frame that started it, ours or the peer's);
    /// `nil` when the connection ended without one (TCP drop) or the close frame carried no code.
    public var code: WebSocketErrorCode?
    public var reason: String
    /// True when this side started the closing handshake (API close, protocol error, backlog).
    public var initiatedLocally: Bool

    public init(code: WebSocketErrorCode?, reason: String) {
        self.init(code: code, reason: reason, initiatedLocally: false)
    }

    public init(code: WebSocketErrorCode?, reason: String, initiatedLocally: Bool) {
        self.code = code
        self.reason = reason
        self.initiatedLocally = initiatedLocally
    }
}
