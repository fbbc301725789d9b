import NIOCore

/// Echoes every message back with the same kind. The Autobahn TestSuite testee handler.
public final class WebSocketEchoHandler: WebSocketMessageHandler {
    public init() {}

    public func webSocketDidOpen(_ connection: WebSocketConnection) {}

    public func webSocket(_ connection: WebSocketConnection, didReceive message: ByteBuffer, kind: WebSocketMessageKind) {
        connection.send(message, kind: kind)
    }

    public func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason) {}
}
