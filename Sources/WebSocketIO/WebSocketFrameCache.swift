import NIOCore

/// Where the frames of one message that goes to many server connections (a WAMP EVENT to every
/// subscriber) are built once and shared by all of them, whatever event loop they run on.
///
/// A frame is only shareable when it does not depend on the connection: the uncompressed frame
/// always, a compressed one only for connections that compress without context takeover (RFC 7692
/// `server_no_context_takeover`), whose output depends on the message, the window size and the
/// level alone. Connections with context takeover compress against their own history and never
/// use the cache for compressed frames.
///
/// Keys (`WebSocketFrameCacheKey`): 0 the uncompressed frame; 9...15 the compressed frame for
/// that `server_max_window_bits` (level 1, the only level the server compresses with).
public protocol WebSocketFrameCache: AnyObject, Sendable {
    /// The frame stored under `key`, made by `make` on first use. Called from several event
    /// loops at once: `make` runs once per key (the others wait for its result), so a message is
    /// compressed once per window size, not once per connection.
    func encoding(key: Int, orMake make: () -> ByteBuffer) -> ByteBuffer
}

/// The keys WebSocketIO uses in a `WebSocketFrameCache`.
public enum WebSocketFrameCacheKey {
    /// The whole unmasked, uncompressed frame (`WebSocketFrameWriter.preparedFrame`).
    public static let uncompressed = 0

    /// The whole compressed frame (RSV1 set) for connections compressing without context takeover
    /// with a window of `windowBits` (9...15).
    public static func compressed(windowBits: Int) -> Int { windowBits }
}
