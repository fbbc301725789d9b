import CJansson
import NIOCore

/// Turns the bytes of one text frame into a typed `WampMessage`, or a `WampDecodeError` that says
/// what is wrong in words a peer can act on. Never traps on any input.
///
/// Decoding costs a small, bounded multiple of the frame size, whatever a peer sends:
/// `JSONTextScanner` validates the whole text without building anything and finds the top-level
/// elements; jansson then builds values only for the envelope (code, IDs, URIs, Details/Options),
/// never for `Arguments`/`ArgumentsKw`, which stay slices of the frame. The dicts and lists of
/// the envelope are bounded by `Limits.maxOptionsBytes`, because jansson's tree of them costs up
/// to ~80 bytes per byte of text.
public enum MessageDecoder {
    public struct Limits: Sendable, Equatable {
        /// Most bytes the dicts and lists outside the payload (Details, Options, Extra) may take
        /// in one message (`--max-options-bytes`).
        public var maxOptionsBytes: Int

        public init(maxOptionsBytes: Int = 1 << 20) {
            self.maxOptionsBytes = maxOptionsBytes
        }

        public static let `default` = Limits()
    }

    public static func decode(_ buffer: ByteBuffer, limits: Limits = .default) throws(WampDecodeError) -> WampMessage {
        let layout: MessageLayout
        do {
            layout = try buffer.withUnsafeReadableBytes { (bytes) throws(JSONTextScanner.Failure) in
                try JSONTextScanner.scanMessage(bytes)
            }
        } catch {
            throw WampDecodeError(.invalidJSON, "message is not valid JSON: \(error.reason) at byte \(error.position)")
        }
        guard layout.isArray else { throw WampDecodeError(.notAnArray, "a WAMP message must be a JSON array") }
        guard layout.count > 0 else { throw WampDecodeError(.emptyArray, "a WAMP message must not be an empty array") }
        let code = try messageCode(layout)
        let shape = MessageShape(code)
        try shape.checkArity(code, layout.count)
        let envelopeCount = min(layout.count, shape.envelopeCount)
        try checkOptionsSize(code, buffer, layout, envelopeCount, limits)
        let root = try EnvelopeLoader.load(buffer, layout, envelopeCount: envelopeCount)
        let fields = Fields(array: root, owner: JSONValue(owning: root), layout: layout, buffer: buffer)
        return try fields.message(code)
    }

    /// Element 0, as the scanner read it: the envelope is cut by message type before jansson runs.
    private static func messageCode(_ layout: MessageLayout) throws(WampDecodeError) -> MessageCode {
        guard let integer = layout.firstInteger else {
            throw WampDecodeError(.invalidMessageCode, "the first element of a WAMP message must be an integer message code")
        }
        guard let value = integer else {
            throw WampDecodeError(.unknownMessageCode, "unknown WAMP message code (an integer beyond 64 bits)")
        }
        guard let code = MessageCode(rawValue: value) else {
            throw WampDecodeError(.unknownMessageCode, "unknown WAMP message code \(value)")
        }
        return code
    }

    private static func checkOptionsSize(
        _ code: MessageCode, _ buffer: ByteBuffer, _ layout: MessageLayout, _ envelopeCount: Int, _ limits: Limits
    ) throws(WampDecodeError) {
        var total = 0
        for index in 1..<max(1, envelopeCount) {
            let range = layout.range(index)
            let first = buffer.getInteger(at: buffer.readerIndex + range.lowerBound, as: UInt8.self)
            if first == UInt8(ascii: "{") || first == UInt8(ascii: "[") { total += range.count }
        }
        guard total <= limits.maxOptionsBytes else {
            throw WampDecodeError(
                .optionsTooLarge,
                "\(code.name) Details/Options take \(total) bytes; this router accepts at most \(limits.maxOptionsBytes)")
        }
    }
}

/// How many elements each message type has, and where its payload starts.
private struct MessageShape {
    var fixed: Int
    var optional = 0
    var hasPayload = false

    init(_ code: MessageCode) {
        switch code {
        case .hello, .welcome, .abort, .challenge, .authenticate, .goodbye, .published, .subscribed,
             .unsubscribe, .cancel, .registered, .unregister, .interrupt:
            fixed = 3
        case .subscribe, .register:
            fixed = 4
        case .unsubscribed, .unregistered:
            fixed = 2; optional = 1
        case .error:
            fixed = 5; hasPayload = true
        case .publish, .event, .call, .invocation:
            fixed = 4; hasPayload = true
        case .result, .yield:
            fixed = 3; hasPayload = true
        }
    }

    /// Elements jansson is given: everything but `Arguments` and `ArgumentsKw`.
    var envelopeCount: Int { fixed + optional }

    func checkArity(_ code: MessageCode, _ count: Int) throws(WampDecodeError) {
        let maximum = fixed + (hasPayload ? 2 : optional)
        guard count >= fixed, count <= maximum else {
            let expected = fixed == maximum ? "\(fixed)" : "\(fixed) to \(maximum)"
            throw WampDecodeError(.wrongArity, "\(code.name) must have \(expected) elements, got \(count)")
        }
    }
}

/// Field access over one decoded message, with the checks the spec asks of each field. `array`
/// holds the envelope elements only; payload elements are read from `layout` and `buffer`.
private struct Fields {
    let array: UnsafeMutablePointer<json_t>
    let owner: JSONValue
    let layout: MessageLayout
    let buffer: ByteBuffer

    var count: Int { layout.count }

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
            if layout.isBigInteger(index) {
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

    // MARK: Payload (bytes of the frame, validated by the scanner)

    /// `Arguments|list` at `index` and `ArgumentsKw|dict` after it, kept as the bytes the peer sent.
    private func payload(from index: Int, _ code: MessageCode) throws(WampDecodeError) -> Payload {
        guard count > index else { return .empty }
        let arguments = layout.range(index)
        guard firstByte(arguments) == UInt8(ascii: "[") else {
            throw WampDecodeError(.wrongFieldType, "\(code.name).Arguments must be a list")
        }
        guard count > index + 1 else { return Payload(arguments: raw(arguments)) }
        let argumentsKw = layout.range(index + 1)
        guard firstByte(argumentsKw) == UInt8(ascii: "{") else {
            throw WampDecodeError(.wrongFieldType, "\(code.name).ArgumentsKw must be a dict")
        }
        return Payload(arguments: raw(arguments), argumentsKw: raw(argumentsKw))
    }

    private func firstByte(_ range: Range<Int>) -> UInt8? {
        buffer.getInteger(at: buffer.readerIndex + range.lowerBound, as: UInt8.self)
    }

    private func raw(_ range: Range<Int>) -> RawJSON {
        RawJSON(validatedBytes: buffer.getSlice(at: buffer.readerIndex + range.lowerBound, length: range.count)!)
    }
}
