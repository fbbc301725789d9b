import NIOCore

/// Receives the events of one RawSocket connection, on its event loop, never from inside
/// `RawSocketConnection.send` (a close that a send causes is reported on a later tick), so a
/// sender may hold locks that these take.
public protocol RawSocketMessageHandler: AnyObject {
    /// Once, after the handshake, before any message.
    func rawSocketDidOpen(_ connection: RawSocketConnection)
    /// One whole message (type 0 frame).
    func rawSocket(_ connection: RawSocketConnection, didReceive message: ByteBuffer)
    /// A PONG answering one of our PINGs (only clients send PINGs).
    func rawSocket(_ connection: RawSocketConnection, didReceivePong payload: ByteBuffer)
    /// Exactly once, however the connection ends.
    func rawSocketDidClose(_ connection: RawSocketConnection, reason: String)
}

extension RawSocketMessageHandler {
    public func rawSocket(_ connection: RawSocketConnection, didReceivePong payload: ByteBuffer) {}
}
