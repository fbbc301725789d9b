import NIOCore

/// One MessagePack value <-> `WampValue`, for converting a payload between MessagePack and
/// another serializer.
///
/// Decoding reads every format the spec defines except extension types (WAMP defines none, and
/// no other serializer could carry one): integers of any width (a uint64 above `Int64.max`
/// becomes `.unsignedInteger`), float32 widened exactly, strings only as valid UTF-8, maps only
/// with string keys. Declared lengths are checked against the bytes left before anything is
/// reserved (`MsgpackReader`), nesting deeper than `WampValue.maxDepth` is refused, and so are
/// bytes after the one value. Encoding writes the smallest format for each value and floats as
/// float64, so `0.1` reaches a JSON or CBOR receiver as the same double.
public enum MsgpackValueCodec {
    public static func decode(_ bytes: ByteBuffer) throws(PayloadConversionError) -> WampValue {
        try bytes.withUnsafeReadableBytes { (raw) throws(PayloadConversionError) in
            var reader = MsgpackReader(raw)
            do throws(MsgpackReader.Failure) {
                let value = try decodeValue(&reader, depth: 0)
                guard reader.isAtEnd else {
                    throw MsgpackReader.Failure(reason: "unexpected bytes after the value", position: reader.position)
                }
                return value
            } catch {
                throw PayloadConversionError("invalid MessagePack: \(error.reason) at byte \(error.position)")
            }
        }
    }

    public static func encode(_ value: WampValue, into buffer: inout ByteBuffer) throws(PayloadConversionError) {
        var writer = MsgpackWriter(appendingTo: buffer)
        buffer = ByteBuffer()  // so the writer holds the only reference and appends in place
        defer { buffer = writer.buffer }
        try encodeValue(value, &writer, depth: 0)
    }

    /// `depth`: containers the value is inside. Recursion is bounded by `WampValue.maxDepth`.
    private static func decodeValue(_ reader: inout MsgpackReader, depth: Int) throws(MsgpackReader.Failure) -> WampValue {
        let start = reader.position
        switch try reader.next() {
        case .null: return .null
        case .bool(let value): return .bool(value)
        case .integer(let value): return .integer(value)
        case .unsignedInteger(let value): return .unsignedInteger(value)
        case .double(let value): return .double(value)
        case .string(let range): return .string(reader.string(range))
        case .binary(let range): return .binary(Array(UnsafeBufferPointer(start: reader.base + range.lowerBound, count: range.count)))
        case .array(let count):
            try checkDepth(depth, start)
            var elements: [WampValue] = []
            elements.reserveCapacity(count)  // at most one per byte left: the reader checked
            for _ in 0..<count { elements.append(try decodeValue(&reader, depth: depth + 1)) }
            return .array(elements)
        case .map(let count):
            try checkDepth(depth, start)
            var members: [WampValue.Member] = []
            members.reserveCapacity(count)
            for _ in 0..<count {
                let keyStart = reader.position
                guard case .string(let key) = try reader.next() else {
                    throw MsgpackReader.Failure(
                        reason: "a map key that is not a string cannot be represented", position: keyStart)
                }
                members.append(WampValue.Member(reader.string(key), try decodeValue(&reader, depth: depth + 1)))
            }
            return .map(members)
        }
    }

    private static func checkDepth(_ depth: Int, _ position: Int) throws(MsgpackReader.Failure) {
        guard depth < WampValue.maxDepth else {
            throw MsgpackReader.Failure(reason: "nesting deeper than \(WampValue.maxDepth) levels", position: position)
        }
    }

    private static func encodeValue(_ value: WampValue, _ writer: inout MsgpackWriter, depth: Int) throws(PayloadConversionError) {
        switch value {
        case .null: writer.null()
        case .bool(let value): writer.bool(value)
        case .integer(let value): writer.integer(value)
        case .unsignedInteger(let value): writer.unsigned(value)
        case .double(let value): writer.double(value)
        case .string(let value): try writer.string(value)
        case .binary(let bytes):
            try writer.binary(bytes)
        case .array(let elements):
            guard depth < WampValue.maxDepth else { throw tooDeep }
            try writer.arrayHeader(elements.count)
            for element in elements { try encodeValue(element, &writer, depth: depth + 1) }
        case .map(let members):
            guard depth < WampValue.maxDepth else { throw tooDeep }
            try writer.mapHeader(members.count)
            for member in members {
                try writer.string(member.key)
                try encodeValue(member.value, &writer, depth: depth + 1)
            }
        }
    }

    private static let tooDeep = PayloadConversionError("nesting deeper than \(WampValue.maxDepth) levels")
}

extension MsgpackReader {
    /// The validated UTF-8 at `range` as a String.
    fileprivate func string(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(start: base + range.lowerBound, count: range.count), as: UTF8.self)
    }
}
