import NIOCore

/// One message on its way out, as every transport's outbound queue carries it.
///
/// One concrete type for all transports, not a generic parameter of the queue: the queue lives
/// in this module and its callers in others, and a generic queue ran unspecialised there, paying
/// runtime metadata lookups on every message (about 4,600 router instructions per RPC in the
/// callgrind comparison in BENCHMARKS.md).
package struct OutboundMessage: Sendable {
    package var payload: ByteBuffer
    /// WebSocket's frame type (binary for MessagePack and CBOR); RawSocket has one message type.
    package var isBinary: Bool
    package var shared: SharedFrameSource

    @inlinable
    package init(payload: ByteBuffer, isBinary: Bool = false, shared: SharedFrameSource = .none) {
        self.payload = payload
        self.isBinary = isBinary
        self.shared = shared
    }
}
