/// The payload of the seven message types that carry one, read and replaced generically, so
/// codecs can convert a forwarded payload without a switch of their own.
extension WampMessage {
    public var payload: Payload? {
        switch self {
        case .error(let m): m.payload
        case .publish(let m): m.payload
        case .event(let m): m.payload
        case .call(let m): m.payload
        case .result(let m): m.payload
        case .invocation(let m): m.payload
        case .yield(let m): m.payload
        default: nil
        }
    }

    /// The serialization of the payload, nil for a message without one. Reads the tag alone
    /// (no copy of the payload's buffers): the JSON encoder asks it of every forwarded message.
    public var payloadSerialization: WampSerialization? {
        switch self {
        case .error(let m): m.payload.serialization
        case .publish(let m): m.payload.serialization
        case .event(let m): m.payload.serialization
        case .call(let m): m.payload.serialization
        case .result(let m): m.payload.serialization
        case .invocation(let m): m.payload.serialization
        case .yield(let m): m.payload.serialization
        default: nil
        }
    }

    /// The same message with `payload` in place of its own; messages without a payload are
    /// returned unchanged.
    public func replacingPayload(_ payload: Payload) -> WampMessage {
        switch self {
        case .error(var m): m.payload = payload; return .error(m)
        case .publish(var m): m.payload = payload; return .publish(m)
        case .event(var m): m.payload = payload; return .event(m)
        case .call(var m): m.payload = payload; return .call(m)
        case .result(var m): m.payload = payload; return .result(m)
        case .invocation(var m): m.payload = payload; return .invocation(m)
        case .yield(var m): m.payload = payload; return .yield(m)
        default: return self
        }
    }
}
