/// How many elements each message type has, and where its payload starts (`fixed`, when it
/// has one). Shared by the three message decoders.
struct MessageShape {
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

extension MessageLayout {
    /// Element 0, as a scanner read it (JSON and CBOR scanners note it as they pass): the
    /// envelope is cut by message type before jansson runs.
    func messageCode() throws(WampDecodeError) -> MessageCode {
        guard let integer = firstInteger else {
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
}

extension MessageLayout {
    /// Bit i set: envelope element i is itself an integer beyond 64 bits (`MessageFields`'
    /// `bigIntegerElements`), for the scanners that record it (JSON, CBOR).
    func bigIntegerElements(envelopeCount: Int) -> UInt8 {
        var bits: UInt8 = 0
        for index in 0..<envelopeCount where isBigInteger(index) { bits |= 1 << UInt8(index) }
        return bits
    }
}
