/// Kind of a WebSocket data message.
public enum WebSocketMessageKind: Sendable, Equatable {
    case text
    case binary
}
