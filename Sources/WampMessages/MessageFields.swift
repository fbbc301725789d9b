import CJansson
import NIOCore

/// Field access over one decoded message, with the checks the spec asks of each field; shared
/// by the three message decoders, so a MessagePack or CBOR message is held to exactly the rules
/// a JSON one is. `array` holds the envelope elements only (as jansson values, whatever the
/// serialization); payload elements come as slices of the received bytes.
struct MessageFields {
    let array: UnsafeMutablePointer<json_t>
    /// Keeps `array` alive while the fields are read and shared by the values they return.
    let owner: JSONValue
    /// Elements in the message, payload included.
    let count: Int
    /// Bit i: envelope element i is an integer beyond 64 bits (an out-of-range ID, not a type error).
    let bigIntegerElements: UInt8
    let payload: PayloadElements

    func message(_ code: MessageCode) throws(WampDecodeError) -> WampMessage {
        switch code {
        case .hello:
            return .hello(Hello(realm: try string(1, code, "Realm"), details: try dict(2, code, "Details")))
        case .welcome:
            return .welcome(Welcome(session: try id(1, code, "Session"), details: try dict(2, code, "Details")))
        case .abort:
            return .abort(Abort(details: try dict(1, code, "Details"), reason: try string(2, code, "Reason")))
        case .challenge:
            return .challenge(Challenge(authMethod: try string(1, code, "AuthMethod"), extra: try dict(2, code, "Extra")))
        case .authenticate:
            return .authenticate(Authenticate(signature: try string(1, code, "Signature"), extra: try dict(2, code, "Extra")))
        case .goodbye:
            return .goodbye(Goodbye(details: try dict(1, code, "Details"), reason: try string(2, code, "Reason")))
        case .error:
            let typeCode = integer(at: 1)
            guard let typeCode, let requestType = MessageCode(rawValue: typeCode) else {
                throw WampDecodeError(.wrongFieldType, "ERROR.REQUEST.Type must be a known message code")
            }
            return .error(ErrorMessage(
                requestType: requestType, request: try id(2, code, "Request"), details: try dict(3, code, "Details"),
                error: try string(4, code, "Error"), payload: try payload(from: 5, code)))
        case .publish:
            return .publish(Publish(
                request: try id(1, code, "Request"), options: try dict(2, code, "Options"),
                topic: try string(3, code, "Topic"), payload: try payload(from: 4, code)))
        case .published:
            return .published(Published(request: try id(1, code, "Request"), publication: try id(2, code, "Publication")))
        case .subscribe:
            return .subscribe(Subscribe(
                request: try id(1, code, "Request"), options: try dict(2, code, "Options"), topic: try string(3, code, "Topic")))
        case .subscribed:
            return .subscribed(Subscribed(request: try id(1, code, "Request"), subscription: try id(2, code, "Subscription")))
        case .unsubscribe:
            return .unsubscribe(Unsubscribe(request: try id(1, code, "Request"), subscription: try id(2, code, "Subscription")))
        case .unsubscribed:
            if count == 3 {
                return .unsubscribed(Unsubscribed(request: try id(1, code, "Request", allowZero: true), details: try dict(2, code, "Details")))
            }
            return .unsubscribed(Unsubscribed(request: try id(1, code, "Request")))
        case .event:
            return .event(Event(
                subscription: try id(1, code, "Subscription"), publication: try id(2, code, "Publication"),
                details: try dict(3, code, "Details"), payload: try payload(from: 4, code)))
        case .call:
            return .call(Call(
                request: try id(1, code, "Request"), options: try dict(2, code, "Options"),
                procedure: try string(3, code, "Procedure"), payload: try payload(from: 4, code)))
        case .cancel:
            return .cancel(Cancel(request: try id(1, code, "Request"), options: try dict(2, code, "Options")))
        case .result:
            return .result(Result(
                request: try id(1, code, "Request"), details: try dict(2, code, "Details"), payload: try payload(from: 3, code)))
        case .register:
            return .register(Register(
                request: try id(1, code, "Request"), options: try dict(2, code, "Options"), procedure: try string(3, code, "Procedure")))
        case .registered:
            return .registered(Registered(request: try id(1, code, "Request"), registration: try id(2, code, "Registration")))
        case .unregister:
            return .unregister(Unregister(request: try id(1, code, "Request"), registration: try id(2, code, "Registration")))
        case .unregistered:
            if count == 3 {
                return .unregistered(Unregistered(request: try id(1, code, "Request", allowZero: true), details: try dict(2, code, "Details")))
            }
            return .unregistered(Unregistered(request: try id(1, code, "Request")))
        case .invocation:
            return .invocation(Invocation(
                request: try id(1, code, "Request"), registration: try id(2, code, "Registration"),
                details: try dict(3, code, "Details"), payload: try payload(from: 4, code)))
        case .interrupt:
            return .interrupt(Interrupt(request: try id(1, code, "Request"), options: try dict(2, code, "Options")))
        case .yield:
            return .yield(Yield(
                request: try id(1, code, "Request"), options: try dict(2, code, "Options"), payload: try payload(from: 3, code)))
        }
    }

    // MARK: Envelope fields (jansson values)

    private func element(_ index: Int) -> UnsafeMutablePointer<json_t> {
        json_array_get(array, index)!
    }

    /// An integer beyond 64 bits reaches jansson as a real (see `EnvelopeLoader`), so it is `nil`.
    private func integer(at index: Int) -> Int64? {
        let value = element(index)
        return value.pointee.type == JSON_INTEGER ? json_integer_value(value) : nil
    }

    private func id(_ index: Int, _ code: MessageCode, _ name: String, allowZero: Bool = false) throws(WampDecodeError) -> WampID {
        guard let value = integer(at: index) else {
            if index < 8 && bigIntegerElements & (1 << UInt8(index)) != 0 {
                throw WampDecodeError(.idOutOfRange, "\(code.name).\(name) must be an ID in 1...2^53")
            }
            throw WampDecodeError(.wrongFieldType, "\(code.name).\(name) must be an integer")
        }
        guard WampIDRange.contains(value) || (allowZero && value == 0) else {
            throw WampDecodeError(.idOutOfRange, "\(code.name).\(name) must be an ID in 1...2^53, got \(value)")
        }
        return WampID(value)
    }

    private func string(_ index: Int, _ code: MessageCode, _ name: String) throws(WampDecodeError) -> String {
        guard let value = JSONValue.string(of: element(index)) else {
            throw WampDecodeError(.wrongFieldType, "\(code.name).\(name) must be a string")
        }
        return value
    }

    private func dict(_ index: Int, _ code: MessageCode, _ name: String) throws(WampDecodeError) -> JSONValue {
        let value = element(index)
        guard value.pointee.type == JSON_OBJECT else {
            throw WampDecodeError(.wrongFieldType, "\(code.name).\(name) must be a dict")
        }
        return JSONValue(borrowing: value)
    }

    // MARK: Payload (slices of the received bytes, validated by the decoder's scanner)

    /// `Arguments|list` at `index` and `ArgumentsKw|dict` after it, kept as the bytes the peer sent.
    private func payload(from index: Int, _ code: MessageCode) throws(WampDecodeError) -> Payload {
        guard count > index, let arguments = payload.arguments else { return .empty }
        guard arguments.kind == .list else {
            throw WampDecodeError(.wrongFieldType, "\(code.name).Arguments must be a list")
        }
        guard count > index + 1, let argumentsKw = payload.argumentsKw else {
            return Payload(serialization: payload.serialization, argumentsBytes: arguments.bytes, argumentsKwBytes: nil)
        }
        guard argumentsKw.kind == .dict else {
            throw WampDecodeError(.wrongFieldType, "\(code.name).ArgumentsKw must be a dict")
        }
        return Payload(serialization: payload.serialization, argumentsBytes: arguments.bytes, argumentsKwBytes: argumentsKw.bytes)
    }
}

/// The `Arguments` and `ArgumentsKw` elements of a received message, as a decoder found them.
struct PayloadElements {
    enum Kind { case list, dict, other }

    struct Element {
        /// The element's bytes, a slice of the received message.
        var bytes: ByteBuffer
        /// The container the element is (checked against the spec's list and dict).
        var kind: Kind
    }

    var serialization: WampSerialization
    var arguments: Element? = nil
    var argumentsKw: Element? = nil
}

extension PayloadElements {
    /// The elements after `shape`'s envelope, as slices of `buffer` where `layout` found them,
    /// each classified by its first byte with the serialization's own `kind` rule.
    init(_ serialization: WampSerialization, shape: MessageShape, buffer: ByteBuffer, layout: MessageLayout,
         kind: (UInt8) -> Kind) {
        self.init(serialization: serialization)
        guard shape.hasPayload, layout.count > shape.fixed else { return }
        func element(_ index: Int) -> Element? {
            guard layout.count > index else { return nil }
            let range = layout.range(index)
            let slice = buffer.getSlice(at: buffer.readerIndex + range.lowerBound, length: range.count)!
            return Element(bytes: slice, kind: slice.getInteger(at: slice.readerIndex, as: UInt8.self).map(kind) ?? .other)
        }
        arguments = element(shape.fixed)
        argumentsKw = element(shape.fixed + 1)
    }
}
