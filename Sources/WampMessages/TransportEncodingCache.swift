import NIOCore
import Synchronization

/// Holds the transport's encoding of one message that goes to many peers (an EVENT to every
/// subscriber of a subscription), so the transport builds it once: for WebSocket, the whole
/// unmasked frame, header and payload in one buffer, then one write per subscriber.
public final class TransportEncodingCache: Sendable {
    private let stored = Mutex<ByteBuffer?>(nil)
    /// RawSocket's frame of the same message: the receivers of one message may be on both.
    private let storedRawSocket = Mutex<ByteBuffer?>(nil)

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

    /// The cached RawSocket frame, made by `make` on first use (kept apart from `encoding`,
    /// which is WebSocket's).
    public func rawSocketEncoding(orMake make: () -> ByteBuffer) -> ByteBuffer {
        storedRawSocket.withLock { stored in
            if let encoding = stored { return encoding }
            let encoding = make()
            stored = encoding
            return encoding
        }
    }
}
