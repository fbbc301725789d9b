import NIOCore

/// The cache a fan-out shares between WebSocket connections (see `SharedFrameCache`); the name
/// WebSocketIO's callers know it by.
public typealias WebSocketFrameCache = SharedFrameCache

/// The keys WebSocketIO uses in a `WebSocketFrameCache`.
public enum WebSocketFrameCacheKey {
    /// The whole unmasked, uncompressed frame (`WebSocketFrameWriter.preparedFrame`).
    public static let uncompressed = 0

    /// The whole compressed frame (RSV1 set) for connections compressing without context takeover
    /// with a window of `windowBits` (9...15).
    public static func compressed(windowBits: Int) -> Int { windowBits }
}
