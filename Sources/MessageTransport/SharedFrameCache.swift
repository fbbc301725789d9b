import NIOCore

/// Where the frames of one message that goes to many connections (a WAMP EVENT to every
/// subscriber) are built once and shared by all of them, whatever event loop they run on.
///
/// A frame is only shareable when it does not depend on the connection: the uncompressed frame
/// always, a compressed one only for connections that compress without context takeover (RFC 7692
/// `server_no_context_takeover`), whose output depends on the message, the window size and the
/// level alone. Connections with context takeover compress against their own history and never
/// use the cache for compressed frames.
///
/// Each transport owns its keys (`WebSocketFrameCacheKey`: 0 the uncompressed frame, 9...15 the
/// compressed frame for that `server_max_window_bits`; RawSocket's frame is -1).
///
/// It lives here, not in WebSocketIO, so that the shared outbound queue carries it in a concrete
/// (non-generic) message type.
public protocol SharedFrameCache: AnyObject, Sendable {
    /// The frame stored under `key`, made by `make` on first use. Called from several event
    /// loops at once: `make` runs once per key (the others wait for its result), so a message is
    /// compressed once per window size, not once per connection.
    func encoding(key: Int, orMake make: () -> ByteBuffer) -> ByteBuffer
}
