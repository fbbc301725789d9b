import NIOCore

/// Turns a typed `WampMessage` into its `wamp.2.msgpack` bytes: the WAMP array with the
/// envelope written directly (codes and IDs as unsigned integers in their smallest form, URIs as
/// strings), Details/Options walked from jansson, and the payload as the MessagePack bytes it
/// already is. A payload in another serialization is converted first, once; that throws when a
/// value has no MessagePack form. Fields go in the order of `MessageEncoder` (the spec's).
public enum MsgpackMessageEncoder {
    public static func encode(_ message: WampMessage) throws(PayloadConversionError) -> ByteBuffer {
        guard let payload = message.payload, payload.serialization != .msgpack else { return try write(message) }
        return try write(message.replacingPayload(try payload.converted(to: .msgpack)))
    }

    /// `message` with a payload that is MessagePack (or absent).
    private static func write(_ message: WampMessage) throws(PayloadConversionError) -> ByteBuffer {
        var writer = MsgpackWriter(capacity: 128 + (message.payload?.byteCount ?? 0))
        let code = UInt64(message.code.rawValue)
        switch message {
        case .hello(let m):
            try header(&writer, 3, code); try writer.string(m.realm); try writer.json(m.details.pointer)
        case .welcome(let m):
            try header(&writer, 3, code); writer.unsigned(m.session); try writer.json(m.details.pointer)
        case .abort(let m):
            try header(&writer, 3, code); try writer.json(m.details.pointer); try writer.string(m.reason)
        case .challenge(let m):
            try header(&writer, 3, code); try writer.string(m.authMethod); try writer.json(m.extra.pointer)
        case .authenticate(let m):
            try header(&writer, 3, code); try writer.string(m.signature); try writer.json(m.extra.pointer)
        case .goodbye(let m):
            try header(&writer, 3, code); try writer.json(m.details.pointer); try writer.string(m.reason)
        case .error(let m):
            try header(&writer, 5 + payloadCount(m.payload), code)
            writer.unsigned(UInt64(m.requestType.rawValue)); writer.unsigned(m.request); try writer.json(m.details.pointer)
            try writer.string(m.error); payload(&writer, m.payload)
        case .publish(let m):
            try header(&writer, 4 + payloadCount(m.payload), code)
            writer.unsigned(m.request); try writer.json(m.options.pointer); try writer.string(m.topic); payload(&writer, m.payload)
        case .published(let m):
            try header(&writer, 3, code); writer.unsigned(m.request); writer.unsigned(m.publication)
        case .subscribe(let m):
            try header(&writer, 4, code); writer.unsigned(m.request); try writer.json(m.options.pointer); try writer.string(m.topic)
        case .subscribed(let m):
            try header(&writer, 3, code); writer.unsigned(m.request); writer.unsigned(m.subscription)
        case .unsubscribe(let m):
            try header(&writer, 3, code); writer.unsigned(m.request); writer.unsigned(m.subscription)
        case .unsubscribed(let m):
            try header(&writer, m.details == nil ? 2 : 3, code); writer.unsigned(m.request)
            if let details = m.details { try writer.json(details.pointer) }
        case .event(let m):
            try header(&writer, 4 + payloadCount(m.payload), code)
            writer.unsigned(m.subscription); writer.unsigned(m.publication); try writer.json(m.details.pointer)
            payload(&writer, m.payload)
        case .call(let m):
            try header(&writer, 4 + payloadCount(m.payload), code)
            writer.unsigned(m.request); try writer.json(m.options.pointer); try writer.string(m.procedure)
            payload(&writer, m.payload)
        case .cancel(let m):
            try header(&writer, 3, code); writer.unsigned(m.request); try writer.json(m.options.pointer)
        case .result(let m):
            try header(&writer, 3 + payloadCount(m.payload), code)
            writer.unsigned(m.request); try writer.json(m.details.pointer); payload(&writer, m.payload)
        case .register(let m):
            try header(&writer, 4, code); writer.unsigned(m.request); try writer.json(m.options.pointer); try writer.string(m.procedure)
        case .registered(let m):
            try header(&writer, 3, code); writer.unsigned(m.request); writer.unsigned(m.registration)
        case .unregister(let m):
            try header(&writer, 3, code); writer.unsigned(m.request); writer.unsigned(m.registration)
        case .unregistered(let m):
            try header(&writer, m.details == nil ? 2 : 3, code); writer.unsigned(m.request)
            if let details = m.details { try writer.json(details.pointer) }
        case .invocation(let m):
            try header(&writer, 4 + payloadCount(m.payload), code)
            writer.unsigned(m.request); writer.unsigned(m.registration); try writer.json(m.details.pointer)
            payload(&writer, m.payload)
        case .interrupt(let m):
            try header(&writer, 3, code); writer.unsigned(m.request); try writer.json(m.options.pointer)
        case .yield(let m):
            try header(&writer, 3 + payloadCount(m.payload), code)
            writer.unsigned(m.request); try writer.json(m.options.pointer); payload(&writer, m.payload)
        }
        return writer.buffer
    }

    private static func header(_ writer: inout MsgpackWriter, _ count: Int, _ code: UInt64) throws(PayloadConversionError) {
        try writer.arrayHeader(count)
        writer.unsigned(code)
    }

    /// Elements the payload adds: none, Arguments, or Arguments and ArgumentsKw.
    private static func payloadCount(_ payload: Payload) -> Int {
        payload.argumentsKwBytes != nil ? 2 : payload.argumentsBytes != nil ? 1 : 0
    }

    /// `Arguments` then `ArgumentsKw`, omitting what is absent; an empty list stands in for
    /// absent `Arguments` when `ArgumentsKw` is present.
    private static func payload(_ writer: inout MsgpackWriter, _ payload: Payload) {
        if let arguments = payload.argumentsBytes {
            writer.raw(arguments)
        } else if payload.argumentsKwBytes != nil {
            writer.buffer.writeInteger(UInt8(0x90))
        }
        if let argumentsKw = payload.argumentsKwBytes { writer.raw(argumentsKw) }
    }
}
