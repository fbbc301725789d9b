import NIOCore

/// What a message sent to many connections shares between them, carried with the message
/// through the cross-thread queue to the channel handler that writes it.
package enum SharedFrameSource: Sendable {
    /// Nothing: the connection frames (and, on WebSocket, compresses) the message itself.
    case none
    /// The caller's whole frame for this transport, written as it is.
    case prepared(ByteBuffer)
    /// Frames built on first use by whichever connection needs them first.
    case cache(any SharedFrameCache)
}
