import WampMessages
import WebSocketIO

/// A fan-out message's cache is where its WebSocket frames are built once, compressed ones
/// included (`WebSocketConnection.send(_:kind:frameCache:)`).
extension TransportEncodingCache: WebSocketFrameCache {}
