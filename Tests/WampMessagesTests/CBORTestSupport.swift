import CJansson
import NIOCore
@testable import WampMessages

/// Helpers the CBOR tests share: bytes from hex, hex from bytes, CBOR from a `WampValue`, and a
/// `WampValue` from jansson (the test's own reading of JSON, independent of `JSONValueCodec`).
enum CBORTestSupport {
    static func bytes(_ hex: String) -> ByteBuffer {
        let digits = Array(hex.utf8).filter { $0 != UInt8(ascii: " ") }
        precondition(digits.count % 2 == 0, "odd hex")
        var buffer = ByteBuffer()
        var index = 0
        while index < digits.count {
            buffer.writeInteger(UInt8(nibble(digits[index]) << 4 | nibble(digits[index + 1])))
            index += 2
        }
        return buffer
    }

    private static func nibble(_ digit: UInt8) -> UInt8 {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit - UInt8(ascii: "A") + 10
        default: preconditionFailure("not a hex digit")
        }
    }

    static func hex(_ buffer: ByteBuffer) -> String {
        buffer.readableBytesView.map { byte in
            let text = String(byte, radix: 16)
            return byte < 16 ? "0" + text : text
        }.joined()
    }

    static func encode(_ value: WampValue) throws -> ByteBuffer {
        var buffer = ByteBuffer()
        try CBORValueCodec.encode(value, into: &buffer)
        return buffer
    }

    /// A JSON text as `WampValue`, read through jansson: integers, reals, strings as text.
    static func value(json text: String) -> WampValue? {
        JSONValue.parse(text).map { value(of: $0.pointer) }
    }

    static func value(of json: UnsafeMutablePointer<json_t>) -> WampValue {
        switch json.pointee.type {
        case JSON_OBJECT:
            var members: [WampValue.Member] = []
            var iterator = json_object_iter(json)
            while let current = iterator {
                members.append(WampValue.Member(String(cString: json_object_iter_key(current)), value(of: json_object_iter_value(current))))
                iterator = json_object_iter_next(json, current)
            }
            return .map(members)
        case JSON_ARRAY:
            return .array((0..<json_array_size(json)).map { value(of: json_array_get(json, $0)) })
        case JSON_STRING:
            return .string(JSONValue.string(of: json)!)
        case JSON_INTEGER:
            return .integer(json_integer_value(json))
        case JSON_REAL:
            return .double(json_real_value(json))
        case JSON_TRUE:
            return .bool(true)
        case JSON_FALSE:
            return .bool(false)
        default:
            return .null
        }
    }

    /// The CBOR bytes of a WAMP message given as JSON text (same array, same values).
    static func cborMessage(json text: String) throws -> ByteBuffer {
        guard let value = value(json: text) else { preconditionFailure("invalid JSON in a test: \(text)") }
        return try encode(value)
    }
}
