import NIOCore

/// Receives the events of one WebSocket connection. All three methods are called on the
/// connection's event loop, and never from inside `WebSocketConnection.send` (a close that a
/// send causes is reported on a later loop tick), so a sender may hold locks that these take.
public protocol WebSocketMessageHandler: AnyObject {
    /// Called once, after the upgrade, before any message.
    func webSocketDidOpen(_ connection: WebSocketConnection)
    /// A complete message: reassembled from its fragments, decompressed, and for text validated
    /// as UTF-8.
    func webSocket(_ connection: WebSocketConnection, didReceive message: ByteBuffer, kind: WebSocketMessageKind)
    /// Called exactly once however the connection ends (closing handshake, TCP drop, protocol
    /// error, backlog overflow).
    func webSocketDidClose(_ connection: WebSocketConnection, reason: WebSocketCloseReason)
}
