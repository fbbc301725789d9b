import NIOCore

/// One CBOR data item (RFC 8949) <-> `WampValue`, for converting a payload between a CBOR peer
/// and a peer of another serializer. Routing never calls this: CBOR payloads travel to CBOR
/// peers as the sender's bytes.
///
/// Decoding accepts the CBOR data model that `WampValue` can hold: integers (those below
/// -2^63 cannot be represented), byte and text strings (strict UTF-8), arrays, maps with text
/// keys, false/true/null and half, single and double floats (each widened exactly to a double);
/// strings, arrays and maps may have indefinite lengths. It refuses tags (naming the tag; the
/// self-describe tag 55799 is skipped), `undefined` and other simple values, non-text map keys,
/// reserved additional information, bytes after the item, and items inside more than
/// `WampValue.maxDepth` containers. Every declared length is checked against the bytes that remain before
/// anything is sized by it (`CBORReader`), so a peer's claim of 2^64-1 entries costs nothing.
///
/// Encoding writes preferred serialization with definite lengths; floats as float64 (see
/// `CBORWriter`).
public enum CBORValueCodec {
    public static func decode(_ bytes: ByteBuffer) throws(PayloadConversionError) -> WampValue {
        do {
            return try bytes.withUnsafeReadableBytes { (raw) throws(CBORFailure) in
                var reader = CBORReader(raw)
                let value = try decodeItem(&reader, depth: 0)
                guard reader.isAtEnd else {
                    throw reader.failure("\(reader.remainingBytes) bytes after the end of the CBOR data item")
                }
                return value
            }
        } catch {
            throw PayloadConversionError("CBOR payload: \(error.reason) at byte \(error.position)")
        }
    }

    public static func encode(_ value: WampValue, into buffer: inout ByteBuffer) throws(PayloadConversionError) {
        try encode(value, depth: 0, into: &buffer)
    }

    // MARK: Decoding

    /// `depth`: containers around this item. As in `JSONValueCodec`, an item may sit inside at
    /// most `WampValue.maxDepth` of them, so both codecs accept the same trees.
    private static func decodeItem(_ reader: inout CBORReader, depth: Int) throws(CBORFailure) -> WampValue {
        let start = reader.position
        guard depth <= WampValue.maxDepth else { throw tooDeep(start) }
        var head = try reader.readHead()
        // A loop, not recursion: a peer may chain any number of tags.
        while head.majorType == CBORHead.tag && head.argument == CBORHead.selfDescribeTag { head = try reader.readHead() }
        switch head.majorType {
        case CBORHead.unsigned:
            return head.argument <= UInt64(Int64.max) ? .integer(Int64(head.argument)) : .unsignedInteger(head.argument)
        case CBORHead.negative:
            guard head.argument <= UInt64(Int64.max) else {
                throw CBORFailure(reason: "the integer -1-\(head.argument) cannot be represented (below -2^63)", position: start)
            }
            return .integer(-1 - Int64(head.argument))
        case CBORHead.byteString:
            return .binary(try stringBytes(head, &reader))
        case CBORHead.textString:
            // The reader validated the UTF-8 of every chunk.
            return .string(String(decoding: try stringBytes(head, &reader), as: UTF8.self))
        case CBORHead.array:
            var elements: [WampValue] = []
            if head.isIndefinite {
                while !(try atBreak(&reader)) { elements.append(try decodeItem(&reader, depth: depth + 1)) }
            } else {
                try reader.checkItemCount(head.argument, itemsPerEntry: 1)
                elements.reserveCapacity(Int(head.argument))
                for _ in 0..<head.argument { elements.append(try decodeItem(&reader, depth: depth + 1)) }
            }
            return .array(elements)
        case CBORHead.map:
            var members: [WampValue.Member] = []
            if head.isIndefinite {
                while !(try atBreak(&reader)) { members.append(try decodeMember(&reader, depth: depth)) }
            } else {
                try reader.checkItemCount(head.argument, itemsPerEntry: 2)
                members.reserveCapacity(Int(head.argument))
                for _ in 0..<head.argument { members.append(try decodeMember(&reader, depth: depth)) }
            }
            return .map(members)
        case CBORHead.tag:
            throw CBORFailure(reason: "CBOR tag \(head.argument) has no equivalent in the other serializers", position: start)
        default:
            if let double = head.floatValue { return .double(double) }
            switch head.additionalInfo {
            case 20: return .bool(false)
            case 21: return .bool(true)
            case 22: return .null
            case 23: throw CBORFailure(reason: "the CBOR value undefined has no equivalent in the other serializers", position: start)
            case 31: throw CBORFailure(reason: "break outside an indefinite-length string, array or map", position: start)
            default: throw CBORFailure(reason: "CBOR simple value \(head.argument) has no equivalent in the other serializers", position: start)
            }
        }
    }

    private static func decodeMember(_ reader: inout CBORReader, depth: Int) throws(CBORFailure) -> WampValue.Member {
        let keyStart = reader.position
        var keyHead = try reader.readHead()
        while keyHead.majorType == CBORHead.tag && keyHead.argument == CBORHead.selfDescribeTag { keyHead = try reader.readHead() }
        guard keyHead.majorType == CBORHead.textString else {
            throw CBORFailure(reason: "map keys must be text strings (major type 3), not major type \(keyHead.majorType)", position: keyStart)
        }
        let key = String(decoding: try stringBytes(keyHead, &reader), as: UTF8.self)
        guard !reader.isAtEnd, reader.nextByte != 0xFF else { throw reader.failure("a map key has no value") }
        return WampValue.Member(key, try decodeItem(&reader, depth: depth + 1))
    }

    /// Consumes a break if one is next.
    private static func atBreak(_ reader: inout CBORReader) throws(CBORFailure) -> Bool {
        guard !reader.isAtEnd else { throw reader.failure("truncated: an indefinite-length item has no break") }
        guard reader.nextByte == 0xFF else { return false }
        _ = try reader.readHead()
        return true
    }

    /// The content of a definite string, or the chunks of an indefinite one joined.
    private static func stringBytes(_ head: CBORHead, _ reader: inout CBORReader) throws(CBORFailure) -> [UInt8] {
        let isText = head.majorType == CBORHead.textString
        guard head.isIndefinite else { return Array(reader.bytes(try reader.readStringBytes(head.argument, text: isText))) }
        var joined: [UInt8] = []
        while true {
            let chunkStart = reader.position
            let chunk = try reader.readHead()
            if chunk.isBreak { return joined }
            guard chunk.majorType == head.majorType, !chunk.isIndefinite else {
                throw CBORFailure(reason: "a chunk of an indefinite-length string must be a definite string of the same major type", position: chunkStart)
            }
            joined.append(contentsOf: reader.bytes(try reader.readStringBytes(chunk.argument, text: isText)))
        }
    }

    private static func tooDeep(_ position: Int) -> CBORFailure {
        CBORFailure(reason: "nesting deeper than \(WampValue.maxDepth) levels", position: position)
    }

    // MARK: Encoding

    private static func encode(_ value: WampValue, depth: Int, into buffer: inout ByteBuffer) throws(PayloadConversionError) {
        guard depth <= WampValue.maxDepth else { throw PayloadConversionError("nesting deeper than \(WampValue.maxDepth) levels") }
        switch value {
        case .null: CBORWriter.null(into: &buffer)
        case .bool(let bool): CBORWriter.bool(bool, into: &buffer)
        case .integer(let integer): CBORWriter.integer(integer, into: &buffer)
        case .unsignedInteger(let integer): CBORWriter.head(CBORHead.unsigned, integer, into: &buffer)
        case .double(let double): CBORWriter.double(double, into: &buffer)
        case .string(let string): CBORWriter.text(string, into: &buffer)
        case .binary(let bytes): CBORWriter.binary(bytes, into: &buffer)
        case .array(let elements):
            CBORWriter.head(CBORHead.array, UInt64(elements.count), into: &buffer)
            for element in elements { try encode(element, depth: depth + 1, into: &buffer) }
        case .map(let members):
            CBORWriter.head(CBORHead.map, UInt64(members.count), into: &buffer)
            for member in members {
                CBORWriter.text(member.key, into: &buffer)
                try encode(member.value, depth: depth + 1, into: &buffer)
            }
        }
    }
}
