import NIOCore
import WampMessages

/// The message code of an encoded WAMP message, read from its first bytes without decoding it:
/// every message is an array whose first element is a small unsigned integer. Returns 0 (no
/// message type) for bytes that do not start that way; the router encoded them, so that means
/// a bug, counted under code 0 rather than lost.
package enum MessageCodePeek {
    @inline(__always)
    package static func code(of bytes: ByteBuffer, serialization: WampSerialization) -> Int {
        bytes.withUnsafeReadableBytes { raw -> Int in
            switch serialization {
            case .json: json(raw)
            case .msgpack: msgpack(raw)
            case .cbor: cbor(raw)
            }
        }
    }

    /// `[` then optional whitespace, then up to two digits.
    static func json(_ raw: UnsafeRawBufferPointer) -> Int {
        var index = 0
        guard raw.count > 1, raw[0] == UInt8(ascii: "[") else { return 0 }
        index = 1
        while index < raw.count, raw[index] == 0x20 || raw[index] == 0x0A || raw[index] == 0x0D || raw[index] == 0x09 { index += 1 }
        var code = 0
        var digits = 0
        while index < raw.count, digits < 3, raw[index] >= UInt8(ascii: "0"), raw[index] <= UInt8(ascii: "9") {
            code = code * 10 + Int(raw[index] - UInt8(ascii: "0"))
            index += 1
            digits += 1
        }
        return digits > 0 ? bounded(code) : 0
    }

    /// fixarray, array 16 or array 32, then a positive fixint.
    static func msgpack(_ raw: UnsafeRawBufferPointer) -> Int {
        guard let first = raw.first else { return 0 }
        let header: Int
        switch first {
        case 0x90...0x9F: header = 1
        case 0xDC: header = 3
        case 0xDD: header = 5
        default: return 0
        }
        guard raw.count > header, raw[header] < 0x80 else { return 0 }
        return bounded(Int(raw[header]))
    }

    /// An array head (inline, 1, 2 or 4 length bytes, or indefinite), then an unsigned integer
    /// inline (0...23) or in one byte.
    static func cbor(_ raw: UnsafeRawBufferPointer) -> Int {
        guard let first = raw.first else { return 0 }
        let header: Int
        switch first {
        case 0x80...0x97, 0x9F: header = 1
        case 0x98: header = 2
        case 0x99: header = 3
        case 0x9A: header = 5
        default: return 0
        }
        guard raw.count > header else { return 0 }
        let head = raw[header]
        if head <= 0x17 { return bounded(Int(head)) }
        guard head == 0x18, raw.count > header + 1 else { return 0 }
        return bounded(Int(raw[header + 1]))
    }

    @inline(__always)
    private static func bounded(_ code: Int) -> Int { code < TrafficLayout.codeCount ? code : 0 }
}
