import NIOCore
import Synchronization

/// Holds the transport's encodings of one message that goes to many peers (an EVENT to every
/// subscriber of a subscription), so the transport builds each once: for WebSocket, the whole
/// unmasked frame, header and payload in one buffer, then one write per subscriber; and the
/// compressed frame for subscribers that compress without context takeover, once per window size.
///
/// Shared by the event loops of all the subscribers: a lock, held while an encoding is made, so
/// each is made once (the loops that want it meanwhile wait for it rather than make it again).
public final class TransportEncodingCache: Sendable {
    /// Most messages need one encoding (every subscriber uncompressed, or every one compressing
    /// with the same window): that one is inline, the rest (rare) in an array made on demand.
    private struct Slots {
        var firstKey = 0
        var first: ByteBuffer?
        var others: [(key: Int, encoding: ByteBuffer)] = []
    }

    private let slots = Mutex(Slots())

    public init() {}

    /// The cached encoding of key 0 (the uncompressed WebSocket frame), made by `make` on first use.
    public func encoding(orMake make: () -> ByteBuffer) -> ByteBuffer {
        self.encoding(key: 0, orMake: make)
    }

    /// The cached RawSocket frame (its own key, -1: the receivers of one message may be on both
    /// transports, and a RawSocket frame is not a WebSocket one).
    public func rawSocketEncoding(orMake make: () -> ByteBuffer) -> ByteBuffer {
        self.encoding(key: Self.rawSocketKey, orMake: make)
    }

    public static let rawSocketKey = -1

    /// The cached encoding stored under `key`, made by `make` on first use. Keys belong to the
    /// transport (WebSocketIO's `WebSocketFrameCacheKey`: 0 uncompressed, 9...15 compressed with
    /// that window); a transport that frames differently must use keys of its own.
    public func encoding(key: Int, orMake make: () -> ByteBuffer) -> ByteBuffer {
        self.slots.withLock { slots in
            if let first = slots.first {
                if slots.firstKey == key { return first }
                for slot in slots.others where slot.key == key { return slot.encoding }
                let encoding = make()
                slots.others.append((key, encoding))
                return encoding
            }
            let encoding = make()
            slots.firstKey = key
            slots.first = encoding
            return encoding
        }
    }
}
