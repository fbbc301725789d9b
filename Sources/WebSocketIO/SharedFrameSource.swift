import NIOCore

/// What a message sent to many server connections shares between them, carried with the message
/// through `WebSocketConnection`'s cross-thread queue to the channel handler.
enum SharedFrameSource {
    /// Nothing: the connection frames (and compresses) the message itself.
    case none
    /// The caller's uncompressed frame (`WebSocketFrameWriter.preparedFrame`).
    case prepared(ByteBuffer)
    /// Frames built on first use, uncompressed or compressed without context takeover.
    case cache(any WebSocketFrameCache)
}
