import NIOCore

/// One WAMP message in one serialization, ready to go out (JSON as a WebSocket text frame,
/// MessagePack and CBOR as binary frames, any of them as a RawSocket message).
///
/// Encoding happens once, on the thread that routes the message, and the bytes are then shared by
/// every peer they go to (all subscribers of one subscription get the same EVENT bytes).
public struct EncodedMessage: Sendable, CustomStringConvertible {
    public var bytes: ByteBuffer
    /// The serialization `bytes` are in, which decides the frame type.
    public var serialization: WampSerialization
    /// Set on messages that go to many peers, so the transport frames them once.
    public var transportCache: TransportEncodingCache?

    public init(bytes: ByteBuffer, serialization: WampSerialization = .json, transportCache: TransportEncodingCache? = nil) {
        self.bytes = bytes
        self.serialization = serialization
        self.transportCache = transportCache
    }

    public var description: String { String(buffer: bytes) }
}
