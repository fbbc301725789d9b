/// Turns a typed `WampMessage` into the compact JSON text of its WAMP array.
public enum MessageEncoder {
    /// The JSON text of a message whose payload may be in any serialization: converted first
    /// when it is not JSON (throws when a value has no JSON form).
    public static func encodeConverting(_ message: WampMessage) throws(PayloadConversionError) -> EncodedMessage {
        guard let serialization = message.payloadSerialization, serialization != .json, let payload = message.payload else {
            return encode(message)
        }
        return encode(message.replacingPayload(try payload.converted(to: .json)))
    }

    /// The JSON text of a message whose payload is JSON (or absent): what clients and the
    /// router build themselves. A payload in another serialization is a programming error here;
    /// `encodeConverting` (or `WampSerialization.encode`) is the path for forwarded messages.
    public static func encode(_ message: WampMessage) -> EncodedMessage {
        var writer = JSONWriter(capacity: 64 + payloadSize(message))
        writer.integer(message.code.rawValue)
        switch message {
        case .hello(let m):
            writer.string(m.realm); writer.value(m.details)
        case .welcome(let m):
            writer.id(m.session); writer.value(m.details)
        case .abort(let m):
            writer.value(m.details); writer.string(m.reason)
        case .challenge(let m):
            writer.string(m.authMethod); writer.value(m.extra)
        case .authenticate(let m):
            writer.string(m.signature); writer.value(m.extra)
        case .goodbye(let m):
            writer.value(m.details); writer.string(m.reason)
        case .error(let m):
            writer.integer(m.requestType.rawValue); writer.id(m.request); writer.value(m.details)
            writer.string(m.error); writer.payload(m.payload)
        case .publish(let m):
            writer.id(m.request); writer.value(m.options); writer.string(m.topic); writer.payload(m.payload)
        case .published(let m):
            writer.id(m.request); writer.id(m.publication)
        case .subscribe(let m):
            writer.id(m.request); writer.value(m.options); writer.string(m.topic)
        case .subscribed(let m):
            writer.id(m.request); writer.id(m.subscription)
        case .unsubscribe(let m):
            writer.id(m.request); writer.id(m.subscription)
        case .unsubscribed(let m):
            writer.id(m.request)
            if let details = m.details { writer.value(details) }
        case .event(let m):
            writer.id(m.subscription); writer.id(m.publication); writer.value(m.details); writer.payload(m.payload)
        case .call(let m):
            writer.id(m.request); writer.value(m.options); writer.string(m.procedure); writer.payload(m.payload)
        case .cancel(let m):
            writer.id(m.request); writer.value(m.options)
        case .result(let m):
            writer.id(m.request); writer.value(m.details); writer.payload(m.payload)
        case .register(let m):
            writer.id(m.request); writer.value(m.options); writer.string(m.procedure)
        case .registered(let m):
            writer.id(m.request); writer.id(m.registration)
        case .unregister(let m):
            writer.id(m.request); writer.id(m.registration)
        case .unregistered(let m):
            writer.id(m.request)
            if let details = m.details { writer.value(details) }
        case .invocation(let m):
            writer.id(m.request); writer.id(m.registration); writer.value(m.details); writer.payload(m.payload)
        case .interrupt(let m):
            writer.id(m.request); writer.value(m.options)
        case .yield(let m):
            writer.id(m.request); writer.value(m.options); writer.payload(m.payload)
        }
        return EncodedMessage(bytes: writer.finish())
    }

    private static func payloadSize(_ message: WampMessage) -> Int {
        switch message {
        case .error(let m): m.payload.byteCount
        case .publish(let m): m.payload.byteCount
        case .event(let m): m.payload.byteCount
        case .call(let m): m.payload.byteCount
        case .result(let m): m.payload.byteCount
        case .invocation(let m): m.payload.byteCount
        case .yield(let m): m.payload.byteCount
        default: 0
        }
    }
}
