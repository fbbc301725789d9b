/// Why `RawSocketClient.connect` failed.
public enum RawSocketClientError: Error, Equatable {
    /// The router answered the handshake with this error code (`RawSocketHandshakeError`).
    case refused(code: UInt8)
    /// The router's reply was not a valid handshake reply.
    case invalidReply(String)
    /// The connection closed before the reply.
    case closedDuringHandshake
}
