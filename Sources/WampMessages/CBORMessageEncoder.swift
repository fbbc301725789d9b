import NIOCore

/// Writes a typed `WampMessage` as the CBOR array of `wamp.2.cbor`: the envelope directly,
/// Details/Options walked from jansson (`CBORWriter.json`), and the payload as its CBOR bytes,
/// unchanged. A payload in another serialization is converted first (once per message; that
/// throws when a value has no CBOR form). One buffer, sized for the payload up front.
public enum CBORMessageEncoder {
    public static func encode(_ message: WampMessage) throws(PayloadConversionError) -> ByteBuffer {
        var payload = message.payload ?? .empty
        if payload.serialization != .cbor { payload = try payload.converted(to: .cbor) }
        var buffer = ByteBufferAllocator().buffer(capacity: 128 + payload.byteCount)
        let payloadCount = payload.argumentsKwBytes != nil ? 2 : payload.argumentsBytes != nil ? 1 : 0
        func start(_ fields: Int) {
            CBORWriter.head(CBORHead.array, UInt64(fields + 1), into: &buffer)
            CBORWriter.integer(message.code.rawValue, into: &buffer)
        }
        func id(_ value: WampID) { CBORWriter.head(CBORHead.unsigned, value, into: &buffer) }
        func text(_ value: String) { CBORWriter.text(value, into: &buffer) }
        func dict(_ value: JSONValue) { CBORWriter.json(value.pointer, into: &buffer) }
        func writePayload() {
            if let arguments = payload.argumentsBytes {
                buffer.writeImmutableBuffer(arguments)
            } else if payload.argumentsKwBytes != nil {
                CBORWriter.head(CBORHead.array, 0, into: &buffer)
            }
            if let argumentsKw = payload.argumentsKwBytes { buffer.writeImmutableBuffer(argumentsKw) }
        }
        switch message {
        case .hello(let m):
            start(2); text(m.realm); dict(m.details)
        case .welcome(let m):
            start(2); id(m.session); dict(m.details)
        case .abort(let m):
            start(2); dict(m.details); text(m.reason)
        case .challenge(let m):
            start(2); text(m.authMethod); dict(m.extra)
        case .authenticate(let m):
            start(2); text(m.signature); dict(m.extra)
        case .goodbye(let m):
            start(2); dict(m.details); text(m.reason)
        case .error(let m):
            start(4 + payloadCount)
            CBORWriter.integer(m.requestType.rawValue, into: &buffer); id(m.request); dict(m.details); text(m.error)
            writePayload()
        case .publish(let m):
            start(3 + payloadCount); id(m.request); dict(m.options); text(m.topic); writePayload()
        case .published(let m):
            start(2); id(m.request); id(m.publication)
        case .subscribe(let m):
            start(3); id(m.request); dict(m.options); text(m.topic)
        case .subscribed(let m):
            start(2); id(m.request); id(m.subscription)
        case .unsubscribe(let m):
            start(2); id(m.request); id(m.subscription)
        case .unsubscribed(let m):
            start(m.details == nil ? 1 : 2); id(m.request)
            if let details = m.details { dict(details) }
        case .event(let m):
            start(3 + payloadCount); id(m.subscription); id(m.publication); dict(m.details); writePayload()
        case .call(let m):
            start(3 + payloadCount); id(m.request); dict(m.options); text(m.procedure); writePayload()
        case .cancel(let m):
            start(2); id(m.request); dict(m.options)
        case .result(let m):
            start(2 + payloadCount); id(m.request); dict(m.details); writePayload()
        case .register(let m):
            start(3); id(m.request); dict(m.options); text(m.procedure)
        case .registered(let m):
            start(2); id(m.request); id(m.registration)
        case .unregister(let m):
            start(2); id(m.request); id(m.registration)
        case .unregistered(let m):
            start(m.details == nil ? 1 : 2); id(m.request)
            if let details = m.details { dict(details) }
        case .invocation(let m):
            start(3 + payloadCount); id(m.request); id(m.registration); dict(m.details); writePayload()
        case .interrupt(let m):
            start(2); id(m.request); dict(m.options)
        case .yield(let m):
            start(2 + payloadCount); id(m.request); dict(m.options); writePayload()
        }
        return buffer
    }
}
