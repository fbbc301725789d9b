import CJansson
import NIOCore

/// Turns the bytes of one text frame into a typed `WampMessage`, or a `WampDecodeError` that says
/// what is wrong in words a peer can act on. Never traps on any input.
public enum MessageDecoder {
    public static func decode(_ buffer: ByteBuffer) throws(WampDecodeError) -> WampMessage {
        var error = json_error_t()
        var integersAsReals = false
        var root = buffer.withUnsafeReadableBytes { bytes in
            json_loadb(bytes.baseAddress, bytes.count, JanssonFlags.decode, &error)
        }
        if root == nil, json_error_code(&error) == json_error_numeric_overflow {
            // An application payload may hold integers beyond 64 bits. They are valid JSON, and
            // the payload travels as its original bytes anyway, so parse again with every number
            // as a double just to validate and to read the envelope.
            integersAsReals = true
            root = buffer.withUnsafeReadableBytes { bytes in
                json_loadb(bytes.baseAddress, bytes.count, JanssonFlags.decodeIntegersAsReals, &error)
            }
        }
        guard let root else {
            let text = withUnsafeBytes(of: &error.text) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
            throw WampDecodeError(.invalidJSON, "message is not valid JSON: \(text) at byte \(error.position)")
        }
        let owner = JSONValue(owning: root)
        guard root.pointee.type == JSON_ARRAY else {
            throw WampDecodeError(.notAnArray, "a WAMP message must be a JSON array")
        }
        let fields = Fields(array: root, owner: owner, buffer: buffer, integersAsReals: integersAsReals)
        return try fields.message()
    }
}

/// Field access over one decoded message array, with the checks the spec asks of each field.
private struct Fields {
    let array: UnsafeMutablePointer<json_t>
    let owner: JSONValue
    let buffer: ByteBuffer
    let integersAsReals: Bool
    let count: Int

    init(array: UnsafeMutablePointer<json_t>, owner: JSONValue, buffer: ByteBuffer, integersAsReals: Bool) {
        self.array = array
        self.owner = owner
        self.buffer = buffer
        self.integersAsReals = integersAsReals
        self.count = json_array_size(array)
    }

    func message() throws(WampDecodeError) -> WampMessage {
        guard count > 0 else { throw WampDecodeError(.emptyArray, "a WAMP message must not be an empty array") }
        guard let rawCode = integer(at: 0) else {
            throw WampDecodeError(.invalidMessageCode, "the first element of a WAMP message must be an integer message code")
        }
        guard let code = MessageCode(rawValue: rawCode) else {
            throw WampDecodeError(.unknownMessageCode, "unknown WAMP message code \(rawCode)")
        }
        switch code {
        case .hello:
            try arity(code, 3)
            return .hello(Hello(realm: try string(1, code, "Realm"), details: try dict(2, code, "Details")))
        case .welcome:
            try arity(code, 3)
            return .welcome(Welcome(session: try id(1, code, "Session"), details: try dict(2, code, "Details")))
        case .abort:
            try arity(code, 3)
            return .abort(Abort(details: try dict(1, code, "Details"), reason: try string(2, code, "Reason")))
        case .challenge:
            try arity(code, 3)
            return .challenge(Challenge(authMethod: try string(1, code, "AuthMethod"), extra: try dict(2, code, "Extra")))
        case .authenticate:
            try arity(code, 3)
            return .authenticate(Authenticate(signature: try string(1, code, "Signature"), extra: try dict(2, code, "Extra")))
        case .goodbye:
            try arity(code, 3)
            return .goodbye(Goodbye(details: try dict(1, code, "Details"), reason: try string(2, code, "Reason")))
        case .error:
            try arity(code, 5, payload: true)
            let typeCode = integer(at: 1)
            guard let typeCode, let requestType = MessageCode(rawValue: typeCode) else {
                throw WampDecodeError(.wrongFieldType, "ERROR.REQUEST.Type must be a known message code")
            }
            return .error(ErrorMessage(
                requestType: requestType, request: try id(2, code, "Request"), details: try dict(3, code, "Details"),
                error: try string(4, code, "Error"), payload: try payload(from: 5, code)))
        case .publish:
            try arity(code, 4, payload: true)
            return .publish(Publish(
                request: try id(1, code, "Request"), options: try dict(2, code, "Options"),
                topic: try string(3, code, "Topic"), payload: try payload(from: 4, code)))
        case .published:
            try arity(code, 3)
            return .published(Published(request: try id(1, code, "Request"), publication: try id(2, code, "Publication")))
        case .subscribe:
            try arity(code, 4)
            return .subscribe(Subscribe(
                request: try id(1, code, "Request"), options: try dict(2, code, "Options"), topic: try string(3, code, "Topic")))
        case .subscribed:
            try arity(code, 3)
            return .subscribed(Subscribed(request: try id(1, code, "Request"), subscription: try id(2, code, "Subscription")))
        case .unsubscribe:
            try arity(code, 3)
            return .unsubscribe(Unsubscribe(request: try id(1, code, "Request"), subscription: try id(2, code, "Subscription")))
        case .unsubscribed:
            try arity(code, 2, optional: 1)
            if count == 3 {
                return .unsubscribed(Unsubscribed(request: try id(1, code, "Request", allowZero: true), details: try dict(2, code, "Details")))
            }
            return .unsubscribed(Unsubscribed(request: try id(1, code, "Request")))
        case .event:
            try arity(code, 4, payload: true)
            return .event(Event(
                subscription: try id(1, code, "Subscription"), publication: try id(2, code, "Publication"),
                details: try dict(3, code, "Details"), payload: try payload(from: 4, code)))
        case .call:
            try arity(code, 4, payload: true)
            return .call(Call(
                request: try id(1, code, "Request"), options: try dict(2, code, "Options"),
                procedure: try string(3, code, "Procedure"), payload: try payload(from: 4, code)))
        case .cancel:
            try arity(code, 3)
            return .cancel(Cancel(request: try id(1, code, "Request"), options: try dict(2, code, "Options")))
        case .result:
            try arity(code, 3, payload: true)
            return .result(Result(
                request: try id(1, code, "Request"), details: try dict(2, code, "Details"), payload: try payload(from: 3, code)))
        case .register:
            try arity(code, 4)
            return .register(Register(
                request: try id(1, code, "Request"), options: try dict(2, code, "Options"), procedure: try string(3, code, "Procedure")))
        case .registered:
            try arity(code, 3)
            return .registered(Registered(request: try id(1, code, "Request"), registration: try id(2, code, "Registration")))
        case .unregister:
            try arity(code, 3)
            return .unregister(Unregister(request: try id(1, code, "Request"), registration: try id(2, code, "Registration")))
        case .unregistered:
            try arity(code, 2, optional: 1)
            if count == 3 {
                return .unregistered(Unregistered(request: try id(1, code, "Request", allowZero: true), details: try dict(2, code, "Details")))
            }
            return .unregistered(Unregistered(request: try id(1, code, "Request")))
        case .invocation:
            try arity(code, 4, payload: true)
            return .invocation(Invocation(
                request: try id(1, code, "Request"), registration: try id(2, code, "Registration"),
                details: try dict(3, code, "Details"), payload: try payload(from: 4, code)))
        case .interrupt:
            try arity(code, 3)
            return .interrupt(Interrupt(request: try id(1, code, "Request"), options: try dict(2, code, "Options")))
        case .yield:
            try arity(code, 3, payload: true)
            return .yield(Yield(
                request: try id(1, code, "Request"), options: try dict(2, code, "Options"), payload: try payload(from: 3, code)))
        }
    }

    // MARK: Checks

    private func arity(_ code: MessageCode, _ fixed: Int, payload: Bool = false, optional: Int = 0) throws(WampDecodeError) {
        let maximum = fixed + (payload ? 2 : optional)
        guard count >= fixed, count <= maximum else {
            let expected = fixed == maximum ? "\(fixed)" : "\(fixed) to \(maximum)"
            throw WampDecodeError(.wrongArity, "\(code.name) must have \(expected) elements, got \(count)")
        }
    }

    private func element(_ index: Int) -> UnsafeMutablePointer<json_t> {
        json_array_get(array, index)!
    }

    private func integer(at index: Int) -> Int64? {
        let value = element(index)
        switch value.pointee.type {
        case JSON_INTEGER:
            return json_integer_value(value)
        case JSON_REAL where integersAsReals:
            let real = json_real_value(value)
            guard real.rounded(.towardZero) == real, abs(real) <= 9.007199254740992e15 else { return nil }
            return Int64(real)
        default:
            return nil
        }
    }

    private func id(_ index: Int, _ code: MessageCode, _ name: String, allowZero: Bool = false) throws(WampDecodeError) -> WampID {
        guard let value = integer(at: index) else {
            let element = element(index)
            if integersAsReals, element.pointee.type == JSON_REAL, json_real_value(element).rounded(.towardZero) == json_real_value(element) {
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

    /// `Arguments|list` at `index` and `ArgumentsKw|dict` after it, kept as the bytes the peer sent.
    private func payload(from index: Int, _ code: MessageCode) throws(WampDecodeError) -> Payload {
        guard count > index else { return .empty }
        guard element(index).pointee.type == JSON_ARRAY else {
            throw WampDecodeError(.wrongFieldType, "\(code.name).Arguments must be a list")
        }
        if count > index + 1, element(index + 1).pointee.type != JSON_OBJECT {
            throw WampDecodeError(.wrongFieldType, "\(code.name).ArgumentsKw must be a dict")
        }
        let ranges = buffer.withUnsafeReadableBytes { TopLevelArrayScanner.elementRanges(in: $0, from: index) }
        return Payload(arguments: ranges.0.map(raw), argumentsKw: ranges.1.map(raw))
    }

    private func raw(_ range: Range<Int>) -> RawJSON {
        RawJSON(validatedBytes: buffer.getSlice(at: buffer.readerIndex + range.lowerBound, length: range.count)!)
    }
}
