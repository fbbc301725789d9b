import NIOCore

/// One JSON value <-> `WampValue`, for converting payloads between JSON and the binary
/// serializers (spec "Serializers": binary travels in JSON as a string of NUL plus base64).
///
/// Numbers keep their kind: a token without fraction or exponent is an integer (refused when it
/// needs more than 64 bits, which neither MessagePack nor CBOR carries as an integer), anything
/// else a Double parsed with correct rounding and written back in its shortest round-trip form,
/// so `0.1` stays `0.1`. JSON cannot spell NaN or infinities, so those are refused on the way out.
public enum JSONValueCodec {
    public static func decode(_ bytes: ByteBuffer) throws(PayloadConversionError) -> WampValue {
        let result: Swift.Result<WampValue, PayloadConversionError> = bytes.withUnsafeReadableBytes { raw in
            var reader = JSONValueReader(bytes: raw)
            return reader.whole()
        }
        return try result.get()
    }

    public static func encode(_ value: WampValue, into buffer: inout ByteBuffer) throws(PayloadConversionError) {
        try write(value, into: &buffer, depth: 0)
    }

    private static func write(_ value: WampValue, into buffer: inout ByteBuffer, depth: Int) throws(PayloadConversionError) {
        guard depth <= WampValue.maxDepth else {
            throw PayloadConversionError("nested deeper than \(WampValue.maxDepth) levels")
        }
        switch value {
        case .null: buffer.writeStaticString("null")
        case .bool(let flag): buffer.writeStaticString(flag ? "true" : "false")
        case .integer(let integer): buffer.writeString(String(integer))
        case .unsignedInteger(let integer): buffer.writeString(String(integer))
        case .double(let double):
            guard double.isFinite else { throw PayloadConversionError("JSON cannot represent the float \(double)") }
            buffer.writeString(double.description)
        case .string(let text): writeString(text.utf8, into: &buffer)
        case .binary(let bytes):
            var text = [UInt8](repeating: 0, count: BinaryText.encodedLength(bytes.count))
            text.withUnsafeMutableBufferPointer { target in
                bytes.withUnsafeBytes { BinaryText.encode($0, into: target.baseAddress!) }
            }
            writeString(text, into: &buffer)
        case .array(let elements):
            buffer.writeInteger(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                try write(element, into: &buffer, depth: depth + 1)
            }
            buffer.writeInteger(UInt8(ascii: "]"))
        case .map(let members):
            buffer.writeInteger(UInt8(ascii: "{"))
            for (index, member) in members.enumerated() {
                if index > 0 { buffer.writeInteger(UInt8(ascii: ",")) }
                writeString(member.key.utf8, into: &buffer)
                buffer.writeInteger(UInt8(ascii: ":"))
                try write(member.value, into: &buffer, depth: depth + 1)
            }
            buffer.writeInteger(UInt8(ascii: "}"))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// A JSON string literal: quotes, backslashes and control characters escaped, the rest as
    /// UTF-8 (the input is valid UTF-8, a Swift string or base64 text).
    private static func writeString<Bytes: Sequence>(_ bytes: Bytes, into buffer: inout ByteBuffer) where Bytes.Element == UInt8 {
        buffer.writeInteger(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): buffer.writeStaticString("\\\"")
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case 0..<0x20:
                buffer.writeStaticString("\\u00")
                buffer.writeInteger(hexDigits[Int(byte >> 4)])
                buffer.writeInteger(hexDigits[Int(byte & 0xF)])
            default: buffer.writeInteger(byte)
            }
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }
}

/// A recursive-descent reader of one JSON value into `WampValue`, bounded in depth.
private struct JSONValueReader {
    let bytes: UnsafeRawBufferPointer
    var position = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    mutating func whole() -> Swift.Result<WampValue, PayloadConversionError> {
        do throws(PayloadConversionError) {
            let found = try value(depth: 0)
            skipSpace()
            guard position == bytes.count else { throw failure("text after the JSON value") }
            return .success(found)
        } catch {
            return .failure(error)
        }
    }

    func failure(_ what: String) -> PayloadConversionError {
        PayloadConversionError("malformed JSON payload: \(what) at byte \(position)")
    }

    mutating func skipSpace() {
        while position < bytes.count {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    mutating func value(depth: Int) throws(PayloadConversionError) -> WampValue {
        guard depth <= WampValue.maxDepth else {
            throw PayloadConversionError("nested deeper than \(WampValue.maxDepth) levels")
        }
        skipSpace()
        guard position < bytes.count else { throw failure("unexpected end") }
        switch bytes[position] {
        case UInt8(ascii: "{"): return try object(depth: depth)
        case UInt8(ascii: "["): return try array(depth: depth)
        case UInt8(ascii: "\""):
            let text = try string()
            if text.first == 0, let binary = text.withUnsafeBytes({ BinaryText.decode($0) }) { return .binary(binary) }
            guard let string = String(validating: text, as: UTF8.self) else { throw failure("invalid UTF-8 in a string") }
            return .string(string)
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        default: return try number()
        }
    }

    private mutating func literal(_ word: StaticString) throws(PayloadConversionError) {
        let count = word.utf8CodeUnitCount
        guard position + count <= bytes.count else { throw failure("unexpected end") }
        for index in 0..<count where bytes[position + index] != word.utf8Start[index] {
            throw failure("unknown literal")
        }
        position += count
    }

    private mutating func array(depth: Int) throws(PayloadConversionError) -> WampValue {
        position += 1
        var elements: [WampValue] = []
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "]") {
            position += 1
            return .array(elements)
        }
        while true {
            elements.append(try value(depth: depth + 1))
            skipSpace()
            guard position < bytes.count else { throw failure("unexpected end in a list") }
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "]") { return .array(elements) }
            guard byte == UInt8(ascii: ",") else { throw failure("expected , or ] in a list") }
        }
    }

    private mutating func object(depth: Int) throws(PayloadConversionError) -> WampValue {
        position += 1
        var members: [WampValue.Member] = []
        skipSpace()
        if position < bytes.count, bytes[position] == UInt8(ascii: "}") {
            position += 1
            return .map(members)
        }
        while true {
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else { throw failure("expected a key") }
            guard let key = String(validating: try string(), as: UTF8.self) else { throw failure("invalid UTF-8 in a key") }
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw failure("expected :") }
            position += 1
            members.append(WampValue.Member(key, try value(depth: depth + 1)))
            skipSpace()
            guard position < bytes.count else { throw failure("unexpected end in a dict") }
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "}") { return .map(members) }
            guard byte == UInt8(ascii: ",") else { throw failure("expected , or } in a dict") }
        }
    }

    /// The bytes a string literal stands for (escapes resolved, surrogate pairs joined).
    private mutating func string() throws(PayloadConversionError) -> [UInt8] {
        position += 1
        var result: [UInt8] = []
        while position < bytes.count {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return result
            case UInt8(ascii: "\\"):
                guard position < bytes.count else { break }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): result.append(escape)
                case UInt8(ascii: "b"): result.append(0x08)
                case UInt8(ascii: "f"): result.append(0x0C)
                case UInt8(ascii: "n"): result.append(0x0A)
                case UInt8(ascii: "r"): result.append(0x0D)
                case UInt8(ascii: "t"): result.append(0x09)
                case UInt8(ascii: "u"): try appendEscapedScalar(to: &result)
                default: throw failure("unknown escape")
                }
            case 0..<0x20:
                throw failure("control character in a string")
            default:
                result.append(byte)
            }
        }
        throw failure("unterminated string")
    }

    private mutating func hex4() throws(PayloadConversionError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw failure("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            position += 1
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("bad hex digit in \\u escape")
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private mutating func appendEscapedScalar(to result: inout [UInt8]) throws(PayloadConversionError) {
        var scalar = try hex4()
        if (0xD800..<0xDC00).contains(scalar) {
            guard position + 6 <= bytes.count, bytes[position] == UInt8(ascii: "\\"), bytes[position + 1] == UInt8(ascii: "u") else {
                throw failure("unpaired surrogate")
            }
            position += 2
            let low = try hex4()
            guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate") }
            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(scalar) {
            throw failure("unpaired surrogate")
        }
        guard let unicode = Unicode.Scalar(scalar) else { throw failure("invalid \\u escape") }
        result.append(contentsOf: UTF8.encode(unicode)!)
    }

    private mutating func number() throws(PayloadConversionError) -> WampValue {
        let start = position
        var isInteger = true
        if position < bytes.count, bytes[position] == UInt8(ascii: "-") { position += 1 }
        while position < bytes.count {
            switch bytes[position] {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): position += 1
            case UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-"):
                isInteger = false
                position += 1
            default:
                return try numberToken(start, isInteger)
            }
        }
        return try numberToken(start, isInteger)
    }

    private func numberToken(_ start: Int, _ isInteger: Bool) throws(PayloadConversionError) -> WampValue {
        guard position > start else { throw failure("unexpected character") }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
        if isInteger {
            if let integer = Int64(text) { return .integer(integer) }
            if let unsigned = UInt64(text) { return .unsignedInteger(unsigned) }
            guard text.contains(where: { $0 != "-" }), text.allSatisfy({ $0 == "-" || $0.isASCII && $0.isNumber }) else {
                throw failure("malformed number")
            }
            throw PayloadConversionError("the integer \(text) does not fit in 64 bits")
        }
        guard let double = Double(text), double.isFinite else {
            throw Double(text) == nil ? failure("malformed number") : PayloadConversionError("the number \(text) is beyond a 64-bit float")
        }
        return .double(double)
    }
}
