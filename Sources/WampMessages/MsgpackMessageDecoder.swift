import CJansson
import NIOCore

/// Turns the bytes of one `wamp.2.msgpack` message (a WebSocket binary message or a RawSocket
/// frame) into a typed `WampMessage`, or a `WampDecodeError`. Never traps on any input.
///
/// A pure-Swift decoder, not a C library, because of how the router keeps payloads: as slices
/// of the received bytes, forwarded unchanged and converted only for receivers with another
/// serializer. So decoding must find each top-level element's byte range without building a
/// tree of it, which a C MessagePack library (building its object tree of the whole message)
/// does not give. `MsgpackScanner` validates the whole message in one pass with a bounded
/// nesting depth and records the element ranges; only the envelope (code, IDs, URIs,
/// Details/Options, bounded by `Limits.maxOptionsBytes`) is then built, as jansson values, and
/// read by the `MessageFields` rules every serializer shares. No size a peer declares is ever
/// allocated: every declared string, binary, array and map length is checked against the bytes
/// actually left before it is used, so a header claiming 4 GiB costs nothing but an error.
public enum MsgpackMessageDecoder {
    public static func decode(_ buffer: ByteBuffer, limits: MessageDecoder.Limits = .default) throws(WampDecodeError) -> WampMessage {
        try buffer.withUnsafeReadableBytes { (bytes) throws(WampDecodeError) in
            try decode(bytes, buffer, limits)
        }
    }

    private static func decode(_ bytes: UnsafeRawBufferPointer, _ buffer: ByteBuffer, _ limits: MessageDecoder.Limits) throws(WampDecodeError) -> WampMessage {
        let layout: MessageLayout
        do {
            layout = try MsgpackScanner.scanMessage(bytes)
        } catch {
            throw WampDecodeError(.invalidMessagePack, "message is not valid MessagePack: \(error.reason) at byte \(error.position)")
        }
        guard layout.isArray else { throw WampDecodeError(.notAnArray, "a WAMP message must be a MessagePack array") }
        guard layout.count > 0 else { throw WampDecodeError(.emptyArray, "a WAMP message must not be an empty array") }
        let code = try messageCode(bytes, layout)
        let shape = MessageShape(code)
        try shape.checkArity(code, layout.count)
        let envelopeCount = min(layout.count, shape.envelopeCount)
        try checkOptionsSize(code, bytes, layout, envelopeCount, limits)
        let envelope = try MsgpackEnvelopeBuilder.build(bytes, layout, envelopeCount: envelopeCount)
        let fields = MessageFields(
            array: envelope.array, owner: JSONValue(owning: envelope.array), count: layout.count,
            bigIntegerElements: envelope.bigIntegerElements, payload: PayloadElements(.msgpack, shape: shape, buffer: buffer, layout: layout, kind: payloadKind))
        return try fields.message(code)
    }

    /// Element 0, read straight from the bytes: any MessagePack integer format.
    private static func messageCode(_ bytes: UnsafeRawBufferPointer, _ layout: MessageLayout) throws(WampDecodeError) -> MessageCode {
        var reader = MsgpackReader(bytes, range: layout.range(0))
        let token: MsgpackToken
        do { token = try reader.next() } catch {
            throw WampDecodeError(.invalidMessagePack, "message is not valid MessagePack: \(error.reason) at byte \(error.position)")
        }
        switch token {
        case .integer(let value):
            guard let code = MessageCode(rawValue: value) else {
                throw WampDecodeError(.unknownMessageCode, "unknown WAMP message code \(value)")
            }
            return code
        case .unsignedInteger(let value):
            throw WampDecodeError(.unknownMessageCode, "unknown WAMP message code \(value)")
        default:
            throw WampDecodeError(.invalidMessageCode, "the first element of a WAMP message must be an integer message code")
        }
    }

    private static func isContainer(_ first: UInt8) -> Bool {
        switch first {
        case 0x80...0x9F, 0xDC...0xDF: true
        default: false
        }
    }

    /// The same bound the JSON decoder puts on Details/Options: their encoded size.
    private static func checkOptionsSize(
        _ code: MessageCode, _ bytes: UnsafeRawBufferPointer, _ layout: MessageLayout, _ envelopeCount: Int,
        _ limits: MessageDecoder.Limits
    ) throws(WampDecodeError) {
        var total = 0
        for index in 1..<max(1, envelopeCount) {
            let range = layout.range(index)
            if isContainer(bytes[range.lowerBound]) { total += range.count }
        }
        guard total <= limits.maxOptionsBytes else {
            throw WampDecodeError(
                .optionsTooLarge,
                "\(code.name) Details/Options take \(total) bytes; this router accepts at most \(limits.maxOptionsBytes)")
        }
    }

    /// A MessagePack payload element is a list or a dict by its first byte's format.
    private static func payloadKind(_ first: UInt8) -> PayloadElements.Kind {
        switch first {
        case 0x90...0x9F, 0xDC, 0xDD: .list
        case 0x80...0x8F, 0xDE, 0xDF: .dict
        default: .other
        }
    }
}
