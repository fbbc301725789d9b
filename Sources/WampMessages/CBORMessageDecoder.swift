import CJansson
import NIOCore

/// Turns one CBOR message (`wamp.2.cbor`, RFC 8949) into a typed `WampMessage`, or a
/// `WampDecodeError` a peer can act on. Never traps on any input.
///
/// Pure Swift, no C CBOR library, because the router keeps payloads as slices of the received
/// message: `CBORScanner` validates the whole message in one pass without building a tree and
/// finds the byte range of each top-level element; only the envelope (code, IDs, URIs,
/// Details/Options) is then turned into jansson values (`CBOREnvelopeBuilder`) and read by the
/// same `MessageShape` and `MessageFields` the JSON decoder uses, so the field rules and the
/// error kinds are the JSON ones. `Arguments`/`ArgumentsKw` stay the sender's bytes.
///
/// No size a peer declares is ever allocated: every string length and container count is
/// compared with the bytes that really remain before anything is done with it, so a head
/// claiming 2^64-1 bytes or entries is a `.invalidCBOR` error that cost nothing. Nesting is
/// bounded (`CBORScanner.maximumDepth`, the JSON scanner's limit) and the envelope's dicts and
/// lists by `MessageDecoder.Limits.maxOptionsBytes`, counted in CBOR bytes.
public enum CBORMessageDecoder {
    public static func decode(_ buffer: ByteBuffer, limits: MessageDecoder.Limits = .default) throws(WampDecodeError) -> WampMessage {
        let layout: MessageLayout
        do {
            layout = try buffer.withUnsafeReadableBytes { (bytes) throws(CBORFailure) in
                try CBORScanner.scanMessage(bytes)
            }
        } catch {
            throw WampDecodeError(.invalidCBOR, "message is not well-formed CBOR: \(error.reason) at byte \(error.position)")
        }
        guard layout.isArray else { throw WampDecodeError(.notAnArray, "a WAMP message must be a CBOR array") }
        guard layout.count > 0 else { throw WampDecodeError(.emptyArray, "a WAMP message must not be an empty array") }
        let code = try layout.messageCode()
        let shape = MessageShape(code)
        try shape.checkArity(code, layout.count)
        let envelopeCount = min(layout.count, shape.envelopeCount)
        try checkOptionsSize(code, buffer, layout, envelopeCount, limits)
        let root = try CBOREnvelopeBuilder.build(buffer, layout, envelopeCount: envelopeCount)
        let fields = MessageFields(
            array: root, owner: JSONValue(owning: root), count: layout.count,
            bigIntegerElements: layout.bigIntegerElements(envelopeCount: envelopeCount),
            payload: PayloadElements(.cbor, shape: shape, buffer: buffer, layout: layout, kind: payloadKind))
        return try fields.message(code)
    }

    /// A CBOR payload element is a list or a dict by the major type of its first byte.
    private static func payloadKind(_ first: UInt8) -> PayloadElements.Kind {
        first >> 5 == CBORHead.array ? .list : first >> 5 == CBORHead.map ? .dict : .other
    }

    private static func majorType(_ buffer: ByteBuffer, _ range: Range<Int>) -> UInt8? {
        buffer.getInteger(at: buffer.readerIndex + range.lowerBound, as: UInt8.self).map { $0 >> 5 }
    }



    /// The bytes of the envelope's arrays and maps (and tagged items, which may wrap one), the
    /// part jansson builds a tree of.
    private static func checkOptionsSize(
        _ code: MessageCode, _ buffer: ByteBuffer, _ layout: MessageLayout, _ envelopeCount: Int, _ limits: MessageDecoder.Limits
    ) throws(WampDecodeError) {
        var total = 0
        for index in 1..<max(1, envelopeCount) {
            let range = layout.range(index)
            let major = majorType(buffer, range)
            if major == CBORHead.array || major == CBORHead.map || major == CBORHead.tag { total += range.count }
        }
        guard total <= limits.maxOptionsBytes else {
            throw WampDecodeError(
                .optionsTooLarge,
                "\(code.name) Details/Options take \(total) bytes; this router accepts at most \(limits.maxOptionsBytes)")
        }
    }
}
