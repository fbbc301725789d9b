import NIOCore

/// WAMP's JSON spelling of binary data (spec "Binary conversion of JSON Strings"): a string
/// whose first character is NUL (`\u0000`), followed by the bytes in standard, padded base64
/// (RFC 4648). CBOR and MessagePack byte strings become such strings in the jansson envelope,
/// and such strings become byte strings again when written as CBOR or MessagePack.
///
/// Decoding is strict (padding required, unused bits zero), so exactly the strings `encode`
/// makes are read as binary and the two directions are inverses; any other string stays text.
enum WampBinaryString {
    private static let alphabet: StaticString = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

    /// NUL then the base64 of `bytes`.
    static func encode(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        var text: [UInt8] = []
        text.reserveCapacity(1 + (bytes.count + 2) / 3 * 4)
        text.append(0)
        let symbols = alphabet.utf8Start
        var index = 0
        while index < bytes.count {
            let remaining = bytes.count - index
            let group = UInt32(bytes[index]) << 16
                | (remaining > 1 ? UInt32(bytes[index + 1]) << 8 : 0)
                | (remaining > 2 ? UInt32(bytes[index + 2]) : 0)
            text.append(symbols[Int(group >> 18 & 0x3F)])
            text.append(symbols[Int(group >> 12 & 0x3F)])
            text.append(remaining > 1 ? symbols[Int(group >> 6 & 0x3F)] : UInt8(ascii: "="))
            text.append(remaining > 2 ? symbols[Int(group & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return text
    }

    /// How many bytes `string` (a whole jansson string, NUL included) decodes to, or nil when it
    /// is not NUL followed by canonical base64.
    static func decodedCount(_ string: UnsafeBufferPointer<UInt8>) -> Int? {
        guard string.count >= 1, string[0] == 0, (string.count - 1) % 4 == 0 else { return nil }
        let text = UnsafeBufferPointer(rebasing: string[1...])
        guard !text.isEmpty else { return 0 }
        let padding = text[text.count - 1] == UInt8(ascii: "=") ? (text[text.count - 2] == UInt8(ascii: "=") ? 2 : 1) : 0
        for index in 0..<text.count - padding where sextet(text[index]) == nil { return nil }
        // The bits past the last byte must be zero, or two strings would decode to the same bytes.
        if padding == 2, sextet(text[text.count - 3])! & 0x0F != 0 { return nil }
        if padding == 1, sextet(text[text.count - 2])! & 0x03 != 0 { return nil }
        return text.count / 4 * 3 - padding
    }

    /// Writes the bytes of a string `decodedCount` accepted.
    static func decode(_ string: UnsafeBufferPointer<UInt8>, into buffer: inout ByteBuffer) {
        let text = UnsafeBufferPointer(rebasing: string[1...])
        var index = 0
        while index < text.count {
            let a = UInt32(sextet(text[index])!), b = UInt32(sextet(text[index + 1])!)
            let c = sextet(text[index + 2]).map(UInt32.init), d = sextet(text[index + 3]).map(UInt32.init)
            let group = a << 18 | b << 12 | (c ?? 0) << 6 | (d ?? 0)
            buffer.writeInteger(UInt8(truncatingIfNeeded: group >> 16))
            if c != nil { buffer.writeInteger(UInt8(truncatingIfNeeded: group >> 8)) }
            if d != nil { buffer.writeInteger(UInt8(truncatingIfNeeded: group)) }
            index += 4
        }
    }

    private static func sextet(_ symbol: UInt8) -> UInt8? {
        switch symbol {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): symbol - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): symbol - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): symbol - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
