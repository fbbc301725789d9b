import NIOCore
import Synchronization

/// Holds the transport's encoding of one message that goes to many peers (an EVENT to every
/// subscriber of a subscription), so the transport builds it once: for WebSocket, the whole
/// unmasked frame, header and payload in one buffer, then one write per subscriber.
public final class TransportEncodingCache: Sendable {
    private let stored = Mutex<ByteBuffer?>(nil)

    public init() {}

    /// The cached encoding, made by `make` on first use.
    public func encoding(orMake make: () -> ByteBuffer) -> ByteBuffer {
        stored.withLock { stored in
            if let encoding = stored { return encoding }
            let encoding = make()
            stored = encoding
            return encoding
        }
    }
}
