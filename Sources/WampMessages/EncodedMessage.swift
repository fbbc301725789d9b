import NIOCore

/// The JSON text of one WAMP message, ready to go out as a WebSocket text frame.
///
/// Encoding happens once, on the thread that routes the message, and the bytes are then shared by
/// every peer they go to (all subscribers of one subscription get the same EVENT bytes).
public struct EncodedMessage: Sendable, CustomStringConvertible {
    public var bytes: ByteBuffer
    /// Set on messages that go to many peers, so the transport frames them once.
    public var transportCache: TransportEncodingCache?

    public init(bytes: ByteBuffer, transportCache: TransportEncodingCache? = nil) {
        self.bytes = bytes
        self.transportCache = transportCache
    }

    public var description: String { String(buffer: bytes) }
}
