import CJansson
import NIOCore

/// Writes CBOR data items into a ByteBuffer in preferred serialization (RFC 8949 §4.1): the
/// shortest head for every argument and definite lengths only. Floats are always written as
/// float64: every double survives unchanged (0.1 stays 0.1) and every peer reads them, at the
/// cost of a few bytes that shortest-float encoding would save.
///
/// Used by the value codec (from `WampValue`) and the message encoder (the envelope and its
/// jansson Details/Options) alike, so both write the same bytes for the same value.
enum CBORWriter {
    static func head(_ majorType: UInt8, _ argument: UInt64, into buffer: inout ByteBuffer) {
        let major = majorType << 5
        switch argument {
        case 0..<24:
            buffer.writeInteger(major | UInt8(argument))
        case 24...0xFF:
            buffer.writeInteger(major | 24)
            buffer.writeInteger(UInt8(argument))
        case 0x100...0xFFFF:
            buffer.writeInteger(major | 25)
            buffer.writeInteger(UInt16(argument))
        case 0x1_0000...0xFFFF_FFFF:
            buffer.writeInteger(major | 26)
            buffer.writeInteger(UInt32(argument))
        default:
            buffer.writeInteger(major | 27)
            buffer.writeInteger(argument)
        }
    }

    static func integer(_ value: Int64, into buffer: inout ByteBuffer) {
        if value >= 0 {
            head(CBORHead.unsigned, UInt64(value), into: &buffer)
        } else {
            // -1 - value, which is the bitwise complement in two's complement.
            head(CBORHead.negative, ~UInt64(bitPattern: value), into: &buffer)
        }
    }

    static func double(_ value: Double, into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0xFB))
        buffer.writeInteger(value.bitPattern)
    }

    static func bool(_ value: Bool, into buffer: inout ByteBuffer) {
        buffer.writeInteger(value ? UInt8(0xF5) : UInt8(0xF4))
    }

    static func null(into buffer: inout ByteBuffer) {
        buffer.writeInteger(UInt8(0xF6))
    }

    static func text(_ value: String, into buffer: inout ByteBuffer) {
        head(CBORHead.textString, UInt64(value.utf8.count), into: &buffer)
        buffer.writeString(value)
    }

    static func text(_ bytes: UnsafeBufferPointer<UInt8>, into buffer: inout ByteBuffer) {
        head(CBORHead.textString, UInt64(bytes.count), into: &buffer)
        buffer.writeBytes(bytes)
    }

    static func binary(_ bytes: some Collection<UInt8>, into buffer: inout ByteBuffer) {
        head(CBORHead.byteString, UInt64(bytes.count), into: &buffer)
        buffer.writeBytes(bytes)
    }

    // MARK: jansson values (Details, Options, Extra)

    /// A jansson value as CBOR: objects as text-keyed maps, reals as floats, and strings that
    /// are WAMP's JSON spelling of binary (`BinaryText`) as byte strings again.
    ///
    /// Recursive: jansson trees here were built by the router or decoded within
    /// `JSONTextScanner.maximumDepth`, the same bound jansson's own dump recurses to.
    static func json(_ value: UnsafeMutablePointer<json_t>, into buffer: inout ByteBuffer) {
        switch value.pointee.type {
        case JSON_OBJECT:
            head(CBORHead.map, UInt64(json_object_size(value)), into: &buffer)
            var iterator = json_object_iter(value)
            while let current = iterator {
                let key = UnsafeRawPointer(json_object_iter_key(current)!).assumingMemoryBound(to: UInt8.self)
                text(UnsafeBufferPointer(start: key, count: json_object_iter_key_len(current)), into: &buffer)
                json(json_object_iter_value(current)!, into: &buffer)
                iterator = json_object_iter_next(value, current)
            }
        case JSON_ARRAY:
            let count = json_array_size(value)
            head(CBORHead.array, UInt64(count), into: &buffer)
            for index in 0..<count { json(json_array_get(value, index)!, into: &buffer) }
        case JSON_STRING:
            let bytes = UnsafeBufferPointer(
                start: UnsafeRawPointer(json_string_value(value)!).assumingMemoryBound(to: UInt8.self),
                count: json_string_length(value))
            // Only a string that starts with NUL can be binary, so text costs one byte compare.
            if bytes.first == 0, let binary = BinaryText.decode(UnsafeRawBufferPointer(bytes)) {
                self.binary(binary, into: &buffer)
            } else {
                text(bytes, into: &buffer)
            }
        case JSON_INTEGER:
            integer(json_integer_value(value), into: &buffer)
        case JSON_REAL:
            double(json_real_value(value), into: &buffer)
        case JSON_TRUE:
            bool(true, into: &buffer)
        case JSON_FALSE:
            bool(false, into: &buffer)
        default:
            null(into: &buffer)
        }
    }
}
