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
        let code = try layout.messageCode()
        let shape = MessageShape(code)
        try shape.checkArity(code, layout.count)
        let envelopeCount = min(layout.count, shape.envelopeCount)
        try checkOptionsSize(code, buffer, layout, envelopeCount, limits)
        let root = try EnvelopeLoader.load(buffer, layout, envelopeCount: envelopeCount)
        let fields = MessageFields(
            array: root, owner: JSONValue(owning: root), count: layout.count,
            bigIntegerElements: layout.bigIntegerElements(envelopeCount: envelopeCount),
            payload: PayloadElements(.json, shape: shape, buffer: buffer, layout: layout, kind: payloadKind))
        return try fields.message(code)
    }



    /// A JSON payload element is a list or a dict by its first byte.
    private static func payloadKind(_ first: UInt8) -> PayloadElements.Kind {
        first == UInt8(ascii: "[") ? .list : first == UInt8(ascii: "{") ? .dict : .other
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
