import CJansson
import NIOCore

/// Writes a WAMP message array into a ByteBuffer: the envelope (codes, IDs, URIs) directly,
/// `Details`/`Options` dicts through jansson, and payloads as their original bytes.
struct JSONWriter {
    private(set) var buffer: ByteBuffer
    private var needsComma = false

    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
        buffer.writeInteger(UInt8(ascii: "["))
    }

    mutating func finish() -> ByteBuffer {
        buffer.writeInteger(UInt8(ascii: "]"))
        return buffer
    }

    private mutating func separate() {
        if needsComma { buffer.writeInteger(UInt8(ascii: ",")) }
        needsComma = true
    }

    mutating func integer(_ value: Int64) {
        separate()
        if value < 0 {
            buffer.writeInteger(UInt8(ascii: "-"))
            writeDigits(value.magnitude)
        } else {
            writeDigits(UInt64(value))
        }
    }

    mutating func id(_ value: WampID) {
        separate()
        writeDigits(value)
    }

    private mutating func writeDigits(_ value: UInt64) {
        // 20 digits hold any UInt64.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var remaining = value
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(remaining % 10)
                remaining /= 10
            } while remaining > 0
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(digits)[start..<20]))
        }
    }

    /// A JSON string. URIs and reasons are almost always plain, so the common case is one copy.
    mutating func string(_ value: String) {
        separate()
        buffer.writeInteger(UInt8(ascii: "\""))
        if value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            writeEscaped(value)
        } else {
            buffer.writeString(value)
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    private mutating func writeEscaped(_ value: String) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case 0..<0x20:
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hex[Int(byte >> 4)])
                buffer.writeInteger(hex[Int(byte & 0xF)])
            default:
                buffer.writeInteger(byte)
            }
        }
    }

    /// A dict or any other jansson value, dumped compactly by jansson.
    mutating func value(_ value: JSONValue) {
        separate()
        if value.isObject && value.count == 0 {
            buffer.writeStaticString("{}")
            return
        }
        withUnsafeMutablePointer(to: &buffer) { target in
            _ = json_dump_callback(value.pointer, { chunk, size, context in
                guard let chunk, let context else { return -1 }
                let buffer = context.assumingMemoryBound(to: ByteBuffer.self)
                buffer.pointee.writeBytes(UnsafeRawBufferPointer(start: chunk, count: size))
                return 0
            }, target, JanssonFlags.encode)
        }
    }

    mutating func raw(_ json: RawJSON) {
        separate()
        var bytes = json.bytes
        buffer.writeBuffer(&bytes)
    }

    /// `Arguments` then `ArgumentsKw`, omitting what is absent; an empty list stands in for
    /// absent `Arguments` when `ArgumentsKw` is present.
    mutating func payload(_ payload: Payload) {
        precondition(payload.isEmpty || payload.serialization == .json, "a non-JSON payload must be converted before JSON encoding")
        if let arguments = payload.argumentsBytes {
            raw(RawJSON(validatedBytes: arguments))
        } else if payload.argumentsKwBytes != nil {
            raw(.emptyList)
        }
        if let argumentsKw = payload.argumentsKwBytes {
            raw(RawJSON(validatedBytes: argumentsKw))
        }
    }
}
